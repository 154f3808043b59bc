"""Move a library between backends (SQLite <-> PostgreSQL) through one archive file.

Only the Store protocol is used: portable '?' SQL over the tables listed in ``TABLES`` and the
vector calls for ``embeddings``. Export runs inside one write transaction, so the archive is a
consistent snapshot (writers wait; readers do not). Import also runs in one transaction: rows
are checked as they stream in (blob contents against their sha256, merge conflicts), every
imported version is read back and its digest recomputed, and the archive's checksum is
verified at its end — any failure rolls everything back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .. import __version__
from ..errors import SkillyardError
from .migrate import available
from .records import utc_now
from .sqlbase import decode_blob
from .store import Store
from .transfer_archive import ArchiveError, ArchiveReader, ArchiveWriter, Header, TableLayout
from .transfer_verify import verify_imported

Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in all)
MAX_CONFLICTS_SHOWN = 5
_PARAMS_PER_INSERT = 900
_BATCH_BYTES = 8 << 20


class TransferError(SkillyardError):
    """An import cannot proceed: non-empty target, merge conflicts, or failed verification."""


@dataclass(frozen=True)
class Table:
    """One library table as export and import see it."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    binary: tuple[str, ...] = ()
    page: int = 1000
    content_addressed: bool = False  # same key means same content: compare keys only

    @property
    def layout(self) -> TableLayout:
        return TableLayout(self.columns, self.binary)


# Every table a library holds, in an order that satisfies foreign keys. A migration that adds a
# table or a column must add it here too (tests/test_transfer_tables.py fails until it does).
TABLES: tuple[Table, ...] = (
    Table("blobs", ("sha256", "size", "codec", "data"), ("sha256",), ("data",), page=100,
          content_addressed=True),
    Table("skills", ("id", "name", "description", "version", "digest", "source_kind",
                     "warnings", "created_at", "updated_at"), ("id",)),
    Table("versions", ("skill_id", "version", "digest", "name", "description", "frontmatter",
                       "body_offset", "body_sha256", "files", "provenance", "diagnostics",
                       "parse_method", "created_at"), ("skill_id", "version"), page=500),
    Table("meta", ("key", "value"), ("key",)),
    Table("route_groups", ("skill_id", "group_id", "size"), ("skill_id",)),
    Table("audit_results", ("digest", "rules_digest", "verdict", "findings", "effects",
                            "unseen_scripts", "created_at"), ("digest", "rules_digest")),
    Table("audit_skills", ("skill_id", "digest", "rules_digest", "verdict", "tier",
                           "audited_at"), ("skill_id",)),
    Table("eval_runs", ("id", "kind", "status", "created_at", "finished_at", "spec"), ("id",)),
    Table("eval_trials", ("run_id", "task_id", "arm", "trial", "passed", "reward", "status",
                          "error", "prompt_tokens", "completion_tokens", "agent_seconds",
                          "verify_seconds", "wall_seconds", "skills", "detail"),
          ("run_id", "task_id", "arm", "trial")),
    Table("eval_triggers", ("run_id", "qid", "query", "should_trigger", "positives",
                            "negatives", "routed"), ("run_id", "qid")),
    Table("eval_matches", ("run_id", "round", "a", "b", "task_id", "outcome"),
          ("run_id", "round", "a", "b", "task_id")),
    Table("learn_candidates", ("id", "skill_id", "name", "decision", "method", "status",
                               "base_version", "published_version", "digest", "reasons",
                               "gate", "files", "provenance", "created_at"), ("id",)),
)
# Embeddings go through store.get_vectors/put_vectors (BLOB in SQLite, pgvector in
# PostgreSQL); in the archive the vector is little-endian float32 bytes.
EMBEDDINGS = Table("embeddings", ("model", "key", "dims", "vector"), ("model", "key"),
                   ("key", "vector"), page=500)
ALL_TABLES: tuple[Table, ...] = (*TABLES, EMBEDDINGS)
BY_NAME = {t.name: t for t in ALL_TABLES}


@dataclass
class TableCounts:
    rows: int = 0
    added: int = 0
    skipped: int = 0  # identical rows already in the target (merge)


@dataclass
class ExportReport:
    archive: str
    db: str
    backend: str
    counts: dict[str, int]
    sha256: str
    bytes: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "db": self.db, "backend": self.backend,
                "tables": self.counts, "rows": sum(self.counts.values()),
                "sha256": self.sha256, "bytes": self.bytes, "seconds": round(self.seconds, 3)}


@dataclass
class ImportReport:
    archive: str
    db: str
    source_backend: str
    skillyard: str
    merge: bool
    dry_run: bool
    tables: dict[str, TableCounts] = field(default_factory=dict)
    verified_versions: int = 0
    verified_blobs: int = 0
    sha256: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive, "db": self.db, "source_backend": self.source_backend,
            "source_skillyard": self.skillyard, "merge": self.merge, "dry_run": self.dry_run,
            "tables": {name: vars(c) for name, c in self.tables.items()},
            "added": sum(c.added for c in self.tables.values()),
            "skipped": sum(c.skipped for c in self.tables.values()),
            "verified_versions": self.verified_versions,
            "verified_blobs": self.verified_blobs, "sha256": self.sha256,
            "seconds": round(self.seconds, 3),
        }


def backend_kind(store: Store) -> str:
    """'postgresql' for a server URL, else 'sqlite'."""
    return store.path.split("://", 1)[0] if "://" in store.path else "sqlite"


