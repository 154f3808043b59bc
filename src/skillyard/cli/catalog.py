"""``skillyard catalog``: the names and descriptions an agent sees, within a budget."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..library.disclosure import FORMATS
from .common import DbOption, JsonOption, fail, open_library, print_json

EXAMPLES = """
Examples:

  skillyard catalog
  skillyard catalog --budget 8000 --format md
  skillyard catalog --format json --json
  skillyard catalog --exclude-blocked --policy team-policy.toml
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    def catalog(
        budget: Annotated[int | None, typer.Option(help="Most characters to print.", min=1)] = None,
        fmt: Annotated[str, typer.Option("--format", help="xml, json or md.")] = "xml",
        exclude_blocked: Annotated[bool, typer.Option(
            "--exclude-blocked", help="Audit first and leave out skills the policy blocks.")
        ] = False,
        policy: Annotated[Path | None, typer.Option(
            help="Audit policy file (implies --exclude-blocked).", exists=True, dir_okay=False)
        ] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Print the skill catalog; long descriptions are cut first, then skills are left out."""
        if fmt not in FORMATS:
            raise fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", 2)
        with open_library(db) as lib:
            try:
                result = lib.catalog(budget, fmt, exclude_blocked=exclude_blocked,
                                     policy=str(policy) if policy else None)
            except ValueError as exc:
                raise fail(str(exc), 2) from None
        if as_json:
            print_json(result.to_dict())
        else:
            sys.stdout.write(result.text)
