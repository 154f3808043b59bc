"""Swiss-tournament pairing and Bradley-Terry scores with bootstrap intervals.

A comparison outcome is ``(a, b, task, x)`` with x = 1 when a beat b on the task, 0 when b beat
a, and 0.5 for a tie. Bradley-Terry strengths are fitted with the MM algorithm (ties count half
a win each way) and a weak prior (half a win and half a loss against a reference player of
strength 1) so that a player who never lost still gets a finite score. Scores are log
strengths centred on zero; intervals resample whole tasks.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence

from .stats import _percentile

Outcome = tuple[str, str, str, float]


def _matching(free: list[str], played: set[frozenset[str]], budget: list[int]
              ) -> list[tuple[str, str]] | None:
    """Pairs of ``free`` (kept in standing order) with no rematch, by depth-first search."""
    if not free:
        return []
    first, rest = free[0], free[1:]
    for partner in rest:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if frozenset((first, partner)) in played:
            continue
        tail = _matching([p for p in rest if p != partner], played, budget)
        if tail is not None:
            return [(first, partner), *tail]
    return None


def swiss_pairs(
    players: Sequence[str], points: dict[str, float], played: set[frozenset[str]],
    byes: set[str], rng: random.Random,
) -> tuple[list[tuple[str, str]], str | None]:
    """Pair players of similar points who have not met; with an odd count the lowest-placed
    player without a bye sits out. Rematches happen only when no other pairing exists."""
    order = list(players)
    rng.shuffle(order)
    order.sort(key=lambda p: -points.get(p, 0.0))
    if len(order) % 2:
        candidates = [p for p in reversed(order) if p not in byes] or [order[-1]]
    else:
        candidates = [None]
    for bye in candidates:
        free = [p for p in order if p != bye]
        pairs = _matching(free, played, [20_000])
        if pairs is not None:
            return pairs, bye
    bye = candidates[0]
    free = [p for p in order if p != bye]
    return [(free[i], free[i + 1]) for i in range(0, len(free), 2)], bye


def bradley_terry(players: Sequence[str], outcomes: Sequence[Outcome], *,
                  prior: float = 0.5, iterations: int = 2000,
                  tolerance: float = 1e-10) -> dict[str, float]:
    """Log strengths (mean zero) from pairwise outcomes."""
    index = {p: i for i, p in enumerate(players)}
    n = len(players)
    wins = [0.0] * n
    games: dict[tuple[int, int], float] = defaultdict(float)
    for a, b, _task, x in outcomes:
        i, j = index[a], index[b]
        wins[i] += x
        wins[j] += 1.0 - x
        games[(min(i, j), max(i, j))] += 1.0
    strength = [1.0] * n
    for _ in range(iterations):
        denom = [2 * prior / (s + 1.0) for s in strength]
        for (i, j), count in games.items():
            shared = count / (strength[i] + strength[j])
            denom[i] += shared
            denom[j] += shared
        new = [(wins[i] + prior) / denom[i] for i in range(n)]
        delta = max(abs(math.log(x) - math.log(y)) for x, y in zip(new, strength, strict=True))
        strength = new
        if delta < tolerance:
            break
    logs = [math.log(s) for s in strength]
    centre = sum(logs) / n if n else 0.0
    return {p: logs[index[p]] - centre for p in players}


def bt_intervals(players: Sequence[str], outcomes: Sequence[Outcome], *, n_boot: int = 500,
                 seed: int = 0, confidence: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of Bradley-Terry scores, resampling tasks with replacement."""
    by_task: dict[str, list[Outcome]] = defaultdict(list)
    for item in outcomes:
        by_task[item[2]].append(item)
    tasks = sorted(by_task)
    if not tasks:
        return {p: (math.nan, math.nan) for p in players}
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {p: [] for p in players}
    for _ in range(n_boot):
        sample = [o for t in rng.choices(tasks, k=len(tasks)) for o in by_task[t]]
        scores = bradley_terry(players, sample, iterations=500, tolerance=1e-8)
        for p in players:
            draws[p].append(scores[p])
    alpha = (1.0 - confidence) / 2.0
    out = {}
    for p in players:
        values = sorted(draws[p])
        out[p] = (_percentile(values, alpha), _percentile(values, 1.0 - alpha))
    return out


def default_rounds(n_players: int) -> int:
    """Enough Swiss rounds to separate n players (ceil(log2 n) + 1), never more than n - 1."""
    if n_players < 2:
        return 0
    return min(n_players - 1, math.ceil(math.log2(n_players)) + 1)
