"""The embedded SQLite backend: one file in WAL mode, content-addressed blobs, versions."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import NotFoundError, StoreError
from ..skill import SKILL_FILE, Provenance, Skill, SkillFile, sha256_hex
from .migrate import migrate_sqlite
from .records import compact_json, utc_now
from .store import PutOutcome, SkillSummary, VersionInfo

BUSY_TIMEOUT_MS = 60_000
_COMPRESS_MIN = 256



def _encode(data: bytes) -> tuple[str, bytes]:
    if len(data) >= _COMPRESS_MIN:
        packed = zlib.compress(data, 6)
        if len(packed) < len(data) * 0.9:
            return "zlib", packed
    return "raw", data


def _decode(codec: str, data: bytes) -> bytes:
    return zlib.decompress(data) if codec == "zlib" else bytes(data)


class SQLiteStore:
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
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                migrate_sqlite(self._conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable skillyard library ({exc})") from None

    # -- capability tables ---------------------------------------------------------------
    # Capabilities (routing, audit, evaluation, ...) keep their own tables, created by their
    # numbered migrations, and reach them only through these three methods with portable SQL
    # ('?' parameters), so that another backend can serve them unchanged.
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read statement and return all rows."""
        return [tuple(row) for row in self._conn.execute(sql, params).fetchall()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one write statement in its own transaction (or the open one)."""
        if self._conn.in_transaction:
            self._conn.execute(sql, params)
        else:
            with self.transaction():
                self._conn.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: everything inside commits together or not at all."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: library is busy ({exc}); try again") from None
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    # -- writing -------------------------------------------------------------------------
    def put(self, skills: Sequence[Skill]) -> list[PutOutcome]:
        if not skills:
            return []
        now = utc_now()
        with self.transaction():
            return [self._put_one(skill, now) for skill in skills]

    def _put_blob(self, sha: str, data: bytes) -> None:
        if self._conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone():
            return
        codec, stored = _encode(data)
        self._conn.execute(
            "INSERT INTO blobs (sha256, size, codec, data) VALUES (?, ?, ?, ?)",
            (sha, len(data), codec, stored),
        )

    def _put_one(self, skill: Skill, now: str) -> PutOutcome:
        conn = self._conn
        digest = skill.digest
        row = conn.execute("SELECT digest FROM skills WHERE id = ?", (skill.id,)).fetchone()
        top = conn.execute(
            "SELECT MAX(version) FROM versions WHERE skill_id = ?", (skill.id,)
        ).fetchone()[0]
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
        conn.execute(
            "INSERT INTO skills (id, name, description, version, digest, source_kind, warnings, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "description = excluded.description, version = excluded.version, "
            "digest = excluded.digest, source_kind = excluded.source_kind, "
            "warnings = excluded.warnings, updated_at = excluded.updated_at",
            (skill.id, skill.name, skill.description, version, digest, skill.provenance.kind,
             warnings, now, now),
        )
        conn.execute(
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
        row = self._conn.execute(
            "SELECT codec, data FROM blobs WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no file content with digest {sha256}")
        return _decode(row[0], row[1])

    def _version_row(self, skill_id: str, version: int | None) -> tuple[Any, ...]:
        if version is None:
            row = self._conn.execute(
                f"SELECT {_VERSION_COLS} FROM versions v JOIN skills s ON s.id = v.skill_id "
                "AND s.version = v.version WHERE s.id = ?",
                (skill_id,),
            ).fetchone()
        else:
            row = self._conn.execute(
                f"SELECT {_VERSION_COLS} FROM versions v WHERE v.skill_id = ? AND v.version = ?",
                (skill_id, version),
            ).fetchone()
        if row is None:
            what = (f"version {version} of {skill_id!r}" if version is not None
                    else f"skill {skill_id!r}")
            raise NotFoundError(f"no {what} in the library")
        return tuple(row)

    def _skill_from_row(self, row: tuple[Any, ...]) -> Skill:
        (skill_id, _version, _digest, name, description, front, body_offset, body_sha, files,
         provenance, diagnostics, parse_method) = row
        manifest = json.loads(files)
        entries = []
        text = ""
        for item in manifest:
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
        rows = self._conn.execute(
            f"SELECT {_VERSION_COLS} FROM versions v JOIN skills s ON s.id = v.skill_id "
            "AND s.version = v.version ORDER BY s.id"
        )
        for row in rows:
            yield self._skill_from_row(tuple(row))

    def summaries(self) -> list[SkillSummary]:
        rows = self._conn.execute(
            "SELECT id, name, description, version, digest, source_kind, warnings, updated_at "
            "FROM skills ORDER BY name, id"
        ).fetchall()
        return [SkillSummary(*row) for row in rows]

    def ids_for_name(self, name: str) -> list[str]:
        rows = self._conn.execute("SELECT id FROM skills WHERE name = ? ORDER BY id", (name,))
        return [r[0] for r in rows]

    def ids_with_suffix(self, suffix: str) -> list[str]:
        pattern = "%" + suffix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._conn.execute(
            "SELECT id FROM skills WHERE id LIKE ? ESCAPE '\\' ORDER BY id", (pattern,)
        )
        return [r[0] for r in rows]

    def has_id(self, skill_id: str) -> bool:
        return bool(self._conn.execute("SELECT 1 FROM skills WHERE id = ?", (skill_id,)).fetchone())

    def versions(self, skill_id: str) -> list[VersionInfo]:
        rows = self._conn.execute(
            "SELECT version, digest, created_at, provenance FROM versions WHERE skill_id = ? "
            "ORDER BY version",
            (skill_id,),
        ).fetchall()
        out = []
        for version, digest, created, prov in rows:
            data = json.loads(prov)
            out.append(VersionInfo(version, digest, created, data["source"], data.get("commit")))
        return out

    def stats(self) -> dict[str, int]:
        one = self._conn.execute
        return {
            "skills": one("SELECT COUNT(*) FROM skills").fetchone()[0],
            "versions": one("SELECT COUNT(*) FROM versions").fetchone()[0],
            "blobs": one("SELECT COUNT(*) FROM blobs").fetchone()[0],
            "blob_bytes": one("SELECT COALESCE(SUM(size), 0) FROM blobs").fetchone()[0],
        }

    def close(self) -> None:
        self._conn.close()


_VERSION_COLS = (
    "v.skill_id, v.version, v.digest, v.name, v.description, v.frontmatter, v.body_offset, "
    "v.body_sha256, v.files, v.provenance, v.diagnostics, v.parse_method"
)


def _refuse_foreign(conn: sqlite3.Connection, path: str | Path) -> None:
    """Refuse an SQLite file that holds other tables, before changing anything in it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "skills" not in tables and "schema_migrations" not in tables:
        raise StoreError(f"{path}: an SQLite database, but not a skillyard library")


