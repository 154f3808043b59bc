"""The PostgreSQL backend: one shared team library, many concurrent processes.

Same tables and semantics as SQLite (see ``sqlbase.py``); embeddings live in pgvector. Writers
take a transaction-scoped advisory lock, so like SQLite's ``BEGIN IMMEDIATE`` one write
transaction runs at a time (version numbers stay gap-free and unique) while readers, under
MVCC, are never blocked. A writer killed mid-transaction leaves nothing: the server rolls the
transaction back when its connection drops, and the lock goes with it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
from psycopg import pq

from ..errors import StoreError
from .migrate import migrate_postgres
from .sqlbase import SQLStore, text_params

WRITE_LOCK = 0x736B_6C79_7772  # advisory lock key shared by every skillyard writer
LOCK_TIMEOUT = "60s"
CONNECT_TIMEOUT = 10
URL_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.split("://", 1)[0] in URL_SCHEMES \
        and "://" in location


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and cache keys)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """Portable '?' parameter marks to psycopg's '%s' (and literal '%' to '%%'), leaving quoted
    literals alone."""
    out = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresStore(SQLStore):
    """A Store on one PostgreSQL database. One connection per instance, shared by threads."""

    def __init__(self, url: str) -> None:
        self.path = redact(url)
        self._mutex = threading.RLock()
        self._tx_owner: int | None = None
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                         application_name="skillyard")
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot connect to PostgreSQL "
                             f"({_first_line(exc)})") from None
        try:
            self._conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            _refuse_foreign(self._conn, self.path)
            migrate_postgres(self._conn)
            from pgvector.psycopg import register_vector

            register_vector(self._conn)
        except psycopg.errors.FeatureNotSupported as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            self._conn.close()
            hint = ""
            if "vector" in str(exc):
                hint = ("; the server needs the pgvector extension (Debian: "
                        "postgresql-NN-pgvector, or scripts/install-postgres.sh)")
            raise StoreError(f"{self.path}: not a usable skillyard library "
                             f"({_first_line(exc)}){hint}") from None

    # -- backend hooks -------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            try:
                return self._conn.execute(to_pyformat(sql),
                                          text_params(params, allow_nul=False)).fetchall()
            except psycopg.OperationalError as exc:
                raise StoreError(f"{self.path}: {_first_line(exc)}") from None

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._mutex:
            try:
                self._conn.execute(to_pyformat(sql), text_params(params, allow_nul=False))
            except psycopg.OperationalError as exc:
                raise StoreError(f"{self.path}: {_first_line(exc)}") from None

    def _in_transaction(self) -> bool:
        """True only in the thread that opened the transaction: another thread's statements
        wait for it to end instead of joining it."""
        return self._tx_owner == threading.get_ident()

    def _begin_write(self) -> None:
        self._mutex.acquire()
        try:
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            self._tx_owner = threading.get_ident()
        except psycopg.Error as exc:
            self._abandon()
            if isinstance(exc, psycopg.errors.LockNotAvailable):
                raise StoreError(f"{self.path}: library is busy (another writer held it for "
                                 f"{LOCK_TIMEOUT}); try again") from None
            raise StoreError(f"{self.path}: {_first_line(exc)}") from None

    def _abandon(self) -> None:
        """Roll back a transaction that could not start properly, and let others in."""
        try:
            if self._conn.info.transaction_status != pq.TransactionStatus.IDLE:
                self._conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # the connection is gone; the server dropped the transaction with it
        finally:
            self._mutex.release()

    def _end(self, commit: bool) -> None:
        try:
            if self._conn.info.transaction_status == pq.TransactionStatus.INERROR:
                commit = False
            self._conn.execute("COMMIT" if commit else "ROLLBACK")
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: {_first_line(exc)}") from None
        finally:
            self._tx_owner = None
            self._mutex.release()

    # -- vectors: pgvector ---------------------------------------------------------------
    def put_vectors(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> int:
        if not items:
            return 0
        rows = [(model, bytes(key), int(vec.shape[0]), np.asarray(vec, np.float32))
                for key, vec in items]
        with self.transaction(), self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO embeddings (model, key, dims, vector) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (model, key) DO NOTHING", rows)
            return max(cur.rowcount, 0)

    def get_vectors(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        if not keys:
            return {}
        rows = self._rows("SELECT key, vector FROM embeddings WHERE model = ? AND key = ANY(?)",
                          (model, [bytes(k) for k in keys]))
        return {bytes(key): _as_array(vec) for key, vec in rows}

    def close(self) -> None:
        self._conn.close()


def _as_array(value: Any) -> np.ndarray:
    """pgvector hands back a ``Vector`` (binary protocol) or an array (text protocol)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, np.float32)


def _refuse_foreign(conn: psycopg.Connection, where: str) -> None:
    """Refuse a database whose ``skills`` table is not ours, before changing anything."""
    row = conn.execute(
        "SELECT to_regclass('skills') IS NOT NULL, to_regclass('schema_migrations') IS NOT NULL"
    ).fetchone()
    if row is not None and row[0] and not row[1]:
        raise StoreError(f"{where}: the database has a 'skills' table that is not a skillyard "
                         "library")
