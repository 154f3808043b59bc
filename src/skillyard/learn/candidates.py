"""Every candidate ``skillyard learn`` produced, kept in the library's ``learn_candidates``
table (migration 0005): published ones with the version they became, rejected ones with the
gate's reasons and their full files, so a rejection can be inspected and reconsidered."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError
from ..library.records import compact_json, utc_now
from ..library.store import Store

_COLUMNS = ("id, skill_id, name, decision, method, status, base_version, published_version, "
            "digest, reasons, gate, files, provenance, created_at")


@dataclass
class CandidateRecord:
    id: str
    skill_id: str
    name: str
    decision: str
    method: str
    status: str  # published | rejected
    base_version: int | None
    published_version: int | None
    digest: str
    reasons: list[str]
    gate: dict[str, Any]
    files: dict[str, str]
    provenance: dict[str, Any]
    created_at: str

    def to_dict(self, with_files: bool = False) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "id", "skill_id", "name", "decision", "method", "status", "base_version",
            "published_version", "digest", "reasons", "gate", "provenance", "created_at")}
        if with_files:
            out["files"] = self.files
        return out



def record(store: Store, *, skill_id: str, name: str, decision: str, method: str, status: str,
           base_version: int | None, published_version: int | None, digest: str,
           reasons: list[str], gate: dict[str, Any], files: dict[str, str],
           provenance: dict[str, Any]) -> CandidateRecord:
    """Store one candidate and return it."""
    created = utc_now()
    ident = hashlib.sha256(f"{skill_id}\0{digest}\0{created}".encode()).hexdigest()[:16]
    rec = CandidateRecord(ident, skill_id, name, decision, method, status, base_version,
                          published_version, digest, reasons, gate, files, provenance, created)
    store.execute(
        f"INSERT INTO learn_candidates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        (rec.id, skill_id, name, decision, method, status, base_version, published_version,
         digest, compact_json(reasons), compact_json(gate), compact_json(files),
         compact_json(provenance), created),
    )
    return rec



def _row(row: tuple[Any, ...]) -> CandidateRecord:
    (ident, skill_id, name, decision, method, status, base, published, digest, reasons, gate,
     files, prov, created) = row
    return CandidateRecord(ident, skill_id, name, decision, method, status, base, published,
                           digest, json.loads(reasons), json.loads(gate), json.loads(files),
                           json.loads(prov), created)


def list_candidates(store: Store, *, status: str | None = None,
                    skill_id: str | None = None) -> list[CandidateRecord]:
    """Candidates, newest first, optionally only one status or one skill."""
    clauses, params = [], []
    if status:
        clauses.append("status = ?")
        params.append(status)
    if skill_id:
        clauses.append("skill_id = ?")
        params.append(skill_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(f"SELECT {_COLUMNS} FROM learn_candidates{where} "
                       "ORDER BY created_at DESC, id", params)
    return [_row(r) for r in rows]


def get_candidate(store: Store, ident: str) -> CandidateRecord:
    """One candidate by id or unique id prefix."""
    rows = store.query(f"SELECT {_COLUMNS} FROM learn_candidates WHERE id LIKE ? ORDER BY id",
                       (ident.replace("%", "").replace("_", "") + "%",))
    if not rows:
        raise NotFoundError(f"no learn candidate with id {ident!r}")
    if len(rows) > 1:
        raise NotFoundError(f"candidate id {ident!r} is ambiguous ({len(rows)} match)")
    return _row(rows[0])
