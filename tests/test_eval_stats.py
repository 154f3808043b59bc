"""Statistics checked against scipy where scipy has the same procedure, and by properties."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp

from skillyard.evaluate import stats
from skillyard.evaluate.analysis import analyze, task_passed
from skillyard.evaluate.engine import TrialResult
from skillyard.evaluate.ranking import bradley_terry, bt_intervals, default_rounds, swiss_pairs


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), data=st.data(), conf=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_scipy(n: int, data: st.DataObject, conf: float) -> None:
    k = data.draw(st.integers(0, n))
    lo, hi = stats.wilson(k, n, conf)
    ref = sp.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    assert lo == pytest.approx(ref.low, abs=1e-9)
    assert hi == pytest.approx(ref.high, abs=1e-9)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@settings(max_examples=300, deadline=None)
@given(b=st.integers(0, 300), c=st.integers(0, 300))
def test_exact_mcnemar_matches_scipy_binomtest(b: int, c: int) -> None:
    p = stats.mcnemar_exact(b, c)
    if b + c == 0:
        assert p == 1.0
        return
    ref = sp.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    assert p == pytest.approx(ref, rel=1e-9, abs=1e-300)
    assert stats.mcnemar_exact(c, b) == p


def test_mcnemar_known_values() -> None:
    # 6 helped, 2 hurt: 2 * P(X <= 2 | n=8) = 2 * (1 + 8 + 28) / 256
    assert stats.mcnemar_exact(6, 2) == pytest.approx(74 / 256)
    assert stats.mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    assert stats.mcnemar_exact(3, 3) == 1.0


@settings(max_examples=200, deadline=None)
@given(ps=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60))
def test_benjamini_hochberg_matches_scipy(ps: list[float]) -> None:
    ours = stats.benjamini_hochberg(ps)
    ref = sp.false_discovery_control(ps, method="bh")
    assert ours == pytest.approx(list(ref), abs=1e-12)
    assert all(q >= p - 1e-15 for p, q in zip(ps, ours, strict=True))


def test_bh_rejects_bad_input() -> None:
    assert stats.benjamini_hochberg([]) == []
    with pytest.raises(ValueError):
        stats.benjamini_hochberg([0.5, 1.5])
    with pytest.raises(ValueError):
        stats.wilson(5, 3)


def test_percentile_matches_numpy_linear() -> None:
    import numpy as np

    rng = random.Random(3)
    values = sorted(rng.random() for _ in range(57))
    for q in (0.0, 0.025, 0.5, 0.975, 1.0):
        assert stats._percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)))


def test_paired_bootstrap_is_seeded_and_covers_the_truth() -> None:
    rng = random.Random(7)
    a = [float(rng.random() < 0.4) for _ in range(200)]
    b = [float(rng.random() < 0.6) for _ in range(200)]
    first = stats.paired_bootstrap(a, b, n_boot=1000, seed=11)
    assert first == stats.paired_bootstrap(a, b, n_boot=1000, seed=11)
    assert first != stats.paired_bootstrap(a, b, n_boot=1000, seed=12)
    diff, lo, hi = first
    assert diff == pytest.approx(sum(b) / 200 - sum(a) / 200)
    assert lo < diff < hi and lo > 0.0  # a 20-point effect on 200 tasks is clear
    # Identical arms: the interval collapses on zero.
    assert stats.paired_bootstrap(a, a, n_boot=200, seed=1) == (0.0, 0.0, 0.0)


def test_bootstrap_interval_agrees_with_scipy_percentile_bootstrap() -> None:
    rng = random.Random(5)
    diffs = [rng.choice([-1.0, 0.0, 0.0, 1.0, 1.0]) for _ in range(120)]
    zeros = [0.0] * len(diffs)
    _, lo, hi = stats.paired_bootstrap(zeros, diffs, n_boot=4000, seed=2)
    ref = sp.bootstrap((diffs,), lambda x, axis=-1: x.mean(axis=axis), n_resamples=4000,
                       method="percentile", random_state=2).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.03)
    assert hi == pytest.approx(ref.high, abs=0.03)


def test_ratio_bootstrap() -> None:
    a = [100.0, 120.0, 80.0, 100.0]
    b = [150.0, 180.0, 120.0, 150.0]
    point, lo, hi = stats.ratio_bootstrap(a, b, n_boot=300, seed=0)
    assert point == pytest.approx(0.5) and lo == pytest.approx(0.5) and hi == pytest.approx(0.5)
    assert all(math.isnan(x) for x in stats.ratio_bootstrap([0.0, 0.0], [1.0, 2.0]))


def test_per_task_rules() -> None:
    assert task_passed([True, True, False], "majority")
    assert not task_passed([True, False], "majority")
    assert task_passed([True, False], "any") and not task_passed([True, False], "all")


def _trials(outcomes: dict[str, dict[str, list[bool]]],
            tokens: dict[str, int]) -> list[TrialResult]:
    out = []
    for arm, by_task in outcomes.items():
        for task, results in by_task.items():
            for i, ok in enumerate(results):
                out.append(TrialResult(task, arm, i, ok, float(ok), "ok",
                                       prompt_tokens=tokens[arm], agent_seconds=1.0))
    return out


def test_analysis_counts_are_exact() -> None:
    none = {f"t{i}": [i < 5] * 3 for i in range(20)}  # passes t0..t4
    skill = {f"t{i}": [2 <= i < 12] * 3 for i in range(20)}  # passes t2..t11
    result = analyze(_trials({"none": none, "skill": skill}, {"none": 100, "skill": 150}),
                     n_boot=500, seed=3)
    (comp,) = result.comparisons
    assert (comp.helped, comp.hurt, comp.both_pass, comp.both_fail) == (7, 2, 3, 8)
    assert comp.p_value == pytest.approx(sp.binomtest(7, 9, 0.5).pvalue)
    assert comp.diff == pytest.approx(0.25)
    assert comp.token_overhead == pytest.approx(0.5)
    arms = {a.arm: a for a in result.arms}
    assert arms["skill"].tasks_passed == 10 and arms["none"].tasks_passed == 5
    lo, hi = sp.binomtest(10, 20).proportion_ci(method="wilson")
    assert (arms["skill"].rate_lo, arms["skill"].rate_hi) == pytest.approx((lo, hi))
    assert result.to_dict() == analyze(
        _trials({"none": none, "skill": skill}, {"none": 100, "skill": 150}), n_boot=500,
        seed=3).to_dict()


def test_bradley_terry_orders_players_and_stays_finite() -> None:
    outcomes = []
    strength = {"a": 3.0, "b": 1.0, "c": 0.3}
    rng = random.Random(0)
    for t in range(300):
        for x, y in (("a", "b"), ("b", "c"), ("a", "c")):
            p = strength[x] / (strength[x] + strength[y])
            outcomes.append((x, y, f"t{t}", 1.0 if rng.random() < p else 0.0))
    scores = bradley_terry(["a", "b", "c"], outcomes)
    assert scores["a"] > scores["b"] > scores["c"]
    assert abs(sum(scores.values())) < 1e-9
    # log(3/1) and log(1/0.3) within sampling error
    assert scores["a"] - scores["b"] == pytest.approx(math.log(3.0), abs=0.3)
    sweep = bradley_terry(["x", "y"], [("x", "y", "t", 1.0)] * 5)
    assert math.isfinite(sweep["x"]) and sweep["x"] > 0 > sweep["y"]
    ties = bradley_terry(["x", "y"], [("x", "y", "t", 0.5)] * 5)
    assert ties["x"] == pytest.approx(0.0, abs=1e-9)
    intervals = bt_intervals(["a", "b", "c"], outcomes[:300], n_boot=100, seed=1)
    assert intervals == bt_intervals(["a", "b", "c"], outcomes[:300], n_boot=100, seed=1)
    assert all(lo <= hi for lo, hi in intervals.values())


def test_swiss_pairs_avoid_rematches_and_rotate_byes() -> None:
    players = ["a", "b", "c", "d", "e"]
    played: set[frozenset[str]] = set()
    byes: set[str] = set()
    rng = random.Random(0)
    points: dict[str, float] = {}
    for _ in range(4):
        pairs, bye = swiss_pairs(players, points, played, byes, rng)
        assert bye is not None and bye not in byes
        byes.add(bye)
        seen = [p for pair in pairs for p in pair]
        assert sorted(seen + [bye]) == players
        for pair in pairs:
            assert frozenset(pair) not in played
            played.add(frozenset(pair))
    assert default_rounds(2) == 1 and default_rounds(8) == 4 and default_rounds(1) == 0
