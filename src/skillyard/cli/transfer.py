"""``skillyard export`` and ``skillyard import``: move a library between SQLite and PostgreSQL
through one archive file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import StoreError
from ..library import default_location
from .common import DbOption, JsonOption, console, err_console, library_for_write, open_library

EXPORT_EXAMPLES = """
Examples:

  skillyard export team.skillyard.gz --db lib.db && \\
    skillyard import team.skillyard.gz --db postgresql://localhost/skills

  skillyard export backup.skillyard.gz --json   # library in SKILLYARD_DB

  skillyard export - --db postgresql://db/skills | gzip -t   # to stdout
"""

IMPORT_EXAMPLES = """
Examples:

  skillyard import team.skillyard.gz --db postgresql://localhost/skills

  skillyard import team.skillyard.gz --db lib.db --merge   # has skills

  skillyard import team.skillyard.gz --dry-run --json   # verify only

  cat team.skillyard.gz | skillyard import - --db lib.db   # from stdin
"""


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A progress bar on stderr (when it is a terminal); yields the (stage, done, total)
    callback or None."""
    if not err_console.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} rows"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def tick(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label} {stage}", completed=done, total=total)

        yield tick


def _emit(value: dict[str, Any], to: Console) -> None:
    import json

    to.file.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def register(app: typer.Typer) -> None:
    @app.command("export", epilog=EXPORT_EXAMPLES)
    def export_cmd(
        file: Annotated[str, typer.Argument(
            metavar="FILE", help="Archive to write (gzip'd JSON lines); '-' for stdout.")],
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Write the whole library to one archive: every skill version, file blob, audit
        verdict, evaluation run, learn candidate and embedding, with a checksum."""
        out = err_console if file == "-" else console  # stdout carries the archive
        where = db or default_location()
        if "://" not in where and not Path(where).exists():  # a typo would export nothing
            raise StoreError(f"{where}: no library there, nothing to export")
        if file != "-" and not Path(file).absolute().parent.is_dir():
            raise StoreError(f"{file}: the folder {Path(file).absolute().parent} does not exist")
        with open_library(db) as lib, _progress("exporting") as tick:
            report = lib.export_archive(file, progress=tick)
        if as_json:
            _emit(report.to_dict(), out)
            return
        size = f"{report.bytes / 1e6:.1f} MB"
        out.print(f"exported {sum(report.counts.values())} rows from {escape(report.db)} "
                  f"({report.backend}) to {escape(report.archive)}: {size}, "
                  f"{report.seconds:.1f} s")
        out.print(_counts_line(report.counts))

    @app.command("import", epilog=IMPORT_EXAMPLES)
    def import_cmd(
        file: Annotated[str, typer.Argument(
            metavar="FILE", help="Archive written by 'skillyard export'; '-' for stdin.")],
        db: DbOption = None,
        merge: Annotated[bool, typer.Option(
            "--merge", help="Import into a library that already holds skills: identical rows "
            "are skipped, any conflicting row stops the import.")] = False,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Read and verify everything, then roll back.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Load an archive into the library in one transaction. Blob contents, the archive
        checksum and every version's digest are verified before anything is committed."""
        if file != "-" and not Path(file).is_file():
            raise StoreError(f"{file}: no such archive")
        with library_for_write(db, keep=not dry_run) as lib, _progress("importing") as tick:
            report = lib.import_archive(file, merge=merge, dry_run=dry_run, progress=tick)
        if as_json:
            _emit(report.to_dict(), console)
            return
        table = Table("table", "rows", "added", "skipped",
                      title=f"{'verified (dry run, nothing written)' if dry_run else 'imported'}"
                      f" into {escape(report.db)}")
        for name, counts in report.tables.items():
            table.add_row(name, str(counts.rows), str(counts.added), str(counts.skipped))
        console.print(table)
        console.print(f"from a {report.source_backend} library (skillyard "
                      f"{escape(report.skillyard)}); {report.verified_versions} versions and "
                      f"{report.verified_blobs} blobs verified, {report.seconds:.1f} s")


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "the library is empty"
