"""The ``skillyard`` command line: a thin shell over the Python API, one module per group.

A group's module is imported only when it is needed. ``main`` reads the command's name from
the arguments and registers the group that has it, alone: a one-shot ``skillyard route``
need not import the auditor, the learner and the evaluator (half of the CLI's 0.6 s of
imports). Help for the whole CLI, a name no group has, and ``app`` (for tests and
embedding) get every group.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from .common import EXIT_CODES_HELP, run_app
from .help_text import reflow_app

# Each group's module (in help order) and the top-level commands its register(app) adds;
# tests/test_cli_groups.py checks these names against what the modules register.
COMMAND_GROUPS: dict[str, tuple[str, ...]] = {
    "index": ("index",),
    "browse": ("list", "show"),
    "validate": ("validate",),
    "catalog": ("catalog",),
    "learn": ("learn", "candidates"),
    "evaluate": ("eval",),
    "audit": ("audit",),
    "serve": ("serve",),
    "install": ("add", "install", "update", "remove", "sync"),
    "route": ("route", "reindex"),
    "transfer": ("export", "import"),
    "doctor": ("init", "verify"),
    "registry": ("publish", "search", "registry"),
    "agents": ("agents",),
    "inventory": ("inventory",),
    "outdated": ("outdated",),
    "provenance": ("sign", "verify-signature", "sbom"),
}


def _show_version(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"skillyard {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Find, vet, serve, learn and measure LLM agent skills (SKILL.md packages)."""


def build_app(groups: list[str] | None = None) -> typer.Typer:
    """The CLI with the named groups (of COMMAND_GROUPS), or every group."""
    app = typer.Typer(
        name="skillyard",
        help="Find, vet, serve, learn and measure LLM agent skills (SKILL.md packages).\n\n"
        + EXIT_CODES_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode="rich",
    )
    app.callback()(_root)  # a callback keeps a one-group app a group: `skillyard route ...`
    for group in COMMAND_GROUPS if groups is None else groups:
        importlib.import_module(f".{group}", __name__).register(app)
    reflow_app(app)
    return app


def groups_for(args: list[str]) -> list[str] | None:
    """The groups a command line needs: the one that has its command, none for
    ``--version``; every group (None) for help, or for a name no group has (typer's
    "No such command" then lists them all)."""
    if args[:1] == ["--version"]:
        return []
    if args and not args[0].startswith("-"):
        found = [g for g, names in COMMAND_GROUPS.items() if args[0] in names]
        return found or None
    return None


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole CLI, made on first use
        app = globals()["app"] = build_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    args = sys.argv[1:]
    sys.exit(run_app(build_app(groups_for(args)), args))