def _migrations(store: Store) -> list[int]:
    return sorted(int(r[0]) for r in store.query("SELECT number FROM schema_migrations"))


# -- export -------------------------------------------------------------------------------------
def _pages(store: Store, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    """All rows of a table in key order, a page at a time (keyset pagination)."""
    cols = ", ".join(table.columns)
    order = ", ".join(table.key)
    after: tuple[Any, ...] | None = None
    while True:
        if after is None:
            rows = store.query(f"SELECT {cols} FROM {table.name} ORDER BY {order} "
                               f"LIMIT {table.page}")
        else:
            if len(table.key) == 1:
                where = f"{table.key[0]} > ?"
            else:
                where = f"({order}) > ({', '.join('?' * len(table.key))})"
            rows = store.query(f"SELECT {cols} FROM {table.name} WHERE {where} ORDER BY "
                               f"{order} LIMIT {table.page}", after)
        if rows:
            yield rows
        if len(rows) < table.page:
            return
        last = rows[-1]
        after = tuple(last[table.columns.index(k)] for k in table.key)


def _vector_pages(store: Store) -> Iterator[list[tuple[Any, ...]]]:
    """Embedding rows (model, key, dims, float32 bytes) through the store's vector API."""
    keys_table = Table("embeddings", ("model", "key", "dims"), ("model", "key"),
                       page=EMBEDDINGS.page)
    for rows in _pages(store, keys_table):
        out: list[tuple[Any, ...]] = []
        by_model: dict[str, list[tuple[bytes, int]]] = {}
        for model, key, dims in rows:
            by_model.setdefault(model, []).append((bytes(key), int(dims)))
        for model, items in by_model.items():
            vectors = store.get_vectors(model, [k for k, _ in items])
            for key, dims in items:
                vec = vectors.get(key)
                if vec is None or vec.shape != (dims,):
                    raise SkillyardError(f"embedding {key.hex()} of {model} is unreadable or "
                                         f"not {dims}-dimensional")
                out.append((model, key, dims, np.asarray(vec, "<f4").tobytes()))
        yield out


def export_stream(store: Store, stream: BinaryIO, *, progress: Progress | None = None,
                  archive_name: str = "-") -> ExportReport:
    """Write the whole library to ``stream`` as an archive (one consistent snapshot)."""
    start = time.perf_counter()
    counter = _CountingWriter(stream)
    with store.transaction():
        counts = {t.name: int(store.query(f"SELECT COUNT(*) FROM {t.name}")[0][0])
                  for t in ALL_TABLES}
        total = sum(counts.values())
        header = Header(skillyard=__version__, backend=backend_kind(store), source=store.path,
                        created_at=utc_now(), migrations=_migrations(store),
                        tables={t.name: t.layout for t in ALL_TABLES}, counts=counts)
        writer = ArchiveWriter(counter, header)  # type: ignore[arg-type]
        done = 0
        for table in ALL_TABLES:
            pages = _vector_pages(store) if table is EMBEDDINGS else _pages(store, table)
            for rows in pages:
                for row in rows:
                    writer.row(table.name, row)
                done += len(rows)
                if progress is not None:
                    progress(table.name, done, total)
        digest = writer.finish()
    return ExportReport(archive_name, store.path, header.backend, dict(writer.counts),
                        digest, counter.written, time.perf_counter() - start)


def export_library(store: Store, path: str | Path, *,
                   progress: Progress | None = None) -> ExportReport:
    """Export to a file (written beside it, then renamed: never a half archive under its
    name) or, for ``-``, to standard output."""
    if str(path) == "-":
        report = export_stream(store, sys.stdout.buffer, progress=progress)
        sys.stdout.buffer.flush()
        return report
    target = Path(path)
    if target.is_dir():
        raise SkillyardError(f"{target}: is a folder; give an archive file name")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as out:
            report = export_stream(store, out, progress=progress, archive_name=str(target))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return report


class _CountingWriter:
    """A write-only stream that counts the bytes passing through."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.written = 0

    def write(self, data: bytes) -> int:
        self._stream.write(data)
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        self._stream.flush()


# -- import -------------------------------------------------------------------------------------
class _Rollback(Exception):
    """Raised inside the import transaction to undo a dry run."""


def _check_header(header: Header, store: Store, name: str) -> None:
    """Refuse an archive this skillyard or this target cannot hold, before writing."""
    newer = set(header.migrations) - {n for n, _ in available()}
    if newer:
        raise ArchiveError(f"{name}: written by a newer skillyard ({header.skillyard}, schema "
                           f"migration {max(newer)}); upgrade skillyard to import it")
    missing = set(header.migrations) - set(_migrations(store))
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

    def __init__(self, store: Store, merge: bool, report: ImportReport) -> None:
        self.store = store
        self.merge = merge
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
            self.added_versions.extend((r[0], int(r[1]), r[2]) for r in fresh)

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
            vec = np.frombuffer(blob, "<f4").astype(np.float32) if blob is not None else None
            if vec is None or not isinstance(model, str) or vec.shape != (dims,):
                raise ArchiveError(f"corrupted archive (embedding {bytes(key or b'').hex()} "
                                   f"is not {dims} float32 values)")
            by_model.setdefault(model, []).append((bytes(key), vec))
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
    from ..skill import sha256_hex

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
            importer = _Importer(store, merge, report)
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
