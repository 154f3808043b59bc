"""Pick the store for a library location: a PostgreSQL URL or an SQLite file path."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from .store import Store

ENV_DB = "SKILLYARD_DB"


def default_location() -> str:
    """``$SKILLYARD_DB`` if set, else ``library.db`` in the user's data folder."""
    env = os.environ.get(ENV_DB)
    if env:
        return env
    return str(Path(platformdirs.user_data_dir("skillyard", appauthor=False)) / "library.db")


def open_store(location: str | Path | None = None) -> Store:
    """``postgresql://...`` (or ``postgres://``) opens PostgreSQL; anything else is a file."""
    where = default_location() if location is None else location
    if isinstance(where, str) and "://" in where:
        from ..errors import StoreError
        from .postgres import PostgresStore, is_postgres_url

        if not is_postgres_url(where):
            scheme = where.split("://", 1)[0]
            raise StoreError(f"{scheme}://: unsupported library URL; use a file path or "
                             "postgresql://user@host/database")
        return PostgresStore(where)
    from .sqlite import SQLiteStore

    return SQLiteStore(Path(where))
