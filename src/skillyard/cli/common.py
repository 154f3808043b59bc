"""Shared CLI pieces: the --db and --json options, output helpers and consoles."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from ..errors import StoreError
from ..library import Library

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="SKILLYARD_DB",
        help="Library: an SQLite file (default: in the user data dir) or a PostgreSQL URL "
        "(postgresql://user@host/db).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def open_library(db: str | None) -> Library:
    if db is not None and not db.strip():
        raise StoreError("--db is empty; give a library file or a postgresql:// URL")
    return Library(db)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return an Exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(code)
