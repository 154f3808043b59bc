"""What the router's fit scripts share (bench/fit_stage2.py, bench/fit_bodyrank.py): fit a
linear model on the ``tune`` split, report Hit@1 before and after on both splits, print the
weights, and write the model file when asked. The held-out split is reported, never fitted on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from skillyard.route import linear  # noqa: E402
from skillyard.route.linear import LinearModel  # noqa: E402

FITTED_ON = "tune split of routing-dev.jsonl and bench/data/routing/queries.jsonl"
Pool = tuple[np.ndarray, np.ndarray, dict]  # (features, positive mask, query)


def hit1(model: LinearModel | None, data: Sequence[Pool]) -> float:
    """Lenient Hit@1: the top candidate (the given order when ``model`` is None) is positive."""
    hits = 0
    for feats, pos, _ in data:
        if len(pos):
            hits += bool(pos[0 if model is None else int(np.argmax(model.score(feats)))])
    return hits / max(1, len(data))


def fit_and_report(data: Sequence[Pool], features: Sequence[str], out: Path, *, l2: float,
                   write: bool, labels: tuple[str, str], **info: Any) -> LinearModel:
    """Fit on the tune split, print both splits per query set, and write ``out`` if asked."""
    tune = [d for d in data if d[2]["split"] == "tune"]
    fitted = [(f, p) for f, p, _ in tune if p.any()]
    model = linear.fit(fitted, features, l2=l2).with_info(
        fitted_on=FITTED_ON, queries=len(fitted), l2=l2, **info)
    before, after = labels
    for split in ("tune", "heldout"):
        for source in ("shared", "mine"):
            sub = [d for d in data if d[2]["split"] == split and d[2]["set"] == source]
            print(f"{split:8s} {source:7s} n={len(sub):3d}  {before} Hit@1(lenient) "
                  f"{100 * hit1(None, sub):5.1f} -> {after} {100 * hit1(model, sub):5.1f}")
    for name, w in sorted(zip(features, model.weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {name:16s} {w:+.3f}")
    if write:
        out.write_text(model.to_json() + "\n", "utf-8")
        print(f"wrote {out}")
    return model
