"""``skillyard index``: load sources into the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..api import IndexReport
from ..sources import LoadResult
from . import route as route_cli
from .common import (
    EXIT_FINDING,
    EXIT_USAGE,
    DbOption,
    JsonOption,
    console,
    err_console,
    fail,
    open_library,
    print_json,
)
from .ray_batch import (
    RayAddressOption,
    RayOption,
    RayWorkersOption,
    print_job,
    ray_routing,
    ray_settings,
)

EXAMPLES = """
Examples:

  skillyard index ./skills                     # a tree of skill folders
  skillyard index agents                       # the agents' skill folders
  skillyard index corpus.jsonl.gz --json       # a JSONL corpus, JSON summary
  skillyard index file:///srv/skills.git@v1.2  # a git repository at a ref
  skillyard index corpus.jsonl.gz --ray        # embed on local Ray (all CPUs)

  # trust signatures as the policy says
  skillyard index ./skills --policy audit-policy.toml

  # embed on a Ray cluster, into a shared PostgreSQL library
  skillyard index corpus.jsonl.gz --ray --ray-address ray://head:10001 \\
    --db postgresql://...
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def index(
        sources: Annotated[list[str], typer.Argument(help="Folders, agents, git URLs, corpora.")],
        db: DbOption = None,
        strict: Annotated[bool, typer.Option(help="Reject skills that break the spec.")] = False,
        route: Annotated[bool, typer.Option(
            "--route/--no-route", help="Also update the routing index.")] = True,
        ray: RayOption = False,
        ray_address: RayAddressOption = None,
        ray_workers: RayWorkersOption = None,
        policy: Annotated[Path | None, typer.Option(
            "--policy", help="Audit policy (TOML): allowed signers, revoked keys, [signing] "
            "require/git; a verified signer is recorded.", dir_okay=False)] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Load skills from SOURCES into the library (re-indexing adds versions).

        A skill that cannot be loaded is reported and the rest are indexed; the exit code is
        then 1. Signatures are checked: one that does not verify (a changed file, a revoked or
        unknown key) or one the policy requires and a skill lacks is reported, the exit code
        is 1. A source with no skill at all is an input error (exit 2).
        """
        loaded_policy = _load_policy(policy)
        settings = ray_settings(ray, ray_address, ray_workers)
        if settings is not None and not route:
            raise typer.BadParameter("--ray spreads the routing index's embedding; it does "
                                     "nothing with --no-route")
        with open_library(db, create=True) as lib, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed} skills"), TimeElapsedColumn(),
            console=err_console, transient=True,
        ) as progress:
            task = progress.add_task("indexing", total=None)

            def tick(result: LoadResult) -> None:
                progress.advance(task)

            report = lib.index(sources, strict=strict, progress=tick, policy=loaded_policy)
            path = lib.path
        routing = job = None
        if route:
            with open_library(db) as lib:
                if settings is not None:
                    routing, job = ray_routing(lib, settings)
                else:
                    routing = route_cli.update_routing_index(lib)
        if as_json:
            extra = {"route": routing.to_dict()} if routing is not None else {}
            if job is not None:
                extra["batch"] = job.to_dict()
            print_json({"db": path, **report.to_dict(), **extra})
        else:
            _print_report(report, path)
            if routing is not None:
                route_cli.print_build_report(routing)
            if job is not None:
                print_job(job)
        if report.empty:
            raise fail(f"no skills found in {', '.join(report.empty)}", EXIT_USAGE)
        if report.rejected or report.signatures:  # the exit code says something was not ok
            raise typer.Exit(EXIT_FINDING)


def _load_policy(path: Path | None) -> Any:
    from ..audit import PolicyError, load_policy, load_rules

    try:
        return load_policy(path, load_rules())
    except PolicyError as exc:
        raise fail(str(exc), EXIT_USAGE) from None


def _print_report(report: IndexReport, path: str) -> None:
    table = Table(show_header=True, title=f"indexed into {path}")
    for column in ("loaded", "added", "updated", "unchanged", "warned", "rejected", "shadowed"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(v) for v in (report.loaded, report.added, report.updated, report.unchanged,
                           len(report.warned), len(report.rejected), len(report.shadowed)))
    )
    console.print(table)
    for where, reason in report.rejected[:50]:
        console.print(f"[red]rejected[/red] {escape(where)}: {escape(reason)}")
    if len(report.rejected) > 50:
        console.print(f"... and {len(report.rejected) - 50} more rejected (use --json)")
    warned = list(report.warned.items())
    for skill_id, messages in warned[:20]:
        console.print(f"[yellow]warned[/yellow] {escape(skill_id)}: {escape('; '.join(messages))}")
    if len(warned) > 20:
        console.print(f"... and {len(warned) - 20} more warned (use --json)")
    for where, by in report.shadowed:
        console.print(f"[yellow]shadowed[/yellow] {escape(where)} by {escape(by)}")
    for problem in report.signatures[:50]:
        console.print(f"[red]{problem.rule}[/red] {escape(problem.reason)}")
    if len(report.signatures) > 50:
        console.print(f"... and {len(report.signatures) - 50} more signature findings "
                      "(use --json)")
    if report.signers:
        console.print(f"{len(report.signers)} skill(s) with a verified signer")
