"""Help text that reads well at any terminal width.

Docstrings and epilogs are hard-wrapped in the source (at 100 columns). In typer's rich
mode a single newline stays a line break, so on an 80-column terminal each long source line
wrapped again and left a word or two on a line of its own. ``reflow`` joins the lines of
each prose paragraph so rich wraps it to the terminal; an indented paragraph (an example
block) is kept line for line, and tests/test_cli_help.py keeps those lines within
``EXAMPLE_WIDTH``.
"""

from __future__ import annotations

import inspect

import typer

# Rich pads an epilog by one column a side: lines this long fit an 80-column terminal.
EXAMPLE_WIDTH = 78


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of each prose paragraph; keep indented blocks as written."""
    paragraphs = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = paragraph.split("\n")
        if paragraph.startswith("\b") or any(line[:1].isspace() for line in lines):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines if line.strip()))
    # Rich dedents the text as a whole (inspect.cleandoc, which sets the first line apart):
    # a first line of its own keeps an example block's indent.
    return "\n" + "\n\n".join(paragraphs) if text.strip() else text


def reflow_app(app: typer.Typer) -> None:
    """Reflow the help and epilog of every command and group of ``app``, in place."""
    info = app.info
    if isinstance(info.help, str):
        info.help = reflow(info.help)
    if isinstance(info.epilog, str):
        info.epilog = reflow(info.epilog)
    for command in app.registered_commands:
        text = command.help if isinstance(command.help, str) else inspect.getdoc(command.callback)
        if text:
            command.help = reflow(text)
        if isinstance(command.epilog, str):
            command.epilog = reflow(command.epilog)
    for group in app.registered_groups:
        if isinstance(group.help, str):
            group.help = reflow(group.help)
        if isinstance(group.epilog, str):
            group.epilog = reflow(group.epilog)
        if group.typer_instance is not None:
            reflow_app(group.typer_instance)
