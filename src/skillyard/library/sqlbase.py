"""What the SQL backends share: the skill, version and blob tables, written and read with
portable SQL ('?' parameters). A backend supplies the connection, transactions and vectors."""

from __future__ import annotations

import json
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..diagnostics import Diagnostic
from ..errors import NotFoundError
from ..skill import SKILL_FILE, Provenance, Skill, SkillFile, sha256_hex
from ..utf8 import REPLACEMENT, readable
from .records import compact_json, utc_now
from .store import PutOutcome, SkillSummary, VersionInfo

_COMPRESS_MIN = 256
PAGE = 500

VERSION_COLS = (
    "v.skill_id, v.version, v.digest, v.name, v.description, v.frontmatter, v.body_offset, "
    "v.body_sha256, v.files, v.provenance, v.diagnostics, v.parse_method"
)


def encode_blob(data: bytes) -> tuple[str, bytes]:
    """(codec, stored bytes): zlib when it saves at least a tenth, else raw."""
    if len(data) >= _COMPRESS_MIN:
        packed = zlib.compress(data, 6)
        if len(packed) < len(data) * 0.9:
            return "zlib", packed
    return "raw", data


def decode_blob(codec: str, data: bytes) -> bytes:
    return zlib.decompress(data) if codec == "zlib" else bytes(data)


def text_params(params: Sequence[Any], *, allow_nul: bool = True) -> tuple[Any, ...]:
    """The parameters as the database takes them. A string with a lone surrogate has no UTF-8
    (utf8.py); it is sent with U+FFFD in its place, so a lookup by such a name finds nothing
    and free text keeps the rest. PostgreSQL's text cannot hold NUL (``allow_nul=False``): the
    same. Skill ids and frontmatter never hold either; their loaders refuse them."""
    out = []
    for value in params:
        if isinstance(value, str):
            if not value.isascii():
                value = readable(value)
            if not allow_nul and "\x00" in value:
                value = value.replace("\x00", REPLACEMENT)
        out.append(value)
    return tuple(out)


