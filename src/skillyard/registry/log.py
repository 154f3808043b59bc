"""The registry's write log: who did what, when, to which skill or token. Never a secret."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from ..library.records import compact_json, utc_now
from ..library.store import Store


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: str
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "actor": self.actor, "action": self.action,
                "target": self.target, "detail": self.detail}


class WriteLog:
    """The registry_log table; callers write inside the transaction of the change itself, so a
    change and its log entry commit together."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, actor: str, action: str, target: str, **detail: Any) -> None:
        at = utc_now()
        self.store.execute(
            "INSERT INTO registry_log (id, at, actor, action, target, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (f"{at}-{secrets.token_hex(4)}", at, actor, action, target, compact_json(detail)))

    def entries(self, *, limit: int = 100, target: str | None = None,
                actor: str | None = None) -> list[LogEntry]:
        where, params = [], []
        if target:
            where.append("target = ?")
            params.append(target)
        if actor:
            where.append("actor = ?")
            params.append(actor)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self.store.query(
            f"SELECT id, at, actor, action, target, detail FROM registry_log {clause}"
            f"ORDER BY id DESC LIMIT {int(limit)}", params)
        return [LogEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
