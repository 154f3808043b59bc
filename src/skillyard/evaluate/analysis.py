"""From trial results to per-arm summaries and paired comparisons.

A task counts as passed by an arm by the ``per_task`` rule over its k trials: ``majority``
(more than half pass; the default), ``all`` or ``any`` (pass@k). Each arm's headline rate is
tasks passed / tasks with a Wilson interval (n = tasks, never trials). A comparison of an arm
against the baseline uses the tasks both ran: discordant counts (helped b: only the arm passed;
hurt c: only the baseline passed), the exact McNemar p-value on them, the mean difference of
per-task trial pass rates with a paired bootstrap interval clustered by task, and token and time
overhead with intervals. q-values adjust p-values with Benjamini-Hochberg across all comparisons
analysed together.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from . import stats
from .engine import TrialResult
from .errors import EvalError

PER_TASK_RULES = ("majority", "all", "any")


@dataclass
class ArmSummary:
    arm: str
    tasks: int
    tasks_passed: int
    rate: float
    rate_lo: float
    rate_hi: float
    trials: int
    trials_passed: int
    trial_rate: float
    trial_rate_lo: float
    trial_rate_hi: float
    errors: int
    timeouts: int
    tokens_mean: float
    tokens_lo: float
    tokens_hi: float
    seconds_mean: float
    seconds_lo: float
    seconds_hi: float
    skills: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    arm: str
    baseline: str
    tasks: int
    helped: int
    hurt: int
    both_pass: int
    both_fail: int
    p_value: float
    q_value: float
    diff: float
    diff_lo: float
    diff_hi: float
    token_overhead: float
    token_overhead_lo: float
    token_overhead_hi: float
    time_overhead: float
    time_overhead_lo: float
    time_overhead_hi: float
    verdict: str = ""
    label: str = ""  # run id when several runs are analysed together


@dataclass
class Analysis:
    arms: list[ArmSummary]
    comparisons: list[Comparison]
    per_task: dict[str, dict[str, list[bool]]]  # task -> arm -> trial outcomes
    rule: str
    confidence: float
    seed: int
    baseline: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "confidence": self.confidence, "seed": self.seed,
            "baseline": self.baseline,
            "arms": [_clean(asdict(a)) for a in self.arms],
            "comparisons": [_clean(asdict(c)) for c in self.comparisons],
            "per_task": self.per_task,
        }


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """NaN is not JSON: write null; round floats for stable, readable output."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, float):
            out[key] = None if math.isnan(value) else round(value, 6)
        else:
            out[key] = value
    return out


def task_passed(outcomes: Sequence[bool], rule: str) -> bool:
    if rule == "majority":
        return 2 * sum(outcomes) > len(outcomes)
    if rule == "all":
        return bool(outcomes) and all(outcomes)
    if rule == "any":
        return any(outcomes)
    raise EvalError(f"unknown per-task rule {rule!r}; use one of {', '.join(PER_TASK_RULES)}")


def _group(trials: Iterable[TrialResult]) -> dict[str, dict[str, list[TrialResult]]]:
    by: dict[str, dict[str, list[TrialResult]]] = defaultdict(lambda: defaultdict(list))
    for t in trials:
        by[t.arm][t.task_id].append(t)
    return by


def _summary(arm: str, tasks: dict[str, list[TrialResult]], rule: str, conf: float,
             n_boot: int, seed: int) -> ArmSummary:
    ids = sorted(tasks)
    passed = sum(task_passed([t.passed for t in tasks[i]], rule) for i in ids)
    lo, hi = stats.wilson(passed, len(ids), conf)
    rates = [stats.mean([float(t.passed) for t in tasks[i]]) for i in ids]
    toks = [stats.mean([float(t.tokens) for t in tasks[i]]) for i in ids]
    secs = [stats.mean([t.agent_seconds for t in tasks[i]]) for i in ids]
    r, rlo, rhi = stats.cluster_mean_interval(rates, n_boot=n_boot, seed=seed, confidence=conf)
    k, klo, khi = stats.cluster_mean_interval(toks, n_boot=n_boot, seed=seed, confidence=conf)
    s, slo, shi = stats.cluster_mean_interval(secs, n_boot=n_boot, seed=seed, confidence=conf)
    every = [t for i in ids for t in tasks[i]]
    skills = sorted({f"{s['id']}@v{s['version']}" for t in every for s in t.skills})
    return ArmSummary(
        arm=arm, tasks=len(ids), tasks_passed=passed, rate=passed / len(ids) if ids else math.nan,
        rate_lo=lo, rate_hi=hi, trials=len(every), trials_passed=sum(t.passed for t in every),
        trial_rate=r, trial_rate_lo=rlo, trial_rate_hi=rhi,
        errors=sum(t.status == "error" for t in every),
        timeouts=sum(t.status == "timeout" for t in every),
        tokens_mean=k, tokens_lo=klo, tokens_hi=khi, seconds_mean=s, seconds_lo=slo,
        seconds_hi=shi, skills=skills[:20],
    )


