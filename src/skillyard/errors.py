"""Exception types. Every error a user can cause is a SkillyardError with one clear line."""

from __future__ import annotations


class SkillyardError(Exception):
    """Base class: the message is shown to users as a single line.

    ``exit_code`` is what the CLI exits with: 2 for a usage or input error (the default), 1 for
    a finding (something blocked, tampered with or damaged).
    """

    exit_code = 2


class FindingError(SkillyardError):
    """The input was read and something in it was refused: blocked, tampered, damaged."""

    exit_code = 1


class SkillLoadError(SkillyardError):
    """A skill folder or record could not be loaded at all."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class SourceError(SkillyardError):
    """A source (folder, git repository, corpus file) is unusable."""


class NotFoundError(SkillyardError):
    """No skill, version or resource matches what was asked for."""


class AmbiguousNameError(SkillyardError):
    """A name matches several skills; the caller must pick an id."""

    def __init__(self, name: str, candidates: list[str]) -> None:
        listing = ", ".join(candidates[:10]) + (" ..." if len(candidates) > 10 else "")
        super().__init__(
            f"name {name!r} matches {len(candidates)} skills; use an id: {listing}"
        )
        self.name = name
        self.candidates = candidates


class AccessError(SkillyardError):
    """A resource read was refused (traversal, symlink escape, size cap)."""


class StoreError(SkillyardError):
    """The library database is unusable (busy, corrupt, newer schema)."""
