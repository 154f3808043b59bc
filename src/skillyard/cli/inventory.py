"""``skillyard inventory``: every agent's skills and MCP servers on this machine, audited."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from .common import DbOption, JsonOption, console, err_console, fail, open_library, print_json

FORMATS = ("table", "json", "sarif", "html")
INVENTORY_EXAMPLES = """
Examples:

  skillyard inventory                 # your agents and this project
  skillyard inventory --root ~/src    # ... and every repository under ~/src
  skillyard inventory --format html > inventory.html
  skillyard inventory --format sarif > inventory.sarif
  skillyard inventory --json --no-cache

Exit codes: 0 nothing found, 1 a finding (a blocked skill, an MCP server with a risk note, or a
problem such as an unparsable config or a link out of the home folder), 2 usage error.
"""


def _table(inventory) -> None:  # noqa: ANN001
    verdicts = inventory.verdicts()
    console.print(f"[bold]{len(inventory.skills)} skills[/bold]: {verdicts['block']} block, "
                  f"{verdicts['warn']} warn, {verdicts['allow']} allow · "
                  f"[bold]{len(inventory.servers)} MCP servers[/bold], "
                  f"{len(inventory.risky_servers())} with risk notes · "
                  f"{len(inventory.problems)} problems")
    if inventory.skills:
        table = Table(title="skills")
        for column in ("verdict", "tier", "skill", "agent", "scope", "top finding"):
            table.add_column(column)
        colour = {"block": "red", "warn": "yellow", "allow": "green"}
        for record in sorted(inventory.skills, key=lambda r: ({"block": 0, "warn": 1}.get(
                r.result.verdict, 2), r.agent, r.result.name)):
            result = record.result
            top = result.findings[0] if result.findings else None
            c = colour.get(result.verdict, "white")
            table.add_row(f"[{c}]{result.verdict}[/{c}]", str(result.tier),
                          escape(result.name), escape(record.agent), record.scope,
                          escape(f"{top.rule}: {top.evidence}"[:80]) if top else "")
        console.print(table)
    if inventory.servers:
        table = Table(title="MCP servers")
        for column in ("server", "client", "scope", "transport", "runs", "risk notes"):
            table.add_column(column)
        for server in inventory.servers:
            runs = server.runs()
            notes = "; ".join(f"{r['severity']}: {r['rule']}" for r in server.risks)
            table.add_row(escape(server.name), escape(server.client), server.scope,
                          server.transport, escape(runs[:60]),
                          f"[red]{escape(notes)}[/red]" if notes else "")
        console.print(table)
    for problem in inventory.problems:
        console.print(f"[yellow]{escape(problem.rule)}[/yellow] {escape(problem.path)}: "
                      f"{escape(problem.message)}")


def register(app: typer.Typer) -> None:
    @app.command(epilog=INVENTORY_EXAMPLES)
    def inventory(
        project: Annotated[list[Path] | None, typer.Option(
            "--project", help="Project folder to include (repeatable; default: the current "
            "folder).", file_okay=False)] = None,
        root: Annotated[Path | None, typer.Option(
            "--root", help="Also scan every repository under this folder.", exists=True,
            file_okay=False)] = None,
        home: Annotated[Path | None, typer.Option(
            "--home", help="Home folder to inspect instead of yours.", file_okay=False)] = None,
        user: Annotated[bool, typer.Option(
            "--user/--no-user", help="Include the user scope (agents' folders in home).")]
        = True,
        fmt: Annotated[str, typer.Option("--format", help="table, json, sarif or html.")]
        = "table",
        db: DbOption = None,
        cache: Annotated[bool, typer.Option(
            "--cache/--no-cache", help="Reuse audit analysis cached by digest in the "
            "library.")] = True,
        policy: Annotated[Path | None, typer.Option(
            "--policy", help="Audit policy file (TOML).", exists=True, dir_okay=False)] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Find every agent's skills and MCP servers, audit them, and report (read-only)."""
        from ..inventory import scan, to_html, to_sarif_inventory

        fmt = "json" if as_json else fmt
        if fmt not in FORMATS:
            raise fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", 2)
        projects = project if project is not None else [Path.cwd()]
        library = open_library(db, create=True) if cache else None  # the verdict cache
        try:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                          TextColumn("{task.completed} skills audited"), console=err_console,
                          transient=True) as progress:
                task = progress.add_task("inventory", total=None)
                result = scan(home=home.resolve() if home else None, projects=projects,
                              root=root, user=user, library=library, policy=policy,
                              progress=lambda _skill: progress.advance(task))
        finally:
            if library is not None:
                library.close()
        if fmt == "json":
            print_json(result.to_dict())
        elif fmt == "sarif":
            sys.stdout.write(json.dumps(to_sarif_inventory(result), ensure_ascii=False,
                                        indent=2) + "\n")
        elif fmt == "html":
            sys.stdout.write(to_html(result))
        else:
            _table(result)
        if result.has_findings:
            if fmt == "table":
                err_console.print("findings above (exit 1)")
            raise typer.Exit(1)
