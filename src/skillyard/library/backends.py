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


def open_store(location: str | Path | None = None, *, create: bool = True) -> Store:
    """``postgresql://...`` (or ``postgres://``) opens PostgreSQL; anything else is a file.

    ``create=False`` refuses a library file that does not exist yet (read commands must not
    leave an empty library, and its folders, behind a mistyped path).
    """
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

    if not create and not Path(where).exists():
        from ..errors import StoreError

        raise StoreError(f"{where}: no library there; 'skillyard index PATH' or 'skillyard init' "
                         "creates one (check --db / SKILLYARD_DB)")
    return SQLiteStore(Path(where))
