"""The body reranker (``--rerank body``): re-score the fast router's best candidates by
reading the opening of each one's SKILL.md body.

The fast router ranks on names, descriptions and BM25F; a skill's body is often what tells two
siblings apart. For each of the top ``DEPTH`` candidates this reads the stored passages of the
opening of its body (WordPiece ids and vectors; route/bodies.py) and measures: the static
encoder's cosine of the query to the best passage and to the whole opening (in the library's
centred space), BM25 of the query's WordPieces over the passages (best) and over the opening
(each as a share of the best candidate's), how much of the query (idf-weighted) the opening
covers, whether the skill's name is spelled out in the query, and the fast score and rank. A
linear model over these, fitted listwise (softmax over each query's candidates) on the
``tune`` split of the development queries by ``bench/fit_bodyrank.py``, gives the order.
Its weights ship in ``data/bodyrank.json``. Without them, or in an index without stored
bodies, the fast order stands and the result's notes say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .dense import project
from .linear import LinearModel, load_shipped
from .rerank import Candidate, RerankOutcome
from .static import StaticEncoder, shared_static, weighted_sums
from .text import tokenize

if TYPE_CHECKING:
    from .index import RouteIndex

DEPTH = 40
FEATURES = ("static_passage", "static_body", "bm25_passage", "bm25_body", "cover_body",
            "name_in_query", "empty_body", "fast_score", "log_rank")
K1, B = 1.2, 0.75


@lru_cache(maxsize=1)
def shipped_model() -> LinearModel | None:
    """The model fitted on the development queries, shipped with the package."""
    return load_shipped("bodyrank.json", FEATURES)


def _bm25(tf: np.ndarray, lengths: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """BM25 from term counts [docs, query terms] and document lengths (average over docs)."""
    avg = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
    norm = K1 * (1 - B + B * lengths / avg)
    return ((tf * (K1 + 1) / (tf + norm[:, None])) @ idf).astype(np.float32)


def _of_best(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return (values / top).astype(np.float32) if top > 0 else np.zeros_like(values)


def features(query: str, candidates: Sequence[Candidate], index: RouteIndex,
             static: StaticEncoder) -> np.ndarray:
    """float32 [len(candidates), len(FEATURES)]; ``index.bodies`` must be present."""
    bodies = index.bodies
    assert bodies is not None
    n = len(candidates)
    out = np.zeros((n, len(FEATURES)), np.float32)
    if not n:
        return out
    col = {name: i for i, name in enumerate(FEATURES)}
    pieces = [bodies.passages(c.row) for c in candidates]
    owner = np.repeat(np.arange(n), [len(p) for p in pieces])
    flat_pieces = [p for parts in pieces for p in parts]
    sizes = np.array([len(p) for p in flat_pieces], np.int64)
    flat = np.concatenate([np.zeros(0, np.int32), *flat_pieces]).astype(np.int64)
    body_len = np.bincount(owner, weights=sizes, minlength=n)
    empty = body_len == 0
    idf = index.static_idf
    # static encoder: the query, each passage, and each opening (the sum of its passages)
    qids = static.token_ids([query])[0]
    qvec = weighted_sums(static.table, [qids], idf)
    psum = np.concatenate([np.zeros((0, qvec.shape[1]), np.float32),
                           *(bodies.passage_vectors(c.row) for c in candidates)])
    bsum = np.zeros((n, psum.shape[1]), np.float32)
    np.add.at(bsum, owner, psum)
    raw = np.vstack([qvec, psum, bsum])
    raw /= np.clip(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9, None)
    centred = project(raw, index.smean, index.sbasis)
    sims = centred[1:] @ centred[0]
    piece_sims = np.where(sizes > 0, sims[:len(sizes)], -1.0)
    best = np.full(n, -1.0, np.float32)
    np.maximum.at(best, owner, piece_sims)
    out[:, col["static_passage"]] = np.where(empty, 0.0, best)
    out[:, col["static_body"]] = np.where(empty, 0.0, sims[len(sizes):])
    # lexical, on the same WordPieces: BM25 over passages (best) and openings; coverage
    terms = np.unique(qids)
    if len(terms) and len(flat):
        tidf = np.asarray(idf[terms], np.float64)
        at = np.minimum(np.searchsorted(terms, flat), len(terms) - 1)
        hit = terms[at] == flat
        piece_of = np.repeat(np.arange(len(sizes)), sizes)
        tf = np.zeros((len(sizes), len(terms)))
        np.add.at(tf, (piece_of[hit], at[hit]), 1.0)
        btf = np.zeros((n, len(terms)))
        np.add.at(btf, owner, tf)
        best_bm = np.zeros(n, np.float32)
        np.maximum.at(best_bm, owner, _bm25(tf, sizes.astype(np.float64), tidf))
        # as a share of the best candidate's: BM25 grows with the number of query terms, so
        # raw values would weigh far more in a long task statement than in a short request
        out[:, col["bm25_passage"]] = _of_best(best_bm)
        out[:, col["bm25_body"]] = _of_best(_bm25(btf, body_len, tidf))
        out[:, col["cover_body"]] = (btf > 0) @ tidf / (float(tidf.sum()) or 1.0)
    query_set = set(tokenize(query))
    for i, cand in enumerate(candidates):
        name = set(tokenize(cand.name.replace("-", " ")))
        out[i, col["name_in_query"]] = len(name & query_set) / len(name) if name else 0.0
        out[i, col["fast_score"]] = cand.score
        out[i, col["log_rank"]] = np.log(i + 1)
    out[:, col["empty_body"]] = empty
    return out


class BodyReranker:
    """Reorders the top ``depth`` candidates with the fitted body model."""

    name = "body"

    def __init__(self, model: LinearModel | None = None, static: StaticEncoder | None = None,
                 depth: int = DEPTH) -> None:
        self._model = model
        self._static = static
        self.depth = depth

    @property
    def model(self) -> LinearModel | None:
        return self._model if self._model is not None else shipped_model()

    def rerank(self, query: str, candidates: list[Candidate], index: RouteIndex
               ) -> RerankOutcome:
        head, tail = candidates[: self.depth], candidates[self.depth :]
        model = self.model
        if model is None:
            return RerankOutcome(candidates, notes=[
                "body rerank skipped: no fitted model (route/data/bodyrank.json)"])
        if index.bodies is None or len(index.bodies) != len(index.ids):
            return RerankOutcome(candidates, notes=[
                "body rerank skipped: this routing index stores no skill bodies; run "
                "'skillyard reindex --full'"])
        if not head:
            return RerankOutcome(candidates)
        feats = features(query, head, index, self._static or shared_static())
        scores = model.score(feats).astype(np.float64)
        order = np.argsort(-scores, kind="stable")
        ranked = [Candidate(head[i].row, head[i].id, head[i].name, float(scores[i]))
                  for i in order]
        floor, last = float(scores.min()), head[-1].score
        rest = [Candidate(c.row, c.id, c.name, floor - 1e-3 - (last - c.score)) for c in tail]
        explain = {head[i].id: {"score": round(float(scores[i]), 4), "fast_rank": int(i) + 1,
                                **{f: round(float(v), 4)
                                   for f, v in zip(FEATURES, feats[i], strict=True)}}
                   for i in range(len(head))}
        return RerankOutcome(ranked + rest, explain=explain)
