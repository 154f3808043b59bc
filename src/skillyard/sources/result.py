"""What a source yields for each skill it finds: the skill, or why it was rejected."""

from __future__ import annotations

from dataclasses import dataclass

from ..skill import Skill


@dataclass(frozen=True, slots=True)
class LoadResult:
    where: str
    skill: Skill | None
    error: str | None = None
    shadowed_by: str | None = None  # set when a later agent folder overrides this skill

    @property
    def ok(self) -> bool:
        return self.skill is not None
