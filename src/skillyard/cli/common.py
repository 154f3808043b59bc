"""Shared CLI pieces: the --db and --json options, output helpers and consoles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..library import Library

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", envvar="SKILLYARD_DB", help="Library database file (default: the user data dir).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def open_library(db: Path | None) -> Library:
    return Library(db)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return an Exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(code)
