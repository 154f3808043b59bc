"""Help reads well on an 80-column terminal (skillyard/cli/help_text.py): prose paragraphs
are joined so rich wraps them once, and every example line fits, so none is broken."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from skillyard import cli
from skillyard.cli.help_text import EXAMPLE_WIDTH, reflow


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), (*path, name))


COMMANDS = list(_commands(typer.main.get_command(cli.app)))


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.strip("\n").split("\n\n") if p.strip()]


def _example_lines(text: str) -> list[str]:
    return [line for p in _paragraphs(text) if p[:1].isspace()
            for line in p.split("\n") if line.strip()]


def test_reflow_joins_prose_and_keeps_example_blocks() -> None:
    text = ("\nExamples:\n\n  skillyard route \"x\"    # one\n  skillyard route -k 3\n\n"
            "A batch file has one\nobject a line; a bad\nline is reported.\n")
    assert reflow(text) == ("\nExamples:\n\n  skillyard route \"x\"    # one\n"
                            "  skillyard route -k 3\n\n"
                            "A batch file has one object a line; a bad line is reported.")


def test_reflow_keeps_a_no_rewrap_paragraph() -> None:
    assert reflow("Usage:\n\n\b\nline one\nline two") == "\nUsage:\n\n\b\nline one\nline two"


def test_reflow_keeps_an_example_block_indented_when_help_starts_with_it() -> None:
    assert reflow("  skillyard list\n\n  skillyard list --json") == (
        "\n  skillyard list\n\n  skillyard list --json")


words = st.text(alphabet="abc xyz-.:#\n", min_size=0, max_size=120)


@given(words)
def test_reflow_keeps_every_word_in_order_and_is_stable(text: str) -> None:
    once = reflow(text)
    assert once.split() == text.split()
    assert reflow(once) == once


def _id(path: tuple[str, ...]) -> str:
    return " ".join(path) or "skillyard"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[_id(p) for p, _ in COMMANDS])
def test_prose_is_one_line_a_paragraph_and_examples_fit(path: tuple[str, ...],
                                                        command: Any) -> None:
    for text in (command.help or "", command.epilog or ""):
        for paragraph in _paragraphs(text):
            if not paragraph[:1].isspace() and not paragraph.startswith("\b"):
                assert "\n" not in paragraph.strip(), paragraph
        for line in _example_lines(text):
            assert len(line) <= EXAMPLE_WIDTH, f"{' '.join(path)}: {line!r}"


WITH_EXAMPLES = [(p, c) for p, c in COMMANDS if p and _example_lines(c.epilog or "")]


@pytest.mark.parametrize(("path", "command"), WITH_EXAMPLES, ids=[_id(p) for p, _ in WITH_EXAMPLES])
def test_every_example_is_shown_whole_at_80_columns(path: tuple[str, ...],
                                                    command: Any) -> None:
    result = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    shown = [line.rstrip() for line in result.output.splitlines()]
    assert max(len(line) for line in shown) <= 80
    for line in _example_lines(command.epilog):
        # rich pads the epilog by one column; the example keeps its own indent
        assert " " + line.rstrip() in shown, f"{' '.join(path)}: {line!r} was wrapped"
