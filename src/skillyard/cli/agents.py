"""``skillyard agents``: which agent clients are on this machine and where their skills are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .common import JsonOption, console, print_json

AGENTS_EXAMPLES = """
Examples:

  skillyard agents                # detected, or with skill folders here
  skillyard agents --all          # every agent skillyard knows (agents.toml)
  skillyard agents --project ~/src/app --json
  skillyard sync --agent all      # the locked skills to every detected agent
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=AGENTS_EXAMPLES)
    def agents(
        project: Annotated[Path, typer.Option(
            "--project", help="Project folder whose project-scope folders are listed.",
            file_okay=False)] = Path("."),
        home: Annotated[Path | None, typer.Option(
            "--home", help="Home folder to inspect instead of yours (PATH is then not "
            "consulted).", file_okay=False)] = None,
        show_all: Annotated[bool, typer.Option(
            "--all", help="List every known agent, detected or not.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """List agent clients: detected or not, their skill folders, and the skills in them."""
        from ..sources.agenttable import survey

        rows = survey(project.resolve(), home.resolve() if home else None)
        shown = rows if show_all else [
            r for r in rows if r["detected"] or any(f["exists"] for f in r["folders"])]
        if as_json:
            print_json({"agents": shown, "known": len(rows),
                        "detected": sum(1 for r in rows if r["detected"])})
            return
        base_home = (home or Path.home()).resolve()
        base_project = project.resolve()

        def short(path: str) -> str:
            p = Path(path)
            for base, prefix in ((base_project, "./"), (base_home, "~/")):
                if p.is_relative_to(base):
                    return prefix + p.relative_to(base).as_posix()
            return path

        table = Table(show_lines=False)
        for column in ("agent", "detected", "scope", "folder", "skills"):
            table.add_column(column, overflow="fold")
        for row in shown:
            first = True
            for folder in row["folders"]:
                if not folder["exists"] and not show_all:
                    continue
                mark = "yes" if row["detected"] else "no"
                table.add_row(
                    escape(row["name"]) if first else "", mark if first else "",
                    folder["scope"], escape(short(folder["path"])) + (
                        "" if folder["exists"] else " (absent)"),
                    str(folder["skills"]) if folder["exists"] else "-")
                first = False
            if first:  # detected, but no folder exists yet
                table.add_row(escape(row["name"]), "yes", "-", "(no skill folder yet)", "-")
        console.print(table)
        detected = sum(1 for r in rows if r["detected"])
        console.print(f"{detected} of {len(rows)} known agents detected"
                      + ("" if show_all else "; --all lists every agent")
                      + "; --json adds each entry's documentation source")
