"""LLM distillation (Trace2Skill-style): analyse each run against a frozen skill, merge the
proposed edit operations hierarchically, apply them.

Every model call goes through :class:`skillyard.llm.LLMClient` at temperature 0 with prompts
built deterministically, so a run recorded with ``LLMClient(record=...)`` replays exactly with
``LLMClient(replay=...)``. Unusable replies are retried with the reason, then raise
DistillError naming the run or merge that failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ...llm import LLMClient
from ..folder import Files
from ..lessons import Lesson
from ..model import Trajectory
from .analyze import Analysis, analyse
from .levels import level_ops
from .merge import MergeReport, merge_all
from .ops import EditOp, PatchResult, apply_ops, parse_op, parse_ops

__all__ = [
    "Analysis", "DistillOptions", "DistillResult", "EditOp", "PatchResult", "apply_ops",
    "distill", "level_ops", "parse_op", "parse_ops", "select_runs",
]


@dataclass(frozen=True)
class DistillOptions:
    batch_size: int = 4  # operation lists merged per model call
    retries: int = 2  # extra attempts after an unusable reply
    jobs: int = 4  # analyses in flight at once
    max_runs: int = 24  # runs analysed per skill
    levels: bool = False  # add SkillX-style plan / functional / atomic levels


@dataclass
class DistillResult:
    files: Files
    analyses: list[Analysis]
    merge: MergeReport
    patch: PatchResult
    extra_ops: list[EditOp] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.analyses) + self.merge.calls

    def to_dict(self) -> dict[str, Any]:
        return {"analyses": [a.to_dict() for a in self.analyses], "merge": self.merge.to_dict(),
                "patch": self.patch.to_dict(), "llm_calls": self.calls}


def select_runs(trajectories: Sequence[Trajectory], limit: int) -> list[Trajectory]:
    """At most ``limit`` runs, alternating failed and successful ones, shortest first."""
    def order(runs: list[Trajectory]) -> list[Trajectory]:
        return sorted(runs, key=lambda t: (len(t.steps), t.id))

    failed = order([t for t in trajectories if t.failed])
    other = order([t for t in trajectories if not t.failed])
    out: list[Trajectory] = []
    while (failed or other) and len(out) < limit:
        if failed:
            out.append(failed.pop(0))
        if other and len(out) < limit:
            out.append(other.pop(0))
    return out


def distill(
    client: LLMClient,
    base: Files,
    trajectories: Sequence[Trajectory],
    options: DistillOptions | None = None,
    *,
    lessons: Sequence[Lesson] = (),
    progress: Callable[[str, int], None] | None = None,
) -> DistillResult:
    """Distil runs into a patched copy of ``base`` (the frozen skill's text files)."""
    opts = options or DistillOptions()
    runs = select_runs(trajectories, opts.max_runs)

    stop = threading.Event()

    def one(traj: Trajectory) -> Analysis | None:
        if stop.is_set():
            return None  # another analysis failed: do not spend more calls
        try:
            result = analyse(client, base, traj, retries=opts.retries)
        except BaseException:
            stop.set()
            raise
        if progress is not None:
            progress("analyse", 1)
        return result

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futures = [pool.submit(one, traj) for traj in runs]
        outcomes: list[Analysis | None] = []
        first_error: BaseException | None = None
        for future in futures:
            try:
                outcomes.append(future.result())
            except BaseException as exc:  # noqa: BLE001 - re-raised below, in run order
                first_error = first_error or exc
    if first_error is not None:
        raise first_error
    analyses = [a for a in outcomes if a is not None]
    merge = merge_all(
        client, base, [a.operations for a in analyses], batch_size=opts.batch_size,
        retries=opts.retries,
        progress=(lambda n: progress("merge", n)) if progress is not None else None,
    )
    extra = level_ops(trajectories, lessons) if opts.levels else []
    patch = apply_ops(base, [*merge.operations, *extra])
    return DistillResult(patch.files, analyses, merge, patch, extra)
