"""Rows of registry_versions: one published version with its status and its audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..library.store import Store

PREFIX = "registry:"
COLUMNS = ("skill_id, version, namespace, name, label, digest, publisher, published_at, "
           "upload_sha256, status, status_reason, verdict, tier, findings, audited_at")
STATUSES = ("active", "deprecated", "yanked")


def skill_id(path: str) -> str:
    return PREFIX + path


@dataclass(frozen=True, slots=True)
class VersionRecord:
    skill_id: str
    version: int
    namespace: str
    name: str
    label: str
    digest: str
    publisher: str
    published_at: str
    upload_sha256: str
    status: str
    status_reason: str
    verdict: str
    tier: int
    findings: tuple[dict[str, Any], ...]
    audited_at: str

    @property
    def path(self) -> str:
        return f"{self.namespace}/{self.name}"

    def to_dict(self, *, findings: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "skill": self.path, "version": self.label, "number": self.version,
            "digest": self.digest, "publisher": self.publisher,
            "published_at": self.published_at, "archive_sha256": self.upload_sha256,
            "status": self.status, "status_reason": self.status_reason,
            "verdict": self.verdict, "tier": self.tier,
            "findings_count": sum(1 for f in self.findings if not f.get("accepted")),
        }
        if findings:
            out["findings"] = list(self.findings)
            out["audited_at"] = self.audited_at
        return out


def _record(row: tuple[Any, ...]) -> VersionRecord:
    values = list(row)
    values[1] = int(values[1])
    values[12] = int(values[12])
    values[13] = tuple(json.loads(values[13]))
    return VersionRecord(*values)


def versions_of(store: Store, sid: str) -> list[VersionRecord]:
    """Every published version of one skill, oldest first."""
    rows = store.query(f"SELECT {COLUMNS} FROM registry_versions WHERE skill_id = ? "
                       "ORDER BY version", (sid,))
    return [_record(r) for r in rows]


def current_versions(store: Store) -> list[VersionRecord]:
    """The newest version of each skill that is not yanked, sorted by path."""
    rows = store.query(
        f"SELECT {COLUMNS} FROM registry_versions r WHERE status != 'yanked' AND version = "
        "(SELECT MAX(version) FROM registry_versions x WHERE x.skill_id = r.skill_id "
        "AND x.status != 'yanked') ORDER BY namespace, name")
    return [_record(r) for r in rows]


def by_publisher(store: Store, publisher: str) -> list[VersionRecord]:
    rows = store.query(f"SELECT {COLUMNS} FROM registry_versions WHERE publisher = ? "
                       "ORDER BY published_at DESC", (publisher,))
    return [_record(r) for r in rows]
