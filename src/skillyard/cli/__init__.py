"""The ``skillyard`` command line: a thin shell over the Python API, one module per group."""

from __future__ import annotations

import sys

import typer

from . import agents as agents_cli
from . import audit as audit_cli
from . import browse, catalog, doctor, index, validate
from . import evaluate as evaluate_cli
from . import install as install_cli
from . import inventory as inventory_cli
from . import learn as learn_cli
from . import outdated as outdated_cli
from . import provenance as provenance_cli
from . import registry as registry_cli
from . import route as route_cli
from . import serve as serve_cli
from . import transfer as transfer_cli
from .common import EXIT_CODES_HELP, run_app

app = typer.Typer(
    name="skillyard",
    help="Find, vet, serve, learn and measure LLM agent skills (SKILL.md packages).\n\n"
    + EXIT_CODES_HELP,
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
    doctor,
    registry_cli,
    agents_cli,
    inventory_cli,
    outdated_cli,
    provenance_cli,
]
for module in COMMAND_GROUPS:
    module.register(app)


def _show_version(value: bool) -> None:
    if value:
        from .._version import __version__

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
    sys.exit(run_app(app))
