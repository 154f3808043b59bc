"""The learned second stage: re-score the fused top candidates with a linear model.

First-stage fusion sees each signal as one number per skill. The second stage looks closer at
the few dozen best candidates: how much of the query (idf-weighted) each field of the skill
covers, how much of the skill's name and description the query spells out, where each signal
ranks it among the candidates, how large its source collection and its family are. A linear
model over these features, fitted on the ``tune`` half of the development queries
(``bench/fit_stage2.py``, softmax over each query's candidates), gives the final order. Its
weights ship in ``data/stage2.json``; without that file the first-stage order stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from . import linear
from .explain import ranks
from .lexical import hash_terms
from .linear import LinearModel, load_shipped
from .text import FIELDS

SIGNALS = ("lexical", "static", "desc")
FEATURES = (
    *(f"z_{s}" for s in SIGNALS),
    *(f"rank_{s}" for s in SIGNALS),
    *(f"cover_{f}" for f in FIELDS),
    "name_in_query", "desc_in_query", "log_collection", "log_family", "fused",
)


@lru_cache(maxsize=1)
def shipped_model() -> LinearModel | None:
    """The model fitted on the development queries, shipped with the package."""
    return load_shipped("stage2.json", FEATURES)


def features(index: Any, rows: np.ndarray, zs: dict[str, np.ndarray], fused: np.ndarray,
             query_terms: Sequence[str], static_share: float = 1.0) -> np.ndarray:
    """float32 [len(rows), len(FEATURES)] for candidate ``rows`` of ``index`` (a RouteIndex).

    ``zs`` holds each signal's library-wide z-scores (missing signals count as zero). With
    ``static_share`` below 1 (a long request: router.static_share) the static signal's
    features move that far towards a missing signal's.
    """
    n = len(rows)
    out = np.zeros((n, len(FEATURES)), np.float32)
    col = {name: i for i, name in enumerate(FEATURES)}
    absent = np.log(n / 2 + 1)
    for s in SIGNALS:
        share = static_share if s == "static" else 1.0
        if s in zs and share > 0:
            vals = np.asarray(zs[s][rows], np.float32)
            out[:, col[f"z_{s}"]] = share * vals
            out[:, col[f"rank_{s}"]] = (share * np.log(ranks(vals).astype(np.float32))
                                        + (1 - share) * absent)
        else:
            out[:, col[f"rank_{s}"]] = absent
    out[:, col["fused"]] = fused[rows]
    terms = sorted(set(query_terms))
    qh = hash_terms(terms)
    pos, found = index.lexical.lookup(qh)
    df = np.where(found, index.lexical.indptr[pos + 1] - index.lexical.indptr[pos], 0)
    n_docs = max(1, index.lexical.n_docs)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    total = float(idf.sum()) or 1.0
    # The candidates' terms are contiguous slices of the doc-major counts: join them, find
    # the query's terms among them, and read per-field counts for those hits only.
    starts = np.asarray(index.tc_ptr[rows], np.int64)
    ends = np.asarray(index.tc_ptr[rows + 1], np.int64)
    sizes = ends - starts
    owner = np.repeat(np.arange(n), sizes)
    if int(sizes.sum()):
        dterms = np.concatenate([index.tc_terms[a:b] for a, b in zip(starts, ends, strict=True)])
        fields = np.concatenate([index.tc_tf[a:b, :2] for a, b in zip(starts, ends,
                                                                      strict=True)]) > 0
    else:
        dterms, fields = np.zeros(0, np.uint64), np.zeros((0, 2), bool)
    if len(qh) and len(dterms):
        order = np.argsort(qh)
        qh_sorted, idf_sorted = qh[order], idf[order]
        at = np.minimum(np.searchsorted(qh_sorted, dterms), len(qh_sorted) - 1)
        hits = np.flatnonzero(qh_sorted[at] == dterms)
        weights = idf_sorted[at[hits]].astype(np.float64)
    else:
        hits, weights = np.zeros(0, np.int64), np.zeros(0)
    hit_owner = owner[hits]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    present = np.asarray(index.tc_tf[starts[hit_owner] + hits - offsets[hit_owner]]) > 0
    for f in range(len(FIELDS)):
        out[:, col[f"cover_{FIELDS[f]}"]] = np.bincount(
            hit_owner, weights=weights * present[:, f], minlength=n) / total
    # The share of the name's and of the description's distinct terms the request contains:
    # a long task statement covers little of any skill's vocabulary, but it tends to use
    # most of the right skill's description words (plain counts did better than idf weights).
    for f, name in ((0, "name_in_query"), (1, "desc_in_query")):
        total_terms = np.bincount(owner[fields[:, f]], minlength=n)
        found_terms = np.bincount(hit_owner, weights=present[:, f], minlength=n)
        out[:, col[name]] = np.where(total_terms > 0,
                                     found_terms / np.maximum(total_terms, 1), 0.0)
    out[:, col["log_collection"]] = np.log1p(np.asarray(index.collection_size[rows], np.float32))
    sizes = index.family_sizes
    out[:, col["log_family"]] = np.log(np.asarray(sizes[rows], np.float32))
    return out


def fit(groups: Sequence[tuple[np.ndarray, np.ndarray]], *, l2: float = 1e-2,
        steps: int = 600, lr: float = 0.05) -> LinearModel:
    """Fit a second-stage model; ``groups`` as for route/linear.py ``fit``."""
    return linear.fit(groups, FEATURES, l2=l2, steps=steps, lr=lr)
