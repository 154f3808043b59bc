"""Routing knobs in one place, with the values chosen on the development set (bench/routing.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .lexical import BM25FParams

# Bump when tokenization or passage extraction changes: cached per-skill parts are then rebuilt.
TEXT_VERSION = 1
# Passages are cut at this many WordPiece tokens (cost grows with the square of it).
DENSE_MAX_TOKENS = 128
# Queries may be long task statements; the dense side reads their first this-many tokens.
QUERY_MAX_TOKENS = 256


@dataclass(frozen=True)
class RouteSettings:
    """How signals are weighted and how many candidates each stage sees."""

    bm25f: BM25FParams = field(
        default_factory=lambda: BM25FParams(
            weights=(3.0, 3.0, 1.0, 1.0), b=(0.3, 0.5, 0.6, 0.9), k1=2.0
        )
    )
    # Fusion: z-scores (over the whole library) of each signal, weighted and summed.
    lexical_weight: float = 1.0
    desc_weight: float = 1.25
    candidates: int = 100  # fused candidates kept before grouping and reranking
    rerank_depth: int = 20  # how many of them a reranker sees
    # Abstain when the top fused score is below the calibrated threshold; the threshold is
    # this quantile of the top scores of off-topic calibration queries on this library.
    abstain_quantile: float = 0.9
