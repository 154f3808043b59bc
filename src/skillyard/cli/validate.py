"""``skillyard validate``: check skill folders against the specification without indexing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..errors import SourceError
from ..sources import load_tree
from .common import JsonOption, console, print_json

EXAMPLES = """
Examples:

  skillyard validate ./my-skill
  skillyard validate ./skills --strict --json
"""


def _results(path: Path, strict: bool) -> list[dict[str, Any]]:
    target = path.parent if path.is_file() and path.name == "SKILL.md" else path
    if not target.is_dir():
        raise SourceError(f"{path}: not a skill folder or SKILL.md")
    out: list[dict[str, Any]] = []
    for result in load_tree(target, strict=strict):
        if result.skill is None:
            out.append({"path": result.where, "ok": False, "errors": [result.error],
                        "warnings": []})
            continue
        skill = result.skill
        out.append({
            "path": result.where, "name": skill.name, "ok": not skill.errors,
            "errors": [d.message for d in skill.errors],
            "warnings": [d.message for d in skill.warnings],
        })
    if not out:
        out.append({"path": str(path), "ok": False, "errors": ["no SKILL.md found"],
                    "warnings": []})
    return out


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def validate(
        paths: Annotated[
            list[Path], typer.Argument(help="Skill folders, trees or SKILL.md files.")
        ],
        strict: Annotated[bool, typer.Option(help="Every spec violation is an error.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Validate skills; exit 1 when any has errors."""
        results = [r for path in paths for r in _results(path, strict)]
        if as_json:
            print_json(results)
        else:
            for r in results:
                mark = "[green]ok[/green]" if r["ok"] else "[red]FAIL[/red]"
                console.print(f"{mark} {escape(r['path'])}")
                for message in r["errors"]:
                    console.print(f"  [red]error[/red] {escape(message)}")
                for message in r["warnings"]:
                    console.print(f"  [yellow]warning[/yellow] {escape(message)}")
            failed = sum(not r["ok"] for r in results)
            console.print(f"{len(results)} skills, {failed} with errors")
        if any(not r["ok"] for r in results):
            raise typer.Exit(1)
