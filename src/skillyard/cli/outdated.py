"""``skillyard outdated``: locked skills whose source has a newer version (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .common import DbOption, JsonOption, console, open_library, print_json

OUTDATED_EXAMPLES = """
Examples:

  skillyard outdated                   # every skill in ./skillyard.lock
  skillyard outdated pdf-tools --json
  skillyard outdated && echo "all current"

Exit codes: 0 every skill is current, 1 some skill is outdated, missing at its source or could
not be checked, 2 usage error. Nothing is changed; 'skillyard update' moves skills.
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=OUTDATED_EXAMPLES)
    def outdated(
        names: Annotated[list[str] | None, typer.Argument(
            help="Locked skills to check (default: all).")] = None,
        lock: Annotated[Path, typer.Option(
            "--lock", envvar="SKILLYARD_LOCK", help="Lockfile (or its folder).")]
        = Path("skillyard.lock"),
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """List locked skills whose source (git, website index, folder, library) is newer."""
        from ..install import Project
        from ..install.outdated import outdated as check

        path = lock / "skillyard.lock" if lock.is_dir() else lock
        with open_library(db) as library:
            rows = check(Project(path, library), names or None)
        if as_json:
            print_json({"lockfile": str(path), "skills": [r.to_dict() for r in rows]})
        else:
            table = Table()
            for column in ("skill", "status", "current", "latest", "source", "detail"):
                table.add_column(column)
            colour = {"outdated": "yellow", "current": "green"}
            for row in rows:
                c = colour.get(row.status, "red")
                table.add_row(escape(row.name), f"[{c}]{row.status}[/{c}]",
                              escape(row.current[:30]), escape(row.latest[:30]),
                              escape(f"{row.kind}:{row.location}"), escape(row.detail))
            console.print(table if rows else "nothing locked")
        if any(r.status != "current" for r in rows):
            raise typer.Exit(1)
