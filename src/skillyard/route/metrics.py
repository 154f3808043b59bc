"""Routing quality metrics: Hit@1, MRR@k, Recall@k (strict or lenient), abstention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Judged:
    """One query's ranked ids with what counts as right."""

    ranked: Sequence[str]
    gold: frozenset[str]  # empty for should-not-trigger queries
    abstained: bool = False


def expand(gold: Sequence[str], group_of: Mapping[str, str]) -> frozenset[str]:
    """Gold ids widened to every id in their groups (the lenient metric)."""
    groups = {group_of.get(g, g) for g in gold}
    members = {i for i, grp in group_of.items() if grp in groups}
    return frozenset(set(gold) | members)


def rank_of(ranked: Sequence[str], gold: frozenset[str], k: int) -> int | None:
    for pos, rid in enumerate(ranked[:k], start=1):
        if rid in gold:
            return pos
    return None


def summarize(items: Sequence[Judged], k: int = 10) -> dict[str, float]:
    """Hit@1, MRR@k and Recall@k over should-trigger queries (abstentions count as misses)."""
    positives = [j for j in items if j.gold]
    if not positives:
        return {"n": 0, "hit@1": 0.0, f"mrr@{k}": 0.0, f"recall@{k}": 0.0}
    hit = mrr = rec = 0.0
    for j in positives:
        ranked = [] if j.abstained else j.ranked
        pos = rank_of(ranked, j.gold, k)
        if pos is not None:
            hit += pos == 1
            mrr += 1.0 / pos
            rec += 1.0
    n = len(positives)
    return {"n": n, "hit@1": hit / n, f"mrr@{k}": mrr / n, f"recall@{k}": rec / n}


def abstention(items: Sequence[Judged]) -> dict[str, float]:
    """Precision and recall of ``abstain`` as a detector of should-not-trigger queries."""
    negatives = [j for j in items if not j.gold]
    abstained = [j for j in items if j.abstained]
    true_pos = sum(1 for j in negatives if j.abstained)
    return {
        "negatives": len(negatives),
        "abstained": len(abstained),
        "precision": true_pos / len(abstained) if abstained else 0.0,
        "recall": true_pos / len(negatives) if negatives else 0.0,
        "false_abstain_rate": (len(abstained) - true_pos) / max(1, len(items) - len(negatives)),
    }
