"""Errors raised by the learning package (each one line, naming the file and record)."""

from __future__ import annotations

from ..errors import SkillyardError


class TrajectoryError(SkillyardError):
    """A trajectory file is unreadable, truncated, or not in the format it claims."""


class DistillError(SkillyardError):
    """LLM distillation could not produce a usable patch (malformed replies after retries)."""


class PatchError(SkillyardError):
    """An edit operation is malformed or cannot be applied to the skill it targets."""
