"""The embedded SQLite backend: one file in WAL mode, content-addressed blobs, versions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError
from .migrate import migrate_sqlite
from .sqlbase import SQLStore, text_params

BUSY_TIMEOUT_MS = 60_000
_KEYS_PER_QUERY = 500


class SQLiteStore(SQLStore):
    """A Store on one SQLite file. Safe for several processes; one connection per instance."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        target = Path(path)
        if target.exists() and target.is_dir():
            raise StoreError(f"{path}: is a folder, not a library database")
        if not readonly:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            uri = f"file:{target}?mode=ro" if readonly else str(target)
            self._conn = sqlite3.connect(
                uri, uri=readonly, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _refuse_foreign(self._conn, path)
            if not readonly:
                _use_wal(self._conn)
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                migrate_sqlite(self._conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable skillyard library ({exc})") from None

    # -- backend hooks -------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._conn.execute(sql, text_params(params)).fetchall()]

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, text_params(params))

    def _in_transaction(self) -> bool:
        return self._conn.in_transaction

    def _begin_write(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: library is busy ({exc}); try again") from None

    def _end(self, commit: bool) -> None:
        self._conn.execute("COMMIT" if commit else "ROLLBACK")

    # -- vectors: float32 bytes in a BLOB ------------------------------------------------
    def put_vectors(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> int:
        added = 0
        with self.transaction():
            for key, vector in items:
                cur = self._conn.execute(
                    "INSERT INTO embeddings (model, key, dims, vector) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (model, key) DO NOTHING",
                    (model, bytes(key), int(vector.shape[0]),
                     np.asarray(vector, "<f4").tobytes()))
                added += cur.rowcount
        return added

    def get_vectors(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        wanted = [bytes(k) for k in keys]
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start:start + _KEYS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})",
                (model, *chunk))
            for key, blob in rows:
                out[bytes(key)] = np.frombuffer(blob, "<f4").astype(np.float32)
        return out

    def close(self) -> None:
        self._conn.close()


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode. SQLite does not wait on a busy file for this switch (its busy
    handler is not called), so processes opening a new library at the same moment retry it
    for up to BUSY_TIMEOUT_MS."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _refuse_foreign(conn: sqlite3.Connection, path: str | Path) -> None:
    """Refuse an SQLite file that holds other tables, before changing anything in it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "skills" not in tables and "schema_migrations" not in tables:
        raise StoreError(f"{path}: an SQLite database, but not a skillyard library")
