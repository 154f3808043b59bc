"""Verify what the library holds before it leaves: blobs re-hashed, version digests recomputed,
and the stored frontmatter, name and description checked against the stored SKILL.md.

The store keeps the frontmatter as a parsed JSON column next to the SKILL.md blob; the skill
digest covers the blob, so re-parsing the blob and comparing proves the column unaltered too.
``install``, ``sync``, ``serve`` and ``export`` call :func:`verify_skill` (or
:func:`verify_versions`); ``skillyard verify`` runs :func:`verify_library` over everything.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import frontmatter as fm
from ..errors import FindingError
from ..skill import SKILL_FILE, SkillFile, sha256_hex, skill_digest
from .records import compact_json
from .sqlbase import VERSION_COLS, decode_blob
from .store import Store

MAX_NAMED = 10


@dataclass(frozen=True)
class Damage:
    """One thing wrong in the store: which skill (and version), which file, what."""

    skill_id: str
    version: int
    path: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.skill_id} (version {self.version})"
        return f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill_id, "version": self.version, "file": self.path,
                "problem": self.problem}


class DamagedError(FindingError):
    """Stored content does not match its digests; nothing was read out of the library."""

    def __init__(self, damage: list[Damage], action: str = "refused") -> None:
        named = "; ".join(str(d) for d in damage[:MAX_NAMED])
        more = f" (and {len(damage) - MAX_NAMED} more)" if len(damage) > MAX_NAMED else ""
        super().__init__(f"{action}: the library is damaged: {named}{more}; "
                         "run 'skillyard verify' for the full list")
        self.damage = damage


@dataclass
class VerifyReport:
    """What ``verify_library`` checked and found."""

    skills: int = 0
    versions: int = 0
    blobs: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "skills": self.skills, "versions": self.versions,
                "blobs": self.blobs, "damage": [d.to_dict() for d in self.damage]}


def _expects_blob(item: dict[str, Any]) -> bool:
    return item.get("kind", "file") == "file" and not str(item.get("note") or "").startswith(
        "oversize")


class _Checker:
    """Checks version rows; each blob is read and hashed once however many versions share it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.blobs: dict[str, tuple[bytes | None, str | None]] = {}

    def blob(self, sha: str, size: int | None) -> tuple[bytes | None, str | None]:
        """(content, problem): the content when it hashes to ``sha``, else why not."""
        if sha in self.blobs:
            return self.blobs[sha]
        rows = self.store.query("SELECT codec, size, data FROM blobs WHERE sha256 = ?", (sha,))
        result: tuple[bytes | None, str | None]
        if not rows:
            result = None, "content missing from the store"
        else:
            codec, _stored_size, data = rows[0]
            try:
                content = decode_blob(codec, bytes(data or b""))
            except (zlib.error, ValueError):
                result = None, "stored content is corrupt (cannot be decompressed)"
            else:
                if sha256_hex(content) != sha or (size is not None and len(content) != size):
                    result = None, ("stored content does not match its sha256 "
                                    "(altered or truncated)")
                else:
                    result = content, None
        self.blobs[sha] = result
        return result

    def version(self, row: tuple[Any, ...]) -> list[Damage]:
        (skill_id, version, digest, name, description, front, body_offset, body_sha, files,
         _prov, _diags, _method) = row

        def hurt(path: str, problem: str) -> Damage:
            return Damage(skill_id, int(version), path, problem)

        try:
            items = json.loads(files)
            entries = [SkillFile(i["path"], int(i["size"]), i["sha256"], kind=i.get("kind", "file"))
                       for i in items]
            stored_front = json.loads(front)
        except (ValueError, KeyError, TypeError) as exc:
            return [hurt("", f"version record is unreadable ({type(exc).__name__})")]
        out: list[Damage] = []
        if skill_digest(entries) != digest:
            out.append(hurt("", "the version digest does not match its file list"))
        text: str | None = None
        for item in items:
            if not _expects_blob(item):
                continue
            content, problem = self.blob(item["sha256"], int(item["size"]))
            if problem:
                out.append(hurt(item["path"], problem))
            elif item["path"] == SKILL_FILE and content is not None:
                text = content.decode("utf-8", "replace")
        body_problem = self.blob(body_sha, None)[1] if body_offset is None and body_sha else None
        if body_problem:
            out.append(hurt("(body)", body_problem))
        if text is not None:
            out.extend(hurt(SKILL_FILE, p) for p in _front_problems(text, stored_front, name,
                                                                  description))
        return out


