"""Explicit, numbered schema migrations kept as SQL files in ``migrations/``."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

from ..errors import StoreError

_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


def available() -> list[tuple[int, str]]:
    """(number, sql) for every migration file, in order."""
    folder = resources.files("skillyard.library") / "migrations"
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


def migrate_sqlite(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date inside one write transaction; return the version."""
    steps = available()
    latest = steps[-1][0] if steps else 0
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > latest:
        raise StoreError(
            f"the library schema is version {current}, newer than this skillyard knows "
            f"({latest}); upgrade skillyard"
        )
    if current == latest:
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may win
        for number, sql in steps:
            if number <= current:
                continue
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return latest
