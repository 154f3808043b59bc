"""Diagnostics: the errors and warnings produced while loading or validating a skill."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.level}: {self.message} [{self.code}]"


def error(code: str, message: str) -> Diagnostic:
    return Diagnostic("error", code, message)


def warning(code: str, message: str) -> Diagnostic:
    return Diagnostic("warning", code, message)
