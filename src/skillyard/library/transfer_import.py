"""Import an archive into a library in one transaction.

Rows are checked as they stream in (each blob's content against its sha256 and size; with
``merge``, each row against the row of the same key already in the library), then every
imported version is read back and its digest recomputed, and the archive's checksum is checked
at its end. Any failure — or a dry run — rolls the whole transaction back.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import SkillyardError
from ..skill import sha256_hex
from .migrate import available
from .sqlbase import decode_blob
from .store import Store
from .transfer import (
    ALL_TABLES,
    BY_NAME,
    EMBEDDINGS,
    ImportReport,
    Progress,
    Table,
    TableCounts,
    TransferError,
    migrations_of,
)
from .transfer_archive import ArchiveError, ArchiveReader, Header
from .transfer_verify import verify_imported

MAX_CONFLICTS_SHOWN = 5
_PARAMS_PER_INSERT = 900  # bound parameters per statement (SQLite allows 32,766)
_BATCH_BYTES = 8 << 20  # flush a batch of rows at this much data


class _Rollback(Exception):
    """Raised inside the import transaction to undo a dry run."""


def _check_header(header: Header, store: Store, name: str) -> None:
    """Refuse an archive this skillyard or this target cannot hold, before writing."""
    newer = set(header.migrations) - {n for n, _ in available()}
    if newer:
        raise ArchiveError(f"{name}: written by a newer skillyard ({header.skillyard}, schema "
                           f"migration {max(newer)}); upgrade skillyard to import it")
    missing = set(header.migrations) - set(migrations_of(store))
    if missing:
        raise ArchiveError(f"{name}: the target library lacks schema migration "
                           f"{min(missing)}; upgrade the skillyard that serves it")
    for table, layout in header.tables.items():
        ours = BY_NAME.get(table)
        if ours is None:
            raise ArchiveError(f"{name}: holds table {table!r}, which this skillyard does not "
                               "know; upgrade skillyard")
        if layout != ours.layout:
            raise ArchiveError(f"{name}: table {table} has columns {list(layout.columns)}, "
                               f"this skillyard expects {list(ours.columns)}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, memoryview):
        a = bytes(a)
    if isinstance(b, memoryview):
        b = bytes(b)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN
    return bool(a == b) and (a is None) == (b is None)


class _Importer:
    """Streams archive rows into the target inside the caller's transaction."""

    def __init__(self, store: Store, report: ImportReport) -> None:
        self.store = store
        self.report = report
        self.conflicts: list[str] = []
        self.conflict_count = 0
        self.added_versions: list[tuple[str, int, str]] = []
        # Tables with rows before the import: only there can a row already exist.
        self.occupied = {t.name for t in ALL_TABLES
                         if store.query(f"SELECT 1 FROM {t.name} LIMIT 1")}

    def _conflict(self, table: Table, key: Sequence[Any]) -> None:
        self.conflict_count += 1
        if len(self.conflicts) < MAX_CONFLICTS_SHOWN:
            shown = ", ".join(v.hex()[:16] if isinstance(v, bytes) else str(v) for v in key)
            self.conflicts.append(f"{table.name}({shown})")

    def _existing(self, table: Table, rows: list[list[Any]]) -> dict[tuple[Any, ...], tuple]:
        if table.name not in self.occupied:
            return {}
        idx = [table.columns.index(k) for k in table.key]
        # Content-addressed rows are compared by key alone: fetch only the key.
        wanted = table.key if table.content_addressed else table.columns
        at = [wanted.index(k) for k in table.key]
        found: dict[tuple[Any, ...], tuple] = {}
        step = max(1, _PARAMS_PER_INSERT // len(idx))
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            params = [row[i] for row in chunk for i in idx]
            if len(idx) == 1:
                where = f"{table.key[0]} IN ({', '.join('?' * len(chunk))})"
            else:
                one = "(" + " AND ".join(f"{k} = ?" for k in table.key) + ")"
                where = " OR ".join([one] * len(chunk))
            for row in self.store.query(
                    f"SELECT {', '.join(wanted)} FROM {table.name} WHERE {where}", params):
                found[tuple(_norm(row[i]) for i in at)] = row
        return found

    def flush(self, table: Table, rows: list[list[Any]]) -> None:
        if not rows:
            return
        counts = self.report.tables.setdefault(table.name, TableCounts())
        counts.rows += len(rows)
        if table is EMBEDDINGS:
            self._flush_vectors(rows, counts)
            return
        if table.name == "blobs":
            for row in rows:
                _verify_blob(row)
        existing = self._existing(table, rows)
        idx = [table.columns.index(k) for k in table.key]
        fresh = []
        for row in rows:
            key = tuple(_norm(row[i]) for i in idx)
            old = existing.get(key)
            if old is None:
                fresh.append(row)
            elif table.content_addressed or all(_same(a, b) for a, b in zip(old, row,
                                                                             strict=True)):
                counts.skipped += 1
            else:
                self._conflict(table, key)
        if self.conflict_count:
            return  # nothing will be committed; keep scanning to report every conflict
        self._insert(table, fresh)
        counts.added += len(fresh)
        if table.name == "versions":
            self.added_versions.extend((r[0], r[1], r[2]) for r in fresh)

    def _insert(self, table: Table, rows: list[list[Any]]) -> None:
        step = max(1, _PARAMS_PER_INSERT // len(table.columns))
        marks = "(" + ", ".join("?" * len(table.columns)) + ")"
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            sql = (f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES "
                   + ", ".join([marks] * len(chunk)))
            try:
                self.store.execute(sql, [v for row in chunk for v in row])
            except SkillyardError:
                raise
            except Exception as exc:  # a constraint the archive breaks (duplicate, orphan)
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise TransferError(f"cannot import {table.name} rows: {first}") from None

    def _flush_vectors(self, rows: list[list[Any]], counts: TableCounts) -> None:
        by_model: dict[str, list[tuple[bytes, np.ndarray]]] = {}
        for model, key, dims, blob in rows:
            try:
                vec = np.frombuffer(blob, "<f4").astype(np.float32)
                if not isinstance(model, str) or not isinstance(key, bytes) \
                        or vec.shape != (dims,):
                    raise ValueError
            except (TypeError, ValueError):
                raise ArchiveError(f"corrupted archive (embedding {key!r:.40} of {model!r:.40} "
                                   f"is not {dims!r:.10} float32 values)") from None
            by_model.setdefault(model, []).append((key, vec))
        for model, items in by_model.items():
            existing = (self.store.get_vectors(model, [k for k, _ in items])
                        if EMBEDDINGS.name in self.occupied else {})
            fresh = []
            for key, vec in items:
                old = existing.get(key)
                if old is None:
                    fresh.append((key, vec))
                elif old.shape == vec.shape and np.array_equal(old, vec, equal_nan=True):
                    counts.skipped += 1
                else:
                    self._conflict(EMBEDDINGS, (model, key))
            if fresh and not self.conflict_count:
                self.store.put_vectors(model, fresh)
                counts.added += len(fresh)


def _norm(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def _verify_blob(row: list[Any]) -> None:
    sha, size, codec, data = row
    if codec not in ("raw", "zlib") or not isinstance(data, bytes):
        raise ArchiveError(f"corrupted archive (blob {sha}: unknown codec {codec!r})")
    try:
        content = decode_blob(codec, data)
    except Exception:  # zlib.error: damaged compressed content
        raise ArchiveError(f"corrupted archive (blob {sha} does not decompress)") from None
    if sha256_hex(content) != sha or len(content) != size:
        raise ArchiveError(f"corrupted archive (blob {sha}: content does not match its "
                           "sha256 or size)")


def import_stream(store: Store, stream: BinaryIO, *, merge: bool = False,
                  dry_run: bool = False, progress: Progress | None = None,
                  archive_name: str = "-") -> ImportReport:
    """Import an archive into ``store`` in one transaction; see the module docstring."""
    start = time.perf_counter()
    reader = ArchiveReader(stream, archive_name)
    header = reader.header
    _check_header(header, store, archive_name)
    report = ImportReport(archive_name, store.path, header.backend, header.skillyard, merge,
                          dry_run)
    total = sum(header.counts.values())
    try:
        with store.transaction():
            if not merge and store.query("SELECT 1 FROM skills LIMIT 1"):
                raise TransferError(f"{store.path}: the library already holds skills; import "
                                    "into an empty library, or pass --merge")
            importer = _Importer(store, report)
            _stream_rows(reader, importer, progress, total)
            if importer.conflict_count:
                raise TransferError(
                    f"{importer.conflict_count} rows conflict with the library (same key, "
                    f"different content), nothing imported: {', '.join(importer.conflicts)}"
                    + (" ..." if importer.conflict_count > len(importer.conflicts) else ""))
            report.verified_versions = verify_imported(store, importer.added_versions,
                                                       progress)
            report.verified_blobs = report.tables.get("blobs", TableCounts()).rows
            report.sha256 = reader.sha256
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.seconds = time.perf_counter() - start
    return report


def _stream_rows(reader: ArchiveReader, importer: _Importer, progress: Progress | None,
                 total: int) -> None:
    current: Table | None = None
    batch: list[list[Any]] = []
    size = 0
    done = 0
    for name, values in reader.rows():
        table = BY_NAME[name]
        if table is not current or len(batch) >= table.page or size >= _BATCH_BYTES:
            if current is not None:
                importer.flush(current, batch)
                done += len(batch)
                if progress is not None:
                    progress(current.name, done, total)
            current, batch, size = table, [], 0
        batch.append(values)
        size += sum(len(v) for v in values if isinstance(v, bytes | str))
    if current is not None:
        importer.flush(current, batch)
        done += len(batch)
        if progress is not None:
            progress(current.name, done, total)


def import_library(store: Store, path: str | Path, *, merge: bool = False,
                   dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Import an archive file (``-``: standard input) into ``store``."""
    if str(path) == "-":
        return import_stream(store, sys.stdin.buffer, merge=merge, dry_run=dry_run,
                             progress=progress)
    with open(path, "rb") as stream:
        return import_stream(store, stream, merge=merge, dry_run=dry_run, progress=progress,
                             archive_name=str(path))
