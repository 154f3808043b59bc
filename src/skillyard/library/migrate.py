"""Explicit, numbered schema migrations kept as SQL files in ``migrations/``."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from typing import Any

from ..errors import StoreError

MIGRATION_LOCK = 0x736B_6C79_6D69  # advisory lock key: one migrating process at a time
_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


DIALECTS = ("sqlite", "postgresql")


def available(dialect: str = "sqlite") -> list[tuple[int, str]]:
    """(number, sql) for every migration file of a dialect, in order. SQLite's files sit in
    ``migrations/``; every other dialect has the same numbers in ``migrations/<dialect>/``."""
    folder = resources.files("skillyard.library") / "migrations"
    if dialect != "sqlite":
        folder = folder / dialect
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def statements(sql: str) -> list[str]:
    """Split a migration file into statements (no semicolons inside our statements)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _applied(conn: sqlite3.Connection) -> set[int] | None:
    """Numbers of applied migrations, or None when the tracking table does not exist yet."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return None
    return {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}


def migrate_sqlite(conn: sqlite3.Connection) -> int:
    """Apply every migration not applied yet, in number order, in one write transaction.

    Applied numbers are recorded one by one (not as a high-water mark), so a migration that
    arrives with a lower number than one already applied still runs.
    """
    steps = available()
    known = {number for number, _ in steps}
    applied = _applied(conn)
    if applied is not None and applied >= known:
        _refuse_newer(applied - known)
        return max(known, default=0)
    conn.execute("BEGIN IMMEDIATE")
    try:
        applied = _applied(conn)  # another process may have migrated meanwhile
        if applied is None:
            legacy = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(
                "CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, applied_at TEXT "
                "NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            applied = {n for n in known if n <= legacy}
            if legacy > max(known, default=0):
                _refuse_newer({legacy})
            for number in sorted(applied):
                conn.execute("INSERT INTO schema_migrations (number) VALUES (?)", (number,))
        _refuse_newer(applied - known)
        _apply_missing(conn, steps, applied, "?")
        conn.execute(f"PRAGMA user_version = {max(known, default=0)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(known, default=0)


def migrate_postgres(conn: Any) -> int:
    """Apply missing PostgreSQL migrations in one transaction, holding an advisory lock so
    that processes starting together migrate one after the other."""
    steps = available("postgresql")
    known = {number for number, _ in steps}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        _refuse_newer(applied - known)
        _apply_missing(conn, steps, applied, "%s")
    return max(known, default=0)


def _apply_missing(conn: Any, steps: list[tuple[int, str]], applied: set[int],
                   mark: str) -> None:
    """Run each migration not in ``applied`` and record it (``mark``: the driver's parameter
    mark); the caller holds the transaction."""
    for number, sql in steps:
        if number in applied:
            continue
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute(f"INSERT INTO schema_migrations (number) VALUES ({mark})", (number,))


def _refuse_newer(unknown: set[int]) -> None:
    if unknown:
        raise StoreError(
            f"the library has schema migration {max(unknown)}, newer than this skillyard "
            "knows; upgrade skillyard"
        )
