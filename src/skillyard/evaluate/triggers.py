"""Trigger evaluation: would the router activate this skill for this query?

Accepted files:

- a trigger eval set, ``[{query, should_trigger}]`` (needs the skill it is about);
- an ``evals.json`` (every prompt should trigger its skill; needs the skill, or finds it by
  ``skill_name``);
- JSONL lines ``{query, should_trigger, gold: [ids], not_skill: id, qid}`` as in
  ``routing-dev.jsonl``, which name their own skills.

A query "triggers" skill S when S is among the router's top ``k`` (or is a near-duplicate the
router lists beside one of them; a router that abstains triggers nothing). Per skill: precision = of
the queries routed to S, the share that should route to S; recall = of the queries that should
route to S, the share that did; both with Wilson intervals. Queries whose skills are not in the
library are left out and counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SkillyardError
from . import stats
from .errors import EvalError, TaskError
from .router import Router, library_router
from .store import EvalStore
from .tasks import require_text


@dataclass(frozen=True)
class TriggerCase:
    qid: str
    query: str
    should_trigger: bool
    positives: tuple[str, ...]  # skill refs this query should activate
    negatives: tuple[str, ...] = ()  # skill refs it must not activate


@dataclass
class SkillTriggerStats:
    skill: str
    tp: int
    fp: int
    fn: int
    negative_hits: int  # routed to S although the query says it must not be
    precision: float | None
    precision_lo: float
    precision_hi: float
    recall: float | None
    recall_lo: float
    recall_hi: float


@dataclass
class TriggerReport:
    run_id: str | None
    k: int
    cases: int
    skipped: int
    skills: list[SkillTriggerStats]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "k": self.k, "cases": self.cases, "skipped": self.skipped,
                "skills": [asdict(s) for s in self.skills]}


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise TaskError(f"{where}: 'should_trigger' must be true or false")
    return value


def _query(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise TaskError(f"{where}: must be an object")
    query = item.get("query", item.get("prompt"))
    if not isinstance(query, str) or not query.strip():
        raise TaskError(f"{where}: 'query' must be a non-empty string")
    return query


def parse_trigger_cases(data: Any, where: str, skill: str | None) -> list[TriggerCase]:
    """Cases from a parsed trigger set or evals.json (both are about one skill)."""
    if isinstance(data, dict) and isinstance(data.get("evals"), list):
        items = [dict(e, should_trigger=True) if isinstance(e, dict) else e
                 for e in data["evals"]]
        skill = skill or data.get("skill_name")
    elif isinstance(data, list):
        items = data
    else:
        raise TaskError(f"{where}: expected a list of {{query, should_trigger}} or an "
                        "evals.json object")
    if not items:
        raise TaskError(f"{where}: no queries")
    if not skill:
        raise EvalError(f"{where}: this trigger set is about one skill; say which with --skill")
    out = []
    for i, item in enumerate(items):
        at = f"{where}: item {i}"
        query = _query(item, at)
        should = _bool(item.get("should_trigger", True), at)
        qid = str(item.get("id", i + 1))
        out.append(TriggerCase(qid, query, should, (skill,) if should else (),
                               () if should else (skill,)))
    return out


def parse_jsonl_cases(text: str, where: str) -> list[TriggerCase]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        at = f"{where}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskError(f"{at}: invalid JSON ({exc.msg})") from None
        require_text(item, at)
        query = _query(item, at)
        should = _bool(item.get("should_trigger", True), at)
        gold = item.get("gold", [])
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            raise TaskError(f"{at}: 'gold' must be a list of skill ids")
        if should and not gold:
            raise TaskError(f"{at}: a should-trigger query needs 'gold' skill ids")
        negative = item.get("not_skill")
        if negative is not None and not isinstance(negative, str):
            raise TaskError(f"{at}: 'not_skill' must be a skill id")
        out.append(TriggerCase(str(item.get("qid", number)), query, should, tuple(gold),
                               (negative,) if negative else ()))
    if not out:
        raise TaskError(f"{where}: no queries")
    return out


def load_trigger_cases(path: str | Path, skill: str | None = None) -> list[TriggerCase]:
    p = Path(path)
    if p.is_dir():
        for candidate in (p / "evals" / "trigger_eval_set.json", p / "evals" / "evals.json"):
            if candidate.is_file():
                p = candidate
                break
    if not p.is_file():
        raise TaskError(f"{path}: no such trigger eval file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"{p}: cannot read ({exc})") from None
    if p.suffix == ".jsonl":
        return parse_jsonl_cases(text, str(p))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskError(f"{p}: invalid JSON at line {exc.lineno} ({exc.msg})") from None
    require_text(data, str(p))
    return parse_trigger_cases(data, str(p), skill)


def _resolver(lib: Any) -> Callable[[str], str | None]:
    memo: dict[str, str | None] = {}

    def resolve(ref: str) -> str | None:
        if ref not in memo:
            try:
                memo[ref] = lib.resolve(ref)
            except SkillyardError:
                memo[ref] = None
        return memo[ref]

    return resolve


def _hit(skill: str, routed: Sequence[str], k: int) -> bool:
    """Routed ids are the top k; entries written ``=ID`` are their near-duplicates."""
    primary = [r for r in routed if not r.startswith("=")][:k]
    return skill in primary or f"={skill}" in routed


def score(rows: Sequence[dict[str, Any]], k: int, confidence: float = 0.95
          ) -> list[SkillTriggerStats]:
    """Per-skill precision and recall from routed rows (``positives``/``negatives``/``routed``
    are resolved skill ids)."""
    skills = sorted({s for r in rows for s in r["positives"] + r["negatives"]})
    out = []
    for skill in skills:
        tp = fp = fn = neg = 0
        for r in rows:
            hit = _hit(skill, r["routed"], k)
            want = skill in r["positives"]
            tp += hit and want
            fn += want and not hit
            fp += hit and not want
            neg += hit and skill in r["negatives"]
        plo, phi = stats.wilson(tp, tp + fp, confidence)
        rlo, rhi = stats.wilson(tp, tp + fn, confidence)
        out.append(SkillTriggerStats(
            skill, tp, fp, fn, neg, tp / (tp + fp) if tp + fp else None, plo, phi,
            tp / (tp + fn) if tp + fn else None, rlo, rhi))
    return out


def run_triggers(lib: Any, cases: Sequence[TriggerCase], *, k: int = 1,
                 router: Router | None = None, store: bool = True, source: str = "",
                 respect_abstain: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> TriggerReport:
    if not 1 <= k <= 50:
        raise EvalError("k must be from 1 to 50")
    router = router or library_router(lib, respect_abstain=respect_abstain)
    resolve = _resolver(lib)
    rows: list[dict[str, Any]] = []
    skipped = 0
    for i, case in enumerate(cases):
        positives = [r for r in (resolve(p) for p in case.positives) if r]
        negatives = [r for r in (resolve(n) for n in case.negatives) if r]
        if not positives and not negatives:
            skipped += 1
            continue
        groups = (router.route_groups(case.query, k) if hasattr(router, "route_groups")
                  else [(i, []) for i in router.route(case.query, k)])
        routed = [i for i, _ in groups[:k]]
        # A near-duplicate of the routed skill (same group) counts as the same skill.
        also = sorted({a for _, alts in groups[:k] for a in alts} - set(routed))
        rows.append({"qid": case.qid, "query": case.query, "should_trigger": case.should_trigger,
                     "positives": positives, "negatives": negatives,
                     "routed": routed + [f"={a}" for a in also]})
        if progress is not None:
            progress(i + 1, len(cases))
    if not rows:
        raise EvalError("none of the queries' skills are in the library; index them first")
    run_id = None
    if store:
        evals = EvalStore(lib.store)
        run_id = evals.create_run("trigger", {"source": source, "k": k, "cases": len(cases),
                                              "skipped": skipped,
                                              "respect_abstain": respect_abstain})
        try:
            evals.add_triggers(run_id, rows)
        except BaseException:
            evals.finish_run(run_id, "failed")  # never left "running"
            raise
        evals.finish_run(run_id)
    return TriggerReport(run_id, k, len(rows), skipped, score(rows, k), rows)


def load_triggers(lib: Any, ref: str) -> TriggerReport:
    evals = EvalStore(lib.store)
    record = evals.run(ref)
    if record.kind != "trigger":
        raise EvalError(f"run {record.id} is a {record.kind} run, not a trigger evaluation")
    rows = evals.triggers(record.id)
    k = int(record.spec.get("k", 1))
    return TriggerReport(record.id, k, len(rows), int(record.spec.get("skipped", 0)),
                         score(rows, k), rows)
