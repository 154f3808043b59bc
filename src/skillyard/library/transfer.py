"""Move a library between backends (SQLite <-> PostgreSQL) through one archive file: the
table list, the reports, and export (import is in ``transfer_import.py``).

Only the Store protocol is used: portable '?' SQL over the tables listed in ``TABLES`` and the
vector calls for ``embeddings``. Export runs inside one write transaction, so the archive is a
consistent snapshot (other writers wait; readers do not).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .._version import __version__
from ..errors import SkillyardError
from ..utf8 import readable
from .records import utc_now
from .store import Store
from .transfer_archive import ArchiveWriter, Header, TableLayout

Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in all)
_PAGE_BYTES = 32 << 20  # blob data read per query on export


class TransferError(SkillyardError):
    """An import cannot proceed: the target holds skills, rows conflict, or rows break a
    constraint of the schema."""


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
    Table("blobs", ("sha256", "size", "codec", "data"), ("sha256",), ("data",), page=200,
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
    Table("registry_tokens", ("id", "name", "secret_sha256", "role", "scope", "created_at",
                              "created_by", "expires_at", "revoked_at"), ("id",)),
    Table("registry_versions", ("skill_id", "version", "namespace", "name", "label", "digest",
                                "publisher", "published_at", "upload_sha256", "status",
                                "status_reason", "verdict", "tier", "findings", "audited_at"),
          ("skill_id", "version")),
    Table("registry_acceptances", ("skill_id", "digest", "rule", "file", "reason",
                                   "accepted_by", "accepted_at"),
          ("skill_id", "digest", "rule", "file")),
    Table("registry_log", ("id", "at", "actor", "action", "target", "detail"), ("id",)),
)
# Embeddings go through store.get_vectors/put_vectors (BLOB in SQLite, pgvector in
# PostgreSQL); in the archive the vector is little-endian float32 bytes.
EMBEDDINGS = Table("embeddings", ("model", "key", "dims", "vector"), ("model", "key"),
                   ("key", "vector"), page=500)
ALL_TABLES: tuple[Table, ...] = (*TABLES, EMBEDDINGS)
BY_NAME = {t.name: t for t in ALL_TABLES}
# Tables that hold the running registry's shared state, not library content: an archive carries
# neither (a restored library starts with a fresh cache generation and no failed sign-ins).
RUNTIME_TABLES: dict[str, str] = {
    "registry_state": "cache generation shared by server processes",
    "registry_auth_failures": "recent failed sign-ins per client (rate limit)",
}


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


def migrations_of(store: Store) -> list[int]:
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


def _blob_pages(store: Store) -> Iterator[list[tuple[Any, ...]]]:
    """Blob rows in groups of at most ``_PAGE_BYTES`` of stored data (or one big blob), so
    memory stays bounded whatever the blob sizes (files up to 8 MiB are kept)."""
    blobs = BY_NAME["blobs"]
    sizes = Table("blobs", ("sha256", "size"), ("sha256",), page=1000)
    for rows in _pages(store, sizes):
        group: list[str] = []
        total = 0
        for sha, size in [*rows, (None, 0)]:
            if group and (sha is None or total + int(size) > _PAGE_BYTES):
                marks = ", ".join("?" * len(group))
                yield store.query(f"SELECT {', '.join(blobs.columns)} FROM blobs "
                                  f"WHERE sha256 IN ({marks})", group)
                group, total = [], 0
            if sha is not None:
                group.append(sha)
                total += int(size)


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
        header = Header(skillyard=__version__, backend=backend_kind(store),
                        source=readable(store.path), created_at=utc_now(),
                        migrations=migrations_of(store),
                        tables={t.name: t.layout for t in ALL_TABLES}, counts=counts)
        writer = ArchiveWriter(counter, header)  # type: ignore[arg-type]
        done = 0
        for table in ALL_TABLES:
            pages = (_vector_pages(store) if table is EMBEDDINGS else _blob_pages(store)
                     if table.name == "blobs" else _pages(store, table))
            for rows in pages:
                for row in rows:
                    writer.row(table.name, row)
                done += len(rows)
                if progress is not None:
                    progress(table.name, done, total)
        digest = writer.finish()
    return ExportReport(archive_name, store.path, header.backend,
                        {t.name: writer.counts.get(t.name, 0) for t in ALL_TABLES},
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