def _front_problems(text: str, stored: Any, name: str, description: str) -> list[str]:
    """How the stored frontmatter, name and description differ from SKILL.md's."""
    parsed = fm.parse(text).data
    if parsed is None:
        return []  # stored as parsed by a rule no longer in force: the blob hash vouches for it
    problems = []
    if json.loads(compact_json(parsed)) != stored:
        problems.append("the stored frontmatter differs from SKILL.md (altered in the store)")
    # an empty name or description is filled in from the folder or body at load time
    given_name, given_description = parsed.get("name"), parsed.get("description")
    if isinstance(given_name, str) and given_name and given_name != name:
        problems.append("the stored name differs from SKILL.md")
    if isinstance(given_description, str) and given_description.strip() and \
            given_description.strip() != description:
        problems.append("the stored description differs from SKILL.md")
    return problems


def _rows(store: Store, skill_id: str, version: int | None) -> list[tuple[Any, ...]]:
    if version is None:
        return store.query(
            f"SELECT {VERSION_COLS} FROM versions v JOIN skills s ON s.id = v.skill_id "
            "AND s.version = v.version WHERE s.id = ?", (skill_id,))
    return store.query(f"SELECT {VERSION_COLS} FROM versions v WHERE v.skill_id = ? "
                       "AND v.version = ?", (skill_id, version))


def check_skill(store: Store, skill_id: str, version: int | None = None) -> list[Damage]:
    """Everything wrong with one stored version (the current one by default)."""
    checker = _Checker(store)
    return [d for row in _rows(store, skill_id, version) for d in checker.version(row)]


def verify_skill(store: Store, skill_id: str, version: int | None = None, *,
                 action: str = "refused") -> None:
    """Raise DamagedError naming the skill and file when its stored copy is not intact."""
    damage = check_skill(store, skill_id, version)
    if damage:
        raise DamagedError(damage, action)


def verify_skills(store: Store, skill_ids: Iterable[str], *, action: str = "refused") -> None:
    """``verify_skill`` over several skills, reporting all the damage at once."""
    checker = _Checker(store)
    damage = [d for sid in skill_ids for row in _rows(store, sid, None)
              for d in checker.version(row)]
    if damage:
        raise DamagedError(damage, action)


def verify_library(store: Store, *, current_only: bool = False,
                   progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Check every version of every skill (or only the current ones), and that the skill table
    agrees with them."""
    report = VerifyReport()
    checker = _Checker(store)
    current = {sid: (int(v), dig, name, desc) for sid, v, dig, name, desc in store.query(
        "SELECT id, version, digest, name, description FROM skills")}
    report.skills = len(current)
    seen: set[tuple[str, int]] = set()
    after_id, after_v = "", -1
    join = ("JOIN skills s ON s.id = v.skill_id AND s.version = v.version "
            if current_only else "")
    while True:
        rows = store.query(
            f"SELECT {VERSION_COLS} FROM versions v {join}WHERE v.skill_id > ? OR "
            "(v.skill_id = ? AND v.version > ?) ORDER BY v.skill_id, v.version LIMIT 500",
            (after_id, after_id, after_v))
        for row in rows:
            report.versions += 1
            seen.add((row[0], int(row[1])))
            report.damage.extend(checker.version(row))
            head = current.get(row[0])
            if head is not None and head[0] == int(row[1]):
                if head[1] != row[2]:
                    report.damage.append(Damage(row[0], int(row[1]), "", "the skill's digest "
                                                "differs from its current version's"))
                for column, (kept, versioned) in (("name", (head[2], row[3])),
                                                  ("description", (head[3], row[4]))):
                    if kept != versioned:  # what list, search and routing show
                        report.damage.append(Damage(row[0], int(row[1]), "", f"the skill's "
                                                    f"{column} differs from its current "
                                                    "version's"))
            if progress is not None:
                progress(1)
        if len(rows) < 500:
            break
        after_id, after_v = rows[-1][0], int(rows[-1][1])
    for sid, (version, *_rest) in sorted(current.items()):
        if (sid, version) not in seen:
            report.damage.append(Damage(sid, version, "", "the current version is missing"))
    report.blobs = len(checker.blobs)
    return report


def verify_current(store: Store, *, action: str = "refused") -> None:
    """Raise DamagedError if any current version in the library is not intact."""
    report = verify_library(store, current_only=True)
    if report.damage:
        raise DamagedError(report.damage, action)
