"""The ``skillyard`` command line: a thin shell over the Python API, one module per group."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from ..errors import SkillyardError
from . import agents as agents_cli
from . import audit as audit_cli
from . import browse, catalog, index, validate
from . import evaluate as evaluate_cli
from . import install as install_cli
from . import inventory as inventory_cli
from . import learn as learn_cli
from . import outdated as outdated_cli
from . import route as route_cli
from . import serve as serve_cli
from . import transfer as transfer_cli
from .common import err_console

app = typer.Typer(
    name="skillyard",
    help="Find, vet, serve, learn and measure LLM agent skills (SKILL.md packages).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)

# One command group a line; each module has register(app).
COMMAND_GROUPS = [
    index,
    browse,
    validate,
    catalog,
    learn_cli,
    evaluate_cli,
    audit_cli,
    serve_cli,
    install_cli,
    route_cli,
    transfer_cli,
    agents_cli,
    inventory_cli,
    outdated_cli,
]
for module in COMMAND_GROUPS:
    module.register(app)


def _show_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"skillyard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Find, vet, serve, learn and measure LLM agent skills (SKILL.md packages)."""


def main() -> None:
    try:
        app()
    except SkillyardError as exc:
        # escape: a message may hold brackets (paths, "skillyard[ray]") that are not markup
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", markup=True,
                          highlight=False)
        sys.exit(1)
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[red]error:[/red] {escape(where + str(exc.strerror or exc))}",
                          markup=True, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
