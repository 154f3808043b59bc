"""Progress reports of long work: ``(stage, done, total)`` callbacks, and a counter for work
done in batches (routing-index builds, batch jobs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def counter(progress: Callable[[str, int, Any], None] | None, stage: str, total: int | None
            ) -> Callable[[int], None]:
    """A callback for work done in batches: each call adds a batch's size and reports the
    running count of ``total`` under ``stage`` (nothing when ``progress`` is None)."""
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(stage, done, total)

    return tick
