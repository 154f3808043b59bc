"""``skillyard init`` and ``skillyard verify``: create a library on purpose, check one's health."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..library import default_location
from .common import (
    EXIT_FINDING,
    DbOption,
    JsonOption,
    console,
    err_console,
    open_library,
    print_json,
)

VERIFY_EXAMPLES = """
Examples:

  skillyard verify                   # every version of every skill
  skillyard verify --current --json  # only what install/sync/serve would read
  skillyard verify --db postgresql://db/skills
"""

INIT_EXAMPLES = """
Examples:

  skillyard init --db team.db
  SKILLYARD_DB=postgresql://db/skills skillyard init
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=INIT_EXAMPLES)
    def init(db: DbOption = None, as_json: JsonOption = False) -> None:
        """Create an empty library (read commands never create one)."""
        where = db or default_location()
        with open_library(db, create=True) as lib:
            stats = lib.stats()
        if as_json:
            print_json({"db": where, **stats})
        else:
            console.print(f"library ready at {escape(where)} ({stats['skills']} skills)")

    @app.command(epilog=VERIFY_EXAMPLES)
    def verify(
        db: DbOption = None,
        current: Annotated[bool, typer.Option(
            "--current", help="Only the current version of each skill.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Check the whole library: every blob re-hashed, every version digest recomputed, the
        stored frontmatter checked against SKILL.md, the skill table against its versions.
        Exit 1 when anything is damaged (each damaged skill, version and file is named)."""
        with open_library(db) as lib, Progress(
            SpinnerColumn(), TextColumn("verifying {task.completed} versions"),
            TimeElapsedColumn(), console=err_console, transient=True, disable=as_json,
        ) as progress:
            task = progress.add_task("verify", total=None)
            report = lib.verify(current_only=current,
                                progress=lambda n: progress.advance(task, n))
            where = lib.path
        if as_json:
            print_json({"db": where, **report.to_dict()})
        else:
            for damage in report.damage:
                console.print(f"[red]damaged[/red] {escape(str(damage))}")
            state = "ok" if report.ok else f"{len(report.damage)} problem(s)"
            console.print(f"{report.skills} skills, {report.versions} versions, {report.blobs} "
                          f"blobs checked in {escape(where)}: {state}")
        if not report.ok:
            raise typer.Exit(EXIT_FINDING)
