"""Verdict cache in the library: analyzer findings per (skill digest, rules digest), and the
latest verdict and tier per library skill."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..library.migrate import statements
from ..library.records import compact_json, utc_now
from ..library.store import Store
from .graph import Effects
from .model import Finding


class VerdictStore:
    """The audit tables of one library (created by migration 0003)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ensure()

    def _ensure(self) -> None:
        """Create the tables when the library's schema skipped 0003 (a database migrated by a
        build that had later migrations but not this one); the statements are idempotent."""
        try:
            self.store.query("SELECT digest FROM audit_results LIMIT 1")
            return
        except Exception:  # noqa: BLE001 - any backend's "no such table"
            pass
        sql = (resources.files("skillyard.library") / "migrations" / "0003_audit.sql").read_text(
            encoding="utf-8")
        with self.store.transaction():
            for statement in statements(sql):
                self.store.execute(statement)

    def get(self, digest: str, rules_digest: str) -> tuple[list[Finding], Effects, int] | None:
        rows = self.store.query(
            "SELECT findings, effects, unseen_scripts FROM audit_results "
            "WHERE digest = ? AND rules_digest = ?", (digest, rules_digest))
        if not rows:
            return None
        findings, effects, unseen = rows[0]
        return ([Finding.from_record(r) for r in json.loads(findings)],
                Effects.from_dict(json.loads(effects)), int(unseen))

    def put(self, digest: str, rules_digest: str, verdict: str, findings: list[Finding],
            effects: Effects, unseen_scripts: int) -> None:
        self.store.execute(
            "INSERT INTO audit_results (digest, rules_digest, verdict, findings, effects, "
            "unseen_scripts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(digest, rules_digest) DO UPDATE SET verdict = excluded.verdict, "
            "findings = excluded.findings, effects = excluded.effects, "
            "unseen_scripts = excluded.unseen_scripts, created_at = excluded.created_at",
            (digest, rules_digest, verdict, compact_json([f.to_record() for f in findings]),
             compact_json(effects.to_dict()), unseen_scripts, utc_now()))

    def record(self, skill_id: str, digest: str, rules_digest: str, verdict: str,
               tier: int) -> None:
        self.store.execute(
            "INSERT INTO audit_skills (skill_id, digest, rules_digest, verdict, tier, "
            "audited_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(skill_id) DO UPDATE SET "
            "digest = excluded.digest, rules_digest = excluded.rules_digest, "
            "verdict = excluded.verdict, tier = excluded.tier, audited_at = excluded.audited_at",
            (skill_id, digest, rules_digest, verdict, tier, utc_now()))

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """skill id -> {digest, verdict, tier, audited_at} for every audited library skill."""
        rows = self.store.query(
            "SELECT skill_id, digest, verdict, tier, audited_at FROM audit_skills")
        return {r[0]: {"digest": r[1], "verdict": r[2], "tier": r[3], "audited_at": r[4]}
                for r in rows}


