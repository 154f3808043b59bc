"""Run chunks of work as Ray tasks and hand each result to the driver as it arrives.

The driver keeps a bounded number of chunks in flight, waits for whichever finishes first
(``ray.wait``) and passes its result to ``on_result``, which writes it through the library
store; so a driver killed mid-job loses only the chunks in flight, and a re-run (which skips
work already in the store) finishes the remainder. A worker that dies mid-task is retried by
Ray (``max_retries``); a chunk that still fails is submitted again by the driver, up to
``attempts`` times in all, then the job stops with one clear error. A SkillyardError raised
on a worker (a library it cannot open, say) is not retried: it is the user's error to fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from ..errors import SkillyardError
from .runtime import BatchError, RayRuntime

T = TypeVar("T")
ATTEMPTS = 3  # driver-side submissions per chunk
RAY_RETRIES = 2  # Ray's own retries of a task whose worker died
ENV_FAULT = "SKILLYARD_BATCH_FAULT"  # fault injection for tests: see maybe_crash()

Tick = Callable[[int], None]  # n more items done
StageProgress = Callable[[str, int, int | None], None]  # (stage, done, total)


@dataclass
class JobReport:
    """What a batch job did, in work items (passages, skills, trajectory groups)."""

    job: str
    workers: int = 0
    items: int = 0  # items the job covers
    skipped: int = 0  # already done (found in the store) and not computed again
    done: int = 0  # computed by workers in this run
    retried: int = 0  # items whose chunk ran more than once (a worker died or a task failed)
    chunks: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def maybe_crash(fault: str | None) -> None:
    """Fault injection for tests: when ``fault`` names a file holding a count N (empty = 1),
    the worker that claims it (an atomic rename) writes back N-1 (if above zero) and dies at
    once, as a worker lost mid-task would, after its work and before its result is sent."""
    if not fault:
        return
    claimed = f"{fault}.claimed-{os.getpid()}"
    try:
        os.rename(fault, claimed)
    except OSError:
        return  # no fault pending (or another worker took it)
    try:
        with open(claimed, encoding="utf-8") as handle:
            left = int(handle.read().strip() or "1") - 1
    except (OSError, ValueError):
        left = 0
    if left > 0:
        with open(claimed, "w", encoding="utf-8") as handle:
            handle.write(str(left))
        os.replace(claimed, fault)
    else:
        os.unlink(claimed)
    os._exit(1)


def _attempt_number() -> int:
    """How many times Ray has retried the running task (0 on the first run). Ray has no public
    call for it; its core worker does, and 0 is the safe answer if that ever moves."""
    try:
        import ray

        worker = ray._private.worker.global_worker
        return int(worker.core_worker.get_current_task_attempt_number())
    except Exception:  # noqa: BLE001 - private API: degrade to "first attempt"
        return 0


def run_chunk(fn: Callable[..., Any], chunk: Sequence[Any], fault: str | None,
              *shared: Any) -> tuple[Any, int]:
    """The task body on a worker: (fn's result, Ray's attempt number)."""
    result = fn(chunk, *shared)
    maybe_crash(fault)
    return result, _attempt_number()


_REMOTE: dict[str, Any] = {}


def _remote(ray: Any) -> Any:
    if "run_chunk" not in _REMOTE:
        _REMOTE["run_chunk"] = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(run_chunk)
    return _REMOTE["run_chunk"]


def chunk_size(items: int, workers: int, most: int, least: int = 1) -> int:
    """Chunks small enough that every worker gets a few (for balance), within [least, most]."""
    return max(least, min(most, -(-items // max(1, 3 * workers))))


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    # Ray's task errors open with a traceback header; the cause is on the last line.
    return (lines[-1] if lines else type(exc).__name__)[:300]


def run_job(
    runtime: RayRuntime,
    fn: Callable[..., T],
    chunks: Sequence[Sequence[Any]],
    on_result: Callable[[Sequence[Any], T], None],
    report: JobReport,
    *,
    shared: tuple[Any, ...] = (),
    tick: Tick | None = None,
    attempts: int = ATTEMPTS,
) -> None:
    """Run ``fn(chunk, *shared)`` on workers for every chunk; ``on_result(chunk, result)`` on
    the driver as each finishes. ``fn`` must be a module-level function (workers import it)."""
    if not chunks:
        return
    ray = runtime.connect()
    started = time.perf_counter()  # the job's own time, after Ray's start-up
    remote = _remote(ray)
    fault = os.environ.get(ENV_FAULT) or None
    shared_ref = [ray.put(value) for value in shared]
    report.workers = runtime.workers
    report.chunks += len(chunks)
    queue = list(range(len(chunks)))
    queue.reverse()  # pop() takes the first chunk first
    tries = [0] * len(chunks)
    pending: dict[Any, int] = {}
    limit = max(2, 2 * runtime.workers)

    def submit(index: int) -> None:
        tries[index] += 1
        ref = remote.remote(fn, chunks[index], fault, *shared_ref)
        pending[ref] = index

    try:
        while queue or pending:
            while queue and len(pending) < limit:
                submit(queue.pop())
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    result, ray_attempt = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, SkillyardError):
                        raise cause from None
                    if tries[index] >= attempts:
                        raise BatchError(
                            f"{report.job}: a chunk of {len(chunks[index])} items failed "
                            f"{tries[index]} times; last error: {_first_line(exc)}") from None
                    report.retried += len(chunks[index])
                    submit(index)
                    continue
                if ray_attempt > 0 and tries[index] == 1:  # Ray re-ran it; not yet counted
                    report.retried += len(chunks[index])
                on_result(chunks[index], result)
                report.done += len(chunks[index])
                if tick is not None:
                    tick(len(chunks[index]))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        report.seconds = round(report.seconds + time.perf_counter() - started, 3)