class SQLStore(ABC):
    """The Store protocol over any SQL connection; subclasses implement the ``_`` hooks."""

    path: str

    # -- backend hooks -------------------------------------------------------------------
    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of one statement with '?' parameters."""

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement inside the open transaction."""

    @abstractmethod
    def _in_transaction(self) -> bool:
        """Whether a transaction is open on the connection."""

    @abstractmethod
    def _begin_write(self) -> None:
        """Start a write transaction, waiting for any other writer (one writer at a time)."""

    @abstractmethod
    def _end(self, commit: bool) -> None:
        """Commit or roll back the open transaction."""

    @abstractmethod
    def put_vectors(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> int:
        """Store embeddings by content key (existing keys are kept); returns how many were new."""

    @abstractmethod
    def get_vectors(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored embeddings among ``keys`` (float32), by key."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    # -- capability tables ---------------------------------------------------------------
    # Capabilities (routing, audit, evaluation, ...) keep their own tables, created by their
    # numbered migrations, and reach them only through these three methods with portable SQL
    # ('?' parameters), so that every backend serves them unchanged.
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read statement and return all rows."""
        return self._rows(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one write statement in its own transaction (or the open one)."""
        if self._in_transaction():
            self._run(sql, params)
        else:
            with self.transaction():
                self._run(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: everything inside commits together or not at all."""
        if self._in_transaction():  # nested: part of the enclosing transaction
            yield
            return
        self._begin_write()
        try:
            yield
        except BaseException:
            self._end(commit=False)
            raise
        self._end(commit=True)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- writing -------------------------------------------------------------------------
    def put(self, skills: Sequence[Skill]) -> list[PutOutcome]:
        if not skills:
            return []
        now = utc_now()
        with self.transaction():
            return [self._put_one(skill, now) for skill in skills]

    def _put_blob(self, sha: str, data: bytes) -> None:
        if self._one("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)):
            return
        codec, stored = encode_blob(data)
        self._run("INSERT INTO blobs (sha256, size, codec, data) VALUES (?, ?, ?, ?)",
                  (sha, len(data), codec, stored))

    def _put_one(self, skill: Skill, now: str) -> PutOutcome:
        digest = skill.digest
        row = self._one("SELECT digest FROM skills WHERE id = ?", (skill.id,))
        top = self._rows("SELECT MAX(version) FROM versions WHERE skill_id = ?", (skill.id,))[0][0]
        if row and row[0] == digest:
            return PutOutcome(skill.id, "unchanged", top or 1)
        version = (top or 0) + 1
        for entry in skill.files:
            if entry.data is not None:
                self._put_blob(entry.sha256, entry.data)
        text = skill.skill_md
        body_offset: int | None = None
        body_sha: str | None = None
        if text.endswith(skill.body):
            body_offset = len(text) - len(skill.body)
        else:
            raw = skill.body.encode("utf-8")
            body_sha = sha256_hex(raw)
            self._put_blob(body_sha, raw)
        warnings = sum(1 for d in skill.diagnostics if d.level == "warning")
        self._run(
            "INSERT INTO skills (id, name, description, version, digest, source_kind, warnings, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "description = excluded.description, version = excluded.version, "
            "digest = excluded.digest, source_kind = excluded.source_kind, "
            "warnings = excluded.warnings, updated_at = excluded.updated_at",
            (skill.id, skill.name, skill.description, version, digest, skill.provenance.kind,
             warnings, now, now),
        )
        self._run(
            "INSERT INTO versions (skill_id, version, digest, name, description, frontmatter, "
            "body_offset, body_sha256, files, provenance, diagnostics, parse_method, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                skill.id, version, digest, skill.name, skill.description,
                compact_json(skill.frontmatter), body_offset, body_sha,
                compact_json([f.manifest() for f in skill.files]),
                compact_json(skill.provenance.to_dict()),
                compact_json([d.to_dict() for d in skill.diagnostics]),
                skill.parse_method, now,
            ),
        )
        return PutOutcome(skill.id, "updated" if row else "added", version)

    # -- reading -------------------------------------------------------------------------
    def read_blob(self, sha256: str) -> bytes:
        row = self._one("SELECT codec, data FROM blobs WHERE sha256 = ?", (sha256,))
        if row is None:
            raise NotFoundError(f"no file content with digest {sha256}")
        return decode_blob(row[0], row[1])

    def _version_row(self, skill_id: str, version: int | None) -> tuple[Any, ...]:
        if version is None:
            row = self._one(
                f"SELECT {VERSION_COLS} FROM versions v JOIN skills s ON s.id = v.skill_id "
                "AND s.version = v.version WHERE s.id = ?", (skill_id,))
        else:
            row = self._one(
                f"SELECT {VERSION_COLS} FROM versions v WHERE v.skill_id = ? AND v.version = ?",
                (skill_id, version))
        if row is None:
            what = (f"version {version} of {skill_id!r}" if version is not None
                    else f"skill {skill_id!r}")
            raise NotFoundError(f"no {what} in the library")
        return row

    def _skill_from_row(self, row: tuple[Any, ...]) -> Skill:
        (skill_id, _version, _digest, name, description, front, body_offset, body_sha, files,
         provenance, diagnostics, parse_method) = row
        entries = []
        text = ""
        for item in json.loads(files):
            data = None
            if item["path"] == SKILL_FILE and item.get("kind", "file") == "file":
                data = self.read_blob(item["sha256"])
                text = data.decode("utf-8")
            entries.append(
                SkillFile(
                    item["path"], item["size"], item["sha256"], kind=item.get("kind", "file"),
                    data=data, target=item.get("target"), note=item.get("note"),
                )
            )
        if body_offset is not None:
            body = text[body_offset:]
        else:
            body = self.read_blob(body_sha).decode("utf-8")
        return Skill(
            id=skill_id, name=name, description=description, frontmatter=json.loads(front),
            body=body, files=tuple(entries),
            provenance=Provenance.from_dict(json.loads(provenance)),
            diagnostics=tuple(Diagnostic(**d) for d in json.loads(diagnostics)),
            parse_method=parse_method,
        )

    def get(self, skill_id: str, version: int | None = None) -> Skill:
        return self._skill_from_row(self._version_row(skill_id, version))

    def iter_skills(self) -> Iterator[Skill]:
        """Current versions in id order, fetched a page at a time (keyset pagination), so
        memory stays flat and other statements may run between pages."""
        after = ""
        while True:
            rows = self._rows(
                f"SELECT {VERSION_COLS} FROM versions v JOIN skills s ON s.id = v.skill_id "
                f"AND s.version = v.version WHERE s.id > ? ORDER BY s.id LIMIT {PAGE}", (after,))
            for row in rows:
                yield self._skill_from_row(row)
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def summaries(self) -> list[SkillSummary]:
        rows = self._rows(
            "SELECT id, name, description, version, digest, source_kind, warnings, updated_at "
            "FROM skills ORDER BY name, id")
        return [SkillSummary(*row) for row in rows]

    def digests(self) -> list[tuple[str, str]]:
        # sorted here: PostgreSQL's ORDER BY follows the database's collation, not code points
        return sorted(self._rows("SELECT id, digest FROM skills"))

    def ids_for_name(self, name: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM skills WHERE name = ? ORDER BY id",
                                         (name,))]

    def ids_with_suffix(self, suffix: str) -> list[str]:
        pattern = "%" + suffix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows("SELECT id FROM skills WHERE id LIKE ? ESCAPE '\\' ORDER BY id",
                          (pattern,))
        return [r[0] for r in rows]

    def has_id(self, skill_id: str) -> bool:
        return self._one("SELECT 1 FROM skills WHERE id = ?", (skill_id,)) is not None

    def versions(self, skill_id: str) -> list[VersionInfo]:
        rows = self._rows(
            "SELECT version, digest, created_at, provenance FROM versions WHERE skill_id = ? "
            "ORDER BY version", (skill_id,))
        out = []
        for version, digest, created, prov in rows:
            data = json.loads(prov)
            out.append(VersionInfo(version, digest, created, data["source"], data.get("commit")))
        return out

    def stats(self) -> dict[str, int]:
        def count(sql: str) -> int:
            return int(self._rows(sql)[0][0])

        return {
            "skills": count("SELECT COUNT(*) FROM skills"),
            "versions": count("SELECT COUNT(*) FROM versions"),
            "blobs": count("SELECT COUNT(*) FROM blobs"),
            "blob_bytes": count("SELECT COALESCE(SUM(size), 0) FROM blobs"),
        }
