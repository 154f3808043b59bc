"""What ``route --explain`` shows for each result, and the two score transforms it shares with
the router: a z-score over the library and a 1-based rank."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .lexical import hash_terms
from .text import tokenize

if TYPE_CHECKING:
    from .index import RouteIndex
    from .results import RouteHit


def zscore(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std over every entry (zeros when all entries are equal)."""
    std = float(x.std())
    if std < 1e-9:
        return np.zeros_like(x)
    return (x - float(x.mean())) / std


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of every entry (ties broken by position)."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), np.int64)
    out[order] = np.arange(1, len(values) + 1)
    return out


def explain_hits(index: RouteIndex, query: str, hits: list[RouteHit],
                 signals: dict[str, np.ndarray], fused: np.ndarray, ranked_by: str) -> None:
    """Set each hit's ``explain``: its fused score, every signal's score, z-score and rank over
    the library, the query terms it matched and the size of its group."""
    rows = {sid: i for i, sid in enumerate(index.ids)}
    terms = sorted(set(tokenize(query)))
    hashes = hash_terms(terms)
    rank = {name: ranks(values) for name, values in signals.items()}
    z = {name: zscore(values) for name, values in signals.items()}
    for hit in hits:
        row = rows[hit.id]
        present = np.isin(hashes, index.doc_terms(row))
        hit.explain = {
            "fused": round(float(fused[row]), 4),
            "signals": {
                name: {"score": round(float(values[row]), 4),
                       "z": round(float(z[name][row]), 3), "rank": int(rank[name][row])}
                for name, values in signals.items()
            },
            "matched_terms": [t for t, hit_ in zip(terms, present, strict=True) if hit_][:30],
            "group_size": 1 + len(hit.alternatives),
            "ranked_by": ranked_by,
        }
