"""A linear scoring model over named features, fitted listwise; shared by the router's learned
second stage (route/stage2.py) and the body reranker (route/bodyrank.py).

Each model records the feature names it was fitted for. A model file fitted for another
feature list is refused rather than read with its weights against the wrong columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    """Feature names, means/scales (standardisation) and weights, as fitted."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    info: dict[str, Any]

    def score(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.scale) @ self.weights

    def with_info(self, **info: Any) -> LinearModel:
        return replace(self, info={**self.info, **info})

    def to_json(self) -> str:
        return json.dumps({"features": list(self.features), "mean": self.mean.tolist(),
                           "scale": self.scale.tolist(), "weights": self.weights.tolist(),
                           "info": self.info}, indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any], features: Sequence[str]) -> LinearModel | None:
        """The model in ``data``, or None when it was fitted for other ``features``."""
        if data.get("features") != list(features):
            return None
        return cls(tuple(features), np.asarray(data["mean"], np.float32),
                   np.asarray(data["scale"], np.float32),
                   np.asarray(data["weights"], np.float32), dict(data.get("info") or {}))


def load_shipped(filename: str, features: Sequence[str]) -> LinearModel | None:
    """The model in ``skillyard/route/data/<filename>``, if it ships and fits ``features``."""
    try:
        text = (resources.files("skillyard.route") / "data" / filename).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    return LinearModel.from_dict(json.loads(text), features)


def fit(groups: Sequence[tuple[np.ndarray, np.ndarray]], features: Sequence[str], *,
        l2: float = 1e-2, steps: int = 600, lr: float = 0.05) -> LinearModel:
    """Fit weights by softmax cross-entropy over each query's candidates (Adam, L2).

    ``groups`` holds (features [n, F], positive mask [n]) per query with at least one positive.
    """
    allf = np.concatenate([f for f, _ in groups])
    mean = allf.mean(axis=0)
    scale = allf.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = [((f - mean) / scale, p.astype(np.float64)) for f, p in groups]
    w = np.zeros(allf.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        grad = l2 * w
        for x, pos in xs:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = pos / pos.sum()
            grad += x.T @ (p - target) / len(xs)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return LinearModel(tuple(features), mean.astype(np.float32), scale.astype(np.float32),
                       w.astype(np.float32), {})
