"""Route a task to skills: BM25F and dense scores fused, reranked, grouped, maybe abstained.

Every signal is turned into a z-score over the whole library (how far this skill stands out
from all others for this query), then the z-scores are weighted and summed, which makes the
lexical and dense scales comparable. Results show one entry per family (versions of one
skill; near-duplicates always share a family) with the other versions as alternatives.
Abstention looks at an absolute quantity instead: how close, in meaning, the closest skill
description comes to the task (z-scores always crown some skill, even for small talk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import storage
from .dense import Embedder, project, shared_embedder
from .lexical import BM25FIndex, hash_terms
from .rerank import Candidate, Reranker
from .settings import QUERY_MAX_TOKENS, RouteSettings
from .text import tokenize


class RouteIndex:
    """One opened (memory-mapped) generation of the routing index."""

    def __init__(self, gen: storage.Generation) -> None:
        self.generation = gen
        self.manifest = gen.manifest()
        self.ids = gen.lines("ids")
        self.names = gen.lines("names")
        self.group_ids = gen.lines("groups")
        self.lexical = BM25FIndex(
            gen.array("lex_vocab"), gen.array("lex_indptr"), gen.array("lex_docs"),
            gen.array("lex_weights"), len(self.ids),
        )
        self.desc = gen.array("desc_proj")
        self.raw_desc = gen.array("desc")
        self.proj_mean = gen.array("proj_mean", mmap=False)
        self.proj_basis = gen.array("proj_basis", mmap=False)
        self.family_ids = gen.lines("families")
        self.collection_size = gen.array("collection_size")
        self.tc_ptr = gen.array("tc_ptr")
        self.tc_terms = gen.array("tc_terms")

    @classmethod
    def open(cls, db_path: str | Path) -> RouteIndex:
        root = storage.index_dir(db_path)
        gen = storage.current(root)
        if gen is None:
            raise storage.RouteIndexError(
                f"no routing index for {db_path}; run 'skillyard index SOURCE' or "
                "'skillyard reindex'"
            )
        return cls(gen)

    @property
    def threshold(self) -> float | None:
        abstain = self.manifest.get("abstain") or {}
        value = abstain.get("threshold")
        return float(value) if value is not None else None

    @cached_property
    def members(self) -> dict[str, list[int]]:
        """Rows of every family with more than one member."""
        out: dict[str, list[int]] = {}
        for row, fam in enumerate(self.family_ids):
            out.setdefault(fam, []).append(row)
        return {f: rows for f, rows in out.items() if len(rows) > 1}

    @cached_property
    def descriptions(self) -> list[str]:
        return self.generation.lines("descs")

    def doc_terms(self, row: int) -> np.ndarray:
        return np.asarray(self.tc_terms[self.tc_ptr[row] : self.tc_ptr[row + 1]])


@dataclass
class RouteHit:
    """One result: the best member of a near-duplicate group, with the others as alternatives."""

    id: str
    name: str
    score: float
    group: str
    alternatives: list[str] = field(default_factory=list)
    explain: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "score": round(self.score, 4)}
        if self.alternatives:
            out["alternatives"] = self.alternatives
        if self.explain is not None:
            out["explain"] = self.explain
        return out


@dataclass
class RouteResult:
    query: str
    results: list[RouteHit]
    abstain: bool
    confidence: float
    threshold: float | None
    latency_ms: float
    reranker: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "results": [h.to_dict() for h in self.results], "abstain": self.abstain,
            "confidence": round(self.confidence, 4),
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.reranker:
            out["reranker"] = self.reranker
        if self.notes:
            out["notes"] = self.notes
        return out


CONFIDENCE_POOL = 64


def _z(x: np.ndarray) -> np.ndarray:
    std = float(x.std())
    if std < 1e-9:
        return np.zeros_like(x)
    return (x - float(x.mean())) / std


class Router:
    """Routes queries over one RouteIndex."""

    def __init__(
        self,
        index: RouteIndex,
        *,
        settings: RouteSettings | None = None,
        embedder: Embedder | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.settings = settings or RouteSettings()
        self._embedder = embedder
        self.reranker = reranker

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder

    def signals(self, query: str) -> tuple[dict[str, np.ndarray], float]:
        """Per-skill scores of each signal (lexical BM25F, dense cosine in the library's
        centred space) and the confidence: the plain cosine of the closest description."""
        terms = tokenize(query)
        out = {"lexical": self.index.lexical.score(terms)}
        raw = self.embedder.embed([query], max_tokens=QUERY_MAX_TOKENS)[0]
        vec = project(raw, self.index.proj_mean, self.index.proj_basis)
        out["desc"] = np.asarray(self.index.desc @ vec, np.float32)
        # Centring sharpens ranking but blurs the absolute scale, so the confidence is taken
        # on the plain vectors, for the nearest descriptions in the centred space.
        near = min(CONFIDENCE_POOL, len(self.index.ids))
        rows = np.sort(np.argpartition(-out["desc"], near - 1)[:near]) if near else []
        confidence = float((self.index.raw_desc[rows] @ raw).max()) if near else 0.0
        return out, confidence

    def fuse(self, signals: dict[str, np.ndarray]) -> np.ndarray:
        s = self.settings
        fused = s.lexical_weight * _z(signals["lexical"]) + s.desc_weight * _z(signals["desc"])
        return fused.astype(np.float32)

    def route(self, query: str, k: int = 5, *, explain: bool = False,
              reranker: Reranker | None = None) -> RouteResult:
        """The top ``k`` results (one per family); ``reranker`` overrides the router's own."""
        started = time.perf_counter()
        n = len(self.index.ids)
        if n == 0:
            return RouteResult(query, [], True, 0.0, self.index.threshold,
                               (time.perf_counter() - started) * 1000, notes=["empty index"])
        signals, confidence = self.signals(query)
        fused = self.fuse(signals)
        depth = min(n, max(self.settings.candidates, k * 4))
        top = np.argpartition(-fused, depth - 1)[:depth] if depth < n else np.arange(n)
        top = top[np.argsort(-fused[top], kind="stable")]
        threshold = self.index.threshold
        abstain = threshold is not None and confidence < threshold
        candidates = [Candidate(int(r), self.index.ids[r], self.index.names[r],
                                float(fused[r])) for r in top]
        notes: list[str] = []
        used = None
        reranker = reranker or self.reranker
        if reranker is not None:
            head = candidates[: self.settings.rerank_depth]
            outcome = reranker.rerank(query, head, self.index)
            candidates = outcome.candidates + candidates[len(head):]
            used = reranker.name
            notes.extend(outcome.notes)
            if outcome.none_fit is not None:
                abstain = outcome.none_fit
        hits = self._group(candidates, k)
        if explain:
            self._explain(query, hits, signals, fused)
        latency = (time.perf_counter() - started) * 1000
        return RouteResult(query, hits, abstain, confidence, threshold, latency, used, notes)

    def _group(self, candidates: list[Candidate], k: int) -> list[RouteHit]:
        """One hit per family, in candidate order; alternatives list the other versions
        (near-duplicates first)."""
        index, s = self.index, self.settings
        by_family: dict[str, list[Candidate]] = {}
        for cand in candidates:
            by_family.setdefault(index.family_ids[cand.row], []).append(cand)
        hits: list[RouteHit] = []
        seen: set[str] = set()
        for cand in candidates:
            family = index.family_ids[cand.row]
            if family in seen:
                continue
            seen.add(family)
            chosen = cand
            if s.prefer_focused_sources:
                close = [c for c in by_family[family] if c.score >= cand.score - s.family_margin]
                chosen = min(close, key=lambda c: (int(index.collection_size[c.row]), -c.score))
            group = index.group_ids[chosen.row]
            others = [r for r in index.members.get(family, []) if r != chosen.row]
            others.sort(key=lambda r: index.group_ids[r] != group)
            hits.append(RouteHit(chosen.id, chosen.name, cand.score, group,
                                 [index.ids[r] for r in others]))
            if len(hits) == k:
                break
        return hits

    def _explain(self, query: str, hits: list[RouteHit], signals: dict[str, np.ndarray],
                 fused: np.ndarray) -> None:
        rows = {sid: i for i, sid in enumerate(self.index.ids)}
        terms = sorted(set(tokenize(query)))
        hashes = hash_terms(terms)
        ranks = {name: _ranks(values) for name, values in signals.items()}
        z = {name: _z(values) for name, values in signals.items()}
        for hit in hits:
            row = rows[hit.id]
            present = np.isin(hashes, self.index.doc_terms(row))
            hit.explain = {
                "fused": round(float(fused[row]), 4),
                "signals": {
                    name: {"score": round(float(values[row]), 4),
                           "z": round(float(z[name][row]), 3), "rank": int(ranks[name][row])}
                    for name, values in signals.items()
                },
                "matched_terms": [t for t, hit_ in zip(terms, present, strict=True) if hit_][:30],
                "group_size": 1 + len(hit.alternatives),
            }


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of every entry (ties broken by position)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks
