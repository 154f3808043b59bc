"""The --ray options shared by ``index``, ``audit --library`` and ``learn``, and their glue:
the Ray runtime around a job and its progress bars on stderr."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..batch import JobReport, RayRuntime, RaySettings
from ..batch.jobs import StageProgress
from ..batch.runtime import BatchError, import_ray
from .common import console, err_console

RayOption = Annotated[bool, typer.Option(
    "--ray", help="Spread the work over Ray workers (a local Ray instance unless "
    "--ray-address or SKILLYARD_RAY_ADDRESS names a cluster; pip install 'skillyard\\[ray]').")]
RayAddressOption = Annotated[str | None, typer.Option(
    "--ray-address", help="Ray cluster to use with --ray (host:port, ray://host:port or auto; "
    "env SKILLYARD_RAY_ADDRESS).", show_default=False)]
RayWorkersOption = Annotated[int | None, typer.Option(
    "--ray-workers", min=1, max=512, help="Ray workers (default: the CPUs of this machine, "
    "or of the cluster).", show_default=False)]


def ray_settings(ray: bool, address: str | None, workers: int | None) -> RaySettings | None:
    """The settings when --ray is on; --ray-address / --ray-workers without it are an error."""
    if not ray:
        if address is not None or workers is not None:
            raise typer.BadParameter("--ray-address and --ray-workers need --ray")
        return None
    try:
        settings = RaySettings.from_env(address, workers)
    except BatchError as exc:
        raise typer.BadParameter(str(exc)) from None
    import_ray(settings.address)  # a clear error now, before any work is done
    return settings


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


@contextmanager
def ray_job(settings: RaySettings, quiet: bool = False
            ) -> Iterator[tuple[RayRuntime, StageProgress]]:
    """A running Ray and a progress callback ``(stage, done, total)`` drawing bars on stderr."""
    with _bar() as bar, RayRuntime(settings) as runtime:
        tasks: dict[str, Any] = {}

        def tick(stage: str, done: int, total: int | None) -> None:
            if quiet:
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield runtime, tick


def print_job(report: JobReport, *, stderr: bool = False) -> None:
    if report.chunks == 0:
        line = (f"ray {report.job}: nothing to do ({report.skipped} of {report.items} already "
                "in the library; Ray was not started)")
    else:
        line = (f"ray {report.job}: {report.done} done on {report.workers} workers, "
                f"{report.skipped} skipped (already in the library), {report.retried} "
                f"retried, {report.chunks} chunks, {report.seconds:.1f} s")
    (err_console if stderr else console).print(line)


def ray_routing(lib: Any, settings: RaySettings, *, full: bool = False) -> tuple[Any, JobReport]:
    """The routing index update with its embedding on Ray workers: (build, job) reports."""
    from ..batch import build_index_ray

    with ray_job(settings) as (runtime, tick):
        return build_index_ray(lib.store, runtime, full=full,
                               progress=lambda stage, done, total: tick(
                                   f"routing index: {stage}", done, total))