def compare(arm: str, baseline: str, by_arm: dict[str, dict[str, list[TrialResult]]],
            rule: str, conf: float, n_boot: int, seed: int) -> Comparison:
    """One arm against the baseline on the tasks both ran."""
    a, b = by_arm[baseline], by_arm[arm]
    ids = sorted(set(a) & set(b))
    helped = hurt = both_pass = both_fail = 0
    for i in ids:
        pa = task_passed([t.passed for t in a[i]], rule)
        pb = task_passed([t.passed for t in b[i]], rule)
        helped += pb and not pa
        hurt += pa and not pb
        both_pass += pa and pb
        both_fail += not pa and not pb

    def per_task(group: dict[str, list[TrialResult]], attr: str) -> list[float]:
        return [stats.mean([float(getattr(t, attr)) for t in group[i]]) for i in ids]

    diff = stats.paired_bootstrap(per_task(a, "passed"), per_task(b, "passed"),
                                  n_boot=n_boot, seed=seed, confidence=conf)
    tok = stats.ratio_bootstrap(per_task(a, "tokens"), per_task(b, "tokens"),
                                n_boot=n_boot, seed=seed, confidence=conf)
    tim = stats.ratio_bootstrap(per_task(a, "agent_seconds"), per_task(b, "agent_seconds"),
                                n_boot=n_boot, seed=seed, confidence=conf)
    p = stats.mcnemar_exact(helped, hurt)
    return Comparison(arm, baseline, len(ids), helped, hurt, both_pass, both_fail, p, p,
                      *diff, *tok, *tim)


def verdict(c: Comparison, alpha: float = 0.05) -> str:
    if c.tasks == 0:
        return "no shared tasks"
    if c.q_value < alpha and c.diff_lo > 0:
        return "helps"
    if c.q_value < alpha and c.diff_hi < 0:
        return "hurts"
    return "no clear effect"


def adjust(comparisons: Sequence[Comparison], alpha: float = 0.05) -> None:
    """Fill q-values (Benjamini-Hochberg across these comparisons) and verdicts in place."""
    qs = stats.benjamini_hochberg([c.p_value for c in comparisons])
    for c, q in zip(comparisons, qs, strict=True):
        c.q_value = q
        c.verdict = verdict(c, alpha)


def analyze(
    trials: Sequence[TrialResult],
    *,
    baseline: str | None = None,
    rule: str = "majority",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    pairs: str = "baseline",
    alpha: float = 0.05,
    order: Sequence[str] = (),
) -> Analysis:
    """Summaries for every arm and comparisons against ``baseline`` (or all pairs).

    Arms are listed in ``order`` (the run's arm order) when given, else no-skill first and
    the rest by name; the default baseline is ``none`` if present, else the first arm."""
    if rule not in PER_TASK_RULES:
        raise EvalError(f"unknown per-task rule {rule!r}; use one of {', '.join(PER_TASK_RULES)}")
    stats.z_value(confidence)
    if pairs not in ("baseline", "all"):
        raise EvalError(f"pairs must be 'baseline' or 'all', not {pairs!r}")
    by_arm = _group(trials)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(by_arm, key=lambda n: (rank.get(n, len(rank)), n != "none", n))
    if baseline is None:
        baseline = "none" if "none" in by_arm else (names[0] if names else None)
    elif baseline not in by_arm:
        raise EvalError(f"baseline arm {baseline!r} is not in this run (arms: "
                        f"{', '.join(names) or 'none'})")
    summaries = [_summary(n, by_arm[n], rule, confidence, n_boot, seed) for n in names]
    comparisons: list[Comparison] = []
    if pairs == "all":
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                comparisons.append(compare(second, first, by_arm, rule, confidence, n_boot, seed))
    elif baseline is not None:
        for name in names:
            if name != baseline:
                comparisons.append(compare(name, baseline, by_arm, rule, confidence, n_boot,
                                           seed))
    adjust(comparisons, alpha)
    per_task: dict[str, dict[str, list[bool]]] = defaultdict(dict)
    for name in names:
        for task_id, group in by_arm[name].items():
            per_task[task_id][name] = [t.passed for t in sorted(group, key=lambda t: t.trial)]
    return Analysis(summaries, comparisons, dict(sorted(per_task.items())), rule, confidence,
                    seed, baseline)
