"""Statistics for paired experiments, in plain Python (exact where it can be, seeded where not).

- ``wilson``: Wilson score interval for a binomial proportion.
- ``mcnemar_exact``: two-sided exact McNemar test on discordant pairs (a binomial test of
  b against Binomial(b + c, 1/2)).
- ``paired_bootstrap``: percentile interval of a mean difference, resampling whole tasks
  (clusters) so that repeated trials of one task are never treated as independent.
- ``ratio_bootstrap``: the same for a ratio of means (token and time overhead).
- ``benjamini_hochberg``: step-up adjusted p-values (q-values) across many comparisons.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from statistics import NormalDist

Interval = tuple[float, float]


def z_value(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval; (0, 1) when n is 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return 0.0, 1.0
    z = z_value(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs (1.0 when b + c = 0)."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    low = min(b, c)
    if 2 * low == n:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(low + 1))
    return min(1.0, 2 * tail / 2**n)


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the input order."""
    m = len(pvalues)
    if m == 0:
        return []
    for p in pvalues:
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise ValueError(f"p-value {p} is not in [0, 1]")
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = running
    return adjusted


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values (q in [0, 1])."""
    if not sorted_values:
        return math.nan
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] * (1 - frac) + sorted_values[hi] * frac


def _bootstrap(n: int, stat: Callable[[list[int]], float | None], n_boot: int, seed: int,
               confidence: float) -> Interval:
    if n == 0:
        return math.nan, math.nan
    rng = random.Random(seed)
    population = range(n)
    draws: list[float] = []
    for _ in range(n_boot):
        idx = rng.choices(population, k=n)
        value = stat(idx)
        if value is not None and math.isfinite(value):
            draws.append(value)
    if not draws:
        return math.nan, math.nan
    draws.sort()
    alpha = (1.0 - confidence) / 2.0
    return _percentile(draws, alpha), _percentile(draws, 1.0 - alpha)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def cluster_mean_interval(values: Sequence[float], *, n_boot: int = 2000, seed: int = 0,
                          confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-task values and a bootstrap interval resampling tasks."""
    vals = list(values)
    lo, hi = _bootstrap(len(vals), lambda idx: mean([vals[i] for i in idx]), n_boot, seed,
                        confidence)
    return mean(vals), lo, hi


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, n_boot: int = 2000,
                     seed: int = 0, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of b - a over tasks (each value a task's mean over its trials) with a percentile
    interval from resampling tasks with replacement."""
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    lo, hi = _bootstrap(len(diffs), lambda idx: mean([diffs[i] for i in idx]), n_boot, seed,
                        confidence)
    return mean(diffs), lo, hi


def ratio_bootstrap(a: Sequence[float], b: Sequence[float], *, n_boot: int = 2000,
                    seed: int = 0, confidence: float = 0.95) -> tuple[float, float, float]:
    """sum(b) / sum(a) - 1 (relative overhead of b over a) with a task-resampling interval;
    NaN when a sums to zero."""
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")

    def stat(idx: list[int]) -> float | None:
        base = sum(a[i] for i in idx)
        return None if base <= 0 else sum(b[i] for i in idx) / base - 1.0

    point = stat(list(range(len(a)))) if a else None
    if point is None:
        return math.nan, math.nan, math.nan
    lo, hi = _bootstrap(len(a), stat, n_boot, seed, confidence)
    return point, lo, hi
