"""Evaluation results in the library database (tables from migration 0004).

A run row holds the run's spec (tasks, arms, runner, options, seed) as JSON; its raw results go
in ``eval_trials`` (one row per trial), ``eval_triggers`` (one row per routed query) or
``eval_matches`` (one row per tournament comparison on a task). Reports are rebuilt from rows.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError
from ..library.records import compact_json, utc_now
from .engine import TrialResult

RUN_KINDS = ("experiment", "trigger", "tournament")



def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)



@dataclass
class RunRecord:
    id: str
    kind: str
    status: str
    created_at: str
    finished_at: str | None
    spec: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "created_at": self.created_at, "finished_at": self.finished_at,
                "spec": self.spec}


class EvalStore:
    """Reads and writes evaluation rows through the library store's portable SQL methods."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def create_run(self, kind: str, spec: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        self.store.execute(
            "INSERT INTO eval_runs (id, kind, status, created_at, spec) VALUES (?, ?, ?, ?, ?)",
            (run_id, kind, "running", utc_now(), compact_json(spec)),
        )
        return run_id

    def finish_run(self, run_id: str, status: str = "done",
                   spec: dict[str, Any] | None = None) -> None:
        if spec is not None:
            self.store.execute("UPDATE eval_runs SET spec = ? WHERE id = ?",
                               (compact_json(spec), run_id))
        self.store.execute("UPDATE eval_runs SET status = ?, finished_at = ? WHERE id = ?",
                           (status, utc_now(), run_id))

    def add_trials(self, run_id: str, trials: Sequence[TrialResult]) -> None:
        if not trials:
            return
        with self.store.transaction():
            for t in trials:
                self.store.execute(
                    "INSERT INTO eval_trials (run_id, task_id, arm, trial, passed, "
                    "reward, status, error, prompt_tokens, completion_tokens, agent_seconds, "
                    "verify_seconds, wall_seconds, skills, detail) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (run_id, task_id, arm, trial) DO UPDATE SET "
                    "passed = excluded.passed, reward = excluded.reward, "
                    "status = excluded.status, error = excluded.error, "
                    "prompt_tokens = excluded.prompt_tokens, "
                    "completion_tokens = excluded.completion_tokens, "
                    "agent_seconds = excluded.agent_seconds, "
                    "verify_seconds = excluded.verify_seconds, "
                    "wall_seconds = excluded.wall_seconds, skills = excluded.skills, "
                    "detail = excluded.detail",
                    (run_id, t.task_id, t.arm, t.trial, int(t.passed), t.reward, t.status,
                     t.error, t.prompt_tokens, t.completion_tokens, t.agent_seconds,
                     t.verify_seconds, t.wall_seconds, compact_json(t.skills),
                     compact_json(t.detail)),
                )

    def trials(self, run_id: str) -> list[TrialResult]:
        rows = self.store.query(
            "SELECT task_id, arm, trial, passed, reward, status, error, prompt_tokens, "
            "completion_tokens, agent_seconds, verify_seconds, wall_seconds, skills, detail "
            "FROM eval_trials WHERE run_id = ? ORDER BY task_id, arm, trial", (run_id,))
        return [
            TrialResult(task, arm, trial, bool(passed), reward, status, error, pt, ct, a, v, w,
                        json.loads(skills), json.loads(detail))
            for (task, arm, trial, passed, reward, status, error, pt, ct, a, v, w, skills,
                 detail) in rows
        ]

    def add_triggers(self, run_id: str, rows: Sequence[dict[str, Any]]) -> None:
        with self.store.transaction():
            for r in rows:
                self.store.execute(
                    "INSERT INTO eval_triggers (run_id, qid, query, should_trigger, "
                    "positives, negatives, routed) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (run_id, qid) DO UPDATE SET query = excluded.query, "
                    "should_trigger = excluded.should_trigger, "
                    "positives = excluded.positives, negatives = excluded.negatives, "
                    "routed = excluded.routed",
                    (run_id, r["qid"], r["query"], int(r["should_trigger"]),
                     compact_json(r["positives"]), compact_json(r["negatives"]),
                     compact_json(r["routed"])),
                )

    def triggers(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT qid, query, should_trigger, positives, negatives, routed FROM eval_triggers "
            "WHERE run_id = ? ORDER BY qid", (run_id,))
        return [{"qid": q, "query": text, "should_trigger": bool(st),
                 "positives": json.loads(pos), "negatives": json.loads(neg),
                 "routed": json.loads(routed)} for q, text, st, pos, neg, routed in rows]

    def add_matches(self, run_id: str, rows: Sequence[tuple[int, str, str, str, float]]) -> None:
        with self.store.transaction():
            for rnd, a, b, task_id, outcome in rows:
                self.store.execute(
                    "INSERT INTO eval_matches (run_id, round, a, b, task_id, outcome) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, round, a, b, task_id) "
                    "DO UPDATE SET outcome = excluded.outcome",
                    (run_id, rnd, a, b, task_id, outcome))

    def matches(self, run_id: str) -> list[tuple[int, str, str, str, float]]:
        rows = self.store.query(
            "SELECT round, a, b, task_id, outcome FROM eval_matches WHERE run_id = ? "
            "ORDER BY round, a, b, task_id", (run_id,))
        return [(int(r), a, b, t, float(o)) for r, a, b, t, o in rows]

    def run(self, ref: str) -> RunRecord:
        """A run by id, by unique id prefix, or ``latest``."""
        if ref == "latest":
            rows = self.store.query(
                "SELECT id, kind, status, created_at, finished_at, spec FROM eval_runs "
                "ORDER BY created_at DESC, id DESC LIMIT 1")
        else:
            rows = self.store.query(
                "SELECT id, kind, status, created_at, finished_at, spec FROM eval_runs "
                "WHERE id = ?", (ref,))
            if not rows:
                escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                rows = self.store.query(
                    "SELECT id, kind, status, created_at, finished_at, spec FROM eval_runs "
                    "WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 11", (escaped + "%",))
                if len(rows) > 1:
                    ids = ", ".join(r[0] for r in rows[:10])
                    raise NotFoundError(f"run {ref!r} is ambiguous: {ids}")
        if not rows:
            raise NotFoundError(f"no evaluation run {ref!r} in the library")
        rid, kind, status, created, finished, spec = rows[0]
        return RunRecord(rid, kind, status, created, finished, json.loads(spec))

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        sql = "SELECT id, kind, status, created_at, finished_at, spec FROM eval_runs"
        params: tuple[Any, ...] = ()
        if kind:
            sql += " WHERE kind = ?"
            params = (kind,)
        rows = self.store.query(sql + " ORDER BY created_at, id", params)
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def delete_run(self, run_id: str) -> None:
        with self.store.transaction():
            for table in ("eval_trials", "eval_triggers", "eval_matches"):
                self.store.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            self.store.execute("DELETE FROM eval_runs WHERE id = ?", (run_id,))
