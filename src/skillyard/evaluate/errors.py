"""Errors raised by the evaluation package (each one clear line)."""

from __future__ import annotations

from ..errors import SkillyardError


class TaskError(SkillyardError):
    """A task folder or eval file is malformed; the message names the file and the problem."""


class EvalError(SkillyardError):
    """An evaluation cannot be planned or run as asked (bad arm, runner, option or run id)."""


class RouterUnavailableError(EvalError):
    """The routed arm or a trigger evaluation needs ``Library.route``, which is not available."""
