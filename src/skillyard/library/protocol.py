"""What the capabilities need of a library, as a Protocol.

Capabilities (install, learn, batch, the audit gate) receive a library from the façade above
them (``skillyard.api.Library``) and type against this instead of importing it, so that imports
only point down the layers (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..skill import Skill
from .store import PutOutcome, SkillSummary, Store, VersionInfo


class SkillLibrary(Protocol):
    """The part of :class:`skillyard.api.Library` the capabilities call."""

    store: Store

    @property
    def path(self) -> str: ...

    def add(self, skills: Sequence[Skill]) -> list[PutOutcome]: ...

    def resolve(self, ref: str) -> str: ...

    def get(self, ref: str, version: int | None = None) -> Skill: ...

    def list(self) -> list[SkillSummary]: ...

    def versions(self, ref: str) -> list[VersionInfo]: ...

    def audit(self, refs: Sequence[str] | None = None, *, policy: Any = None,
              judge: Any = None, force: bool = False,
              progress: Callable[[Skill], None] | None = None) -> list[Any]: ...
