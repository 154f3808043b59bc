"""Shared CLI pieces: the --db and --json options, output helpers, consoles, and the one
exit-code contract every command keeps:

- 0 success;
- 1 a finding: something blocked, invalid, rejected, tampered with or damaged;
- 2 a usage or input error: a bad flag, a missing path, an unreadable library or file.

Under ``--json`` an error is printed as one JSON object on stdout
(``{"error": "...", "exit_code": N}``) instead of a line on stderr.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..api import Library
from ..errors import StoreError
from ..library import default_location

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_USAGE = 2
EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 a finding (blocked, invalid, rejected, tampered, damaged); "
    "2 a usage or input error (bad flag, missing path, unreadable library). "
    "With --json, an error is a JSON object on stdout."
)

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


def open_library(db: str | None, *, create: bool = False) -> Library:
    """Open the library; only commands that write skills (index, add, import, init, install,
    learn) pass ``create=True``: a read command on a mistyped path is an error, not a new file."""
    if db is not None and not db.strip():
        raise StoreError("--db is empty; give a library file or a postgresql:// URL")
    return Library(db, create=create)


ID_HEADERS = ("id", "skill", "run", "candidate")


class _AtLeast:
    """Render a table at least ``width`` cells wide (the console does not crop soft-wrapped
    output), so that the columns that must stay whole fit on one line."""

    def __init__(self, table: Any, width: int) -> None:
        self.table, self.width = table, width

    def __rich_console__(self, con: Console, options: Any) -> Any:
        yield from con.render(self.table, options.update(width=max(options.max_width,
                                                                    self.width)))


def keep_whole(table: Any, *headers: str) -> Any:
    """Never cut the cells of these columns (ids are typed back in): the other columns shrink
    first, and the table grows wider than the terminal rather than cut an id."""
    from rich.cells import cell_len
    from rich.text import Text

    wanted = headers or ID_HEADERS
    need = 0
    for column in table.columns:
        if str(column.header) in wanted:
            column.no_wrap = True
            column.overflow = "fold"
            need += max((cell_len(Text.from_markup(c).plain if isinstance(c, str) else str(c))
                         for c in column.cells), default=0) + 3
        else:
            need += 14
    return _AtLeast(table, need)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def library_for_write(db: str | None, *, keep: bool = True) -> Iterator[Library]:
    """Open (or create) the library for a write command; if this call created the file and the
    command fails (or ``keep`` is False, a dry run), remove it and any folders it made."""
    where = db or default_location()
    fresh: Path | None = None
    if "://" not in where:
        path = Path(where)
        if not path.exists():
            fresh = path
            while not fresh.parent.exists():
                fresh = fresh.parent
    ok = False
    try:
        with open_library(db, create=True) as lib:
            yield lib
        ok = keep
    finally:
        if fresh is not None and not ok:
            _discard(fresh, Path(where))


def _discard(top: Path, db: Path) -> None:
    if top != db:
        shutil.rmtree(top, ignore_errors=True)
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def png_path(value: Path | None) -> Path | None:
    """Option callback: charts are PNG, so a file named .svg or .pdf would hold PNG bytes."""
    if value is not None and value.suffix.lower() != ".png":
        raise typer.BadParameter(f"{value}: the chart is a PNG image; give a file ending in .png")
    return value


_json_errors = False


def json_errors(enabled: bool) -> None:
    """Report errors as JSON objects (set from ``--json`` on the command line)."""
    global _json_errors
    _json_errors = enabled


def report_error(message: str, code: int) -> None:
    """One error, as one line on stderr or (under --json) one JSON object on stdout."""
    if _json_errors:
        sys.stdout.write(json.dumps({"error": message, "exit_code": code},
                                    ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        from rich.markup import escape

        err_console.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False)


def fail(message: str, code: int = EXIT_FINDING) -> typer.Exit:
    """Report one clear error and return an Exit to raise."""
    report_error(message, code)
    return typer.Exit(code)


def _json_requested(argv: list[str]) -> bool:
    return "--json" in argv or "--format=json" in argv


def _printable_streams() -> None:
    """A name the OS could not decode (a lone surrogate, utf8.py) is printed as ``\\udcff``
    rather than failing the command; inside a JSON string (``print_json``, ``--json``
    errors, route batch lines) that is the JSON escape of the same name."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def run_app(app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the CLI under the exit-code contract; return the code (never a traceback for
    input a user can give: every error is one line, or one JSON object under --json)."""
    import os

    from typer.exceptions import Abort, Exit, TyperException

    from ..errors import SkillyardError

    args = sys.argv[1:] if argv is None else argv
    _printable_streams()
    json_errors(_json_requested(args))
    try:
        result = app(args=args, standalone_mode=False)
        return result if isinstance(result, int) else EXIT_OK
    except Exit as exc:
        return exc.exit_code
    except TyperException as exc:  # bad flag, missing argument, bad value: usage
        if _json_errors:
            report_error(exc.format_message(), EXIT_USAGE)
        else:
            from typer import rich_utils

            rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
        return EXIT_USAGE
    except Abort:
        report_error("aborted", 130)
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except SkillyardError as exc:
        report_error(" ".join(str(exc).split()) or type(exc).__name__, exc.exit_code)
        return exc.exit_code
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        report_error(where + str(exc.strerror or exc), EXIT_USAGE)
        return EXIT_USAGE
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("SKILLYARD_DEBUG"):
            raise
        report_error(f"internal error ({type(exc).__name__}: {exc}); this is a bug, "
                     "SKILLYARD_DEBUG=1 shows the traceback", EXIT_USAGE)
        return EXIT_USAGE
