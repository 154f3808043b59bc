"""``audit --library`` with the per-skill analysis spread over Ray workers.

The analysis of a skill (every analyzer over its files) is cached in the library by (skill
digest, rules digest); that is the expensive, independent part. The driver lists the library's
skills, skips digests whose analysis is cached, and sends the rest in chunks of skill ids to
workers, which open the library themselves (an SQLite file on this machine, or PostgreSQL) and
return the analyses; the driver writes each chunk through the verdict store as it arrives.
Then the normal library audit runs (:func:`skillyard.audit.batch.audit_store`): it finds every
analysis cached and does the cross-skill parts (combination chains, policy, the judge, tiers)
as always, so the results equal a single-process audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..api import Library
from ..audit.engine import analyze, decide
from ..audit.graph import Effects
from ..audit.model import AuditResult, Finding
from ..audit.policy import Policy
from ..audit.rules import RuleSet, load_rules
from ..audit.store import VerdictStore
from ..library.backends import open_store
from ..progress import counter
from .jobs import JobReport, StageProgress, chunk_size, run_job
from .runtime import BatchError, RayRuntime

CHUNK = 8  # skills per task: most take tens of milliseconds, a few take seconds

Analysed = tuple[str, str, list[Finding], Effects, int]  # digest, verdict, findings, ...

_WORKER: dict[str, RuleSet] = {}


def _rules(digest: str) -> RuleSet:
    if "rules" not in _WORKER:
        _WORKER["rules"] = load_rules()
    rules = _WORKER["rules"]
    if rules.digest != digest:
        raise BatchError(f"a Ray worker has other audit rules ({rules.digest[:12]}) than the "
                         f"driver ({digest[:12]}); install the same skillyard on every node")
    return rules


def audit_chunk(skill_ids: Sequence[str], db: str, rules_digest: str,
                policy: Policy) -> list[Analysed]:
    """On a worker: analyse library skills (read from the library at ``db``)."""
    rules = _rules(rules_digest)
    store = open_store(db)
    try:
        out = []
        for skill_id in skill_ids:
            skill = store.get(skill_id)
            analysis = analyze(skill, rules=rules, read_blob=store.read_blob)
            _kept, verdict, _tier = decide(skill, analysis.findings, policy,
                                           unseen_scripts=analysis.unseen_scripts,
                                           read_blob=store.read_blob)
            out.append((skill.digest, verdict, analysis.findings, analysis.effects,
                        analysis.unseen_scripts))
        return out
    finally:
        store.close()


def _cached_digests(store: Any, rules_digest: str) -> set[str]:
    verdicts = VerdictStore(store)  # creates the audit tables if they are missing
    rows = verdicts.store.query("SELECT digest FROM audit_results WHERE rules_digest = ?",
                                (rules_digest,))
    return {row[0] for row in rows}


def analyse_library(lib: Library, db: str, runtime: RayRuntime, ids: list[str] | None, *,
                    policy: Policy, force: bool = False, progress: StageProgress | None = None,
                    chunk: int = CHUNK) -> JobReport:
    """Analyse on workers every library skill (or ``ids``) whose analysis is not cached."""
    report = JobReport("audit")
    rules = load_rules()
    summaries = lib.store.summaries()
    if ids is not None:
        wanted = set(ids)
        summaries = [s for s in summaries if s.id in wanted]
    summaries.sort(key=lambda s: s.id)
    done = set() if force else _cached_digests(lib.store, rules.digest)
    todo: dict[str, str] = {}  # digest -> one skill id with it
    for s in summaries:
        if s.digest not in done:
            todo.setdefault(s.digest, s.id)
    report.items = len(summaries)
    verdicts = VerdictStore(lib.store)

    def write(_part: Sequence[str], analysed: list[Analysed]) -> None:
        with lib.store.transaction():
            for digest, verdict, findings, effects, unseen in analysed:
                verdicts.put(digest, rules.digest, verdict, findings, effects, unseen)

    skill_ids = list(todo.values())
    size = chunk_size(len(skill_ids), runtime.parallelism(), chunk) if skill_ids else 1
    parts = [skill_ids[i:i + size] for i in range(0, len(skill_ids), size)]
    tick = None if progress is None else counter(progress, "analysing on Ray", len(skill_ids))
    run_job(runtime, audit_chunk, parts, write, report, shared=(db, rules.digest, policy),
            tick=tick)
    # Skills sharing a digest with an analysed one were covered by its analysis.
    report.skipped = report.items - report.done
    return report


def audit_library_ray(
    db: str,
    runtime: RayRuntime,
    refs: Sequence[str] | None = None,
    *,
    policy: Any = None,
    judge: Any = None,
    force: bool = False,
    progress: StageProgress | None = None,
) -> tuple[list[AuditResult], JobReport]:
    """Audit library skills (all, or ``refs``) with the analysis done on Ray workers; returns
    the results (as :meth:`Library.audit` would) and the job's report. ``db`` is the library's
    location as the workers should open it (a file path or a PostgreSQL URL)."""
    from ..audit import load_policy

    if policy is None or not isinstance(policy, Policy):
        policy = load_policy(policy, load_rules())
    if "://" not in db:
        db = str(Path(db).resolve())  # workers may start in another folder
    with Library(db) as lib:
        ids = None if refs is None else [lib.resolve(r) for r in refs]
        report = analyse_library(lib, db, runtime, ids, policy=policy, force=force,
                                 progress=progress)
        total = len(ids) if ids is not None else None
        step = None if progress is None else counter(progress, "auditing", total)
        results = lib.audit(ids, policy=policy, judge=judge, force=False,
                            progress=None if step is None else (lambda _skill: step(1)))
    return results, report
