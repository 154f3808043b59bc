"""The store protocol: what every Library backend (SQLite, PostgreSQL) provides."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..skill import Skill

PutStatus = Literal["added", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class PutOutcome:
    skill_id: str
    status: PutStatus
    version: int


@dataclass(frozen=True, slots=True)
class SkillSummary:
    id: str
    name: str
    description: str
    version: int
    digest: str
    source_kind: str
    warnings: int
    updated_at: str

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "description": self.description,
            "version": self.version, "digest": self.digest, "source": self.source_kind,
            "warnings": self.warnings, "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    digest: str
    created_at: str
    source: str
    commit: str | None


class Store(Protocol):
    """A library backend. Writes are atomic per call; readers never see half a skill."""

    path: str

    def put(self, skills: Sequence[Skill]) -> list[PutOutcome]:
        """Store skills in one transaction; a skill whose digest is unchanged is left alone."""

    def get(self, skill_id: str, version: int | None = None) -> Skill:
        """A stored skill (current version by default); raises NotFoundError."""

    def summaries(self) -> list[SkillSummary]:
        """Every skill's current version, sorted by name then id."""

    def digests(self) -> list[tuple[str, str]]:
        """Every skill's (id, current digest), sorted by id: what an index build compares
        first, a fifth of the cost of ``summaries`` at 61K skills."""

    def iter_skills(self) -> Iterator[Skill]:
        """Every skill's current version with its body (for index builds)."""

    def ids_for_name(self, name: str) -> list[str]: ...

    def ids_with_suffix(self, suffix: str) -> list[str]: ...

    def has_id(self, skill_id: str) -> bool: ...

    def versions(self, skill_id: str) -> list[VersionInfo]: ...

    def read_blob(self, sha256: str) -> bytes:
        """File content by digest; raises NotFoundError."""

    def stats(self) -> dict[str, int]: ...

    # Dense embeddings by content key (a hash of the embedded text), per embedding model.
    def put_vectors(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> int: ...

    def get_vectors(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]: ...

    # Capability tables (created by numbered migrations) are reached only through these, with
    # portable SQL and '?' parameters.
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...
