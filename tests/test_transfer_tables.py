"""The export's table list is the library schema: a migration that adds a table or a column
fails here until ``skillyard.library.transfer`` knows about it (in ``TABLES``, or named in
``RUNTIME_TABLES`` as server state that an archive does not carry)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from skillyard import Library
from skillyard.library.transfer import ALL_TABLES, BY_NAME, RUNTIME_TABLES, TABLES


def test_every_sqlite_table_and_column_is_exported(tmp_path: Path) -> None:
    Library(tmp_path / "fresh.db").close()
    conn = sqlite3.connect(tmp_path / "fresh.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not r[0].startswith("sqlite_")} - {"schema_migrations", *RUNTIME_TABLES}
    assert tables == {t.name for t in ALL_TABLES}
    for name in tables:
        columns = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({name})"))
        assert columns == BY_NAME[name].columns, name
        keys = tuple(r[1] for r in sorted(conn.execute(f"PRAGMA table_info({name})"),
                                          key=lambda r: r[5]) if r[5])
        assert set(keys) == set(BY_NAME[name].key), name
    conn.close()


def test_every_postgres_table_and_column_is_exported(pg_dsn: str) -> None:
    Library(pg_dsn).close()
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
    columns: dict[str, tuple[str, ...]] = {}
    for table, column in rows:
        columns[table] = (*columns.get(table, ()), column)
    columns.pop("schema_migrations")
    for name in RUNTIME_TABLES:
        columns.pop(name)
    assert columns == {t.name: t.columns for t in ALL_TABLES}


def test_tables_come_after_the_tables_they_reference(tmp_path: Path) -> None:
    Library(tmp_path / "fresh.db").close()
    conn = sqlite3.connect(tmp_path / "fresh.db")
    order = [t.name for t in TABLES]
    references = 0
    for name in order:
        for fk in conn.execute(f"PRAGMA foreign_key_list({name})"):
            references += 1
            assert order.index(fk[2]) < order.index(name), (name, fk[2])
    conn.close()
    assert references >= 4  # versions -> skills, eval_* -> eval_runs
