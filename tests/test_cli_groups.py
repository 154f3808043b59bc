"""The CLI imports a group's module only for that group's commands (skillyard/cli/__init__):
the table of names it reads matches what each module registers, every command still works
from the whole app, and a one-shot command leaves the other groups' modules unimported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
import typer

from skillyard import cli


def _names(app: typer.Typer) -> list[str]:
    commands = [c.name or c.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
                for c in app.registered_commands]
    return commands + [g.name or g.typer_instance.info.name  # type: ignore[misc]
                       for g in app.registered_groups]


@pytest.mark.parametrize("group", list(cli.COMMAND_GROUPS))
def test_the_table_names_what_each_group_registers(group: str) -> None:
    app = typer.Typer()
    importlib.import_module(f"skillyard.cli.{group}").register(app)
    assert tuple(_names(app)) == cli.COMMAND_GROUPS[group]


def test_the_whole_app_has_every_command_once() -> None:
    names = _names(cli.app)
    assert sorted(names) == sorted(n for group in cli.COMMAND_GROUPS.values() for n in group)
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("args", "groups"), [
    (["route", "build an MCP server"], ["route"]),
    (["reindex", "--full"], ["route"]),
    (["verify-signature", "x"], ["provenance"]),
    (["eval", "run", "tasks/"], ["evaluate"]),
    (["--version"], []),
    ([], None), (["--help"], None), (["-h", "route"], None),
    (["rout", "x"], None),  # no group has it: all of them, for typer's suggestion
])
def test_groups_for(args: list[str], groups: list[str] | None) -> None:
    assert cli.groups_for(args) == groups


PROBE = """
import json, sys
sys.argv = ["skillyard", *json.loads(sys.argv[1])]
from skillyard.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules
                                              if m.startswith("skillyard."))}))
"""


def _probe(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_route_command_leaves_the_other_groups_unimported() -> None:
    seen = _probe("route", "--help")
    assert seen["code"] == 0
    loaded = set(seen["loaded"])
    assert "skillyard.cli.route" in loaded
    for other in ("skillyard.cli.audit", "skillyard.cli.learn", "skillyard.cli.evaluate",
                  "skillyard.audit.engine", "skillyard.learn.pipeline", "skillyard.evaluate"):
        assert other not in loaded, other


def test_help_and_a_misspelt_command_see_every_group() -> None:
    assert "skillyard.cli.audit" in _probe("--help")["loaded"]
    misspelt = _probe("rout", "x")
    assert misspelt["code"] == 2 and "skillyard.cli.provenance" in misspelt["loaded"]
