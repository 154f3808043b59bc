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
from concurrent.futures import Future

import numpy as np

from ..utf8 import readable
from . import stage2, xling
from .asks import asks_for_work
from .background import background
from .dense import Embedder, project, shared_embedder
from .explain import explain_hits
from .explain import zscore as _z
from .index import RouteIndex
from .linear import LinearModel
from .pasted import material_note, without_pasted
from .rerank import Candidate, Reranker
from .results import RouteHit, RouteResult
from .scan import top_candidates
from .settings import QUERY_MAX_TOKENS, RouteSettings
from .static import StaticEncoder, shared_static
from .text import tokenize

__all__ = ["RouteHit", "RouteIndex", "RouteResult", "Router"]


CONFIDENCE_POOL = 64
NAMED = 0.5


def _matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector on one core: BLAS spreads a matrix-vector product over threads that
    wait for each other when the machine is busy (15-20 ms instead of 1 on a loaded 2-core
    machine); einsum's own loop does not."""
    return np.einsum("ij,j->i", matrix, np.asarray(vector, np.float32)).astype(np.float32)


class Router:
    """Routes queries over one RouteIndex."""

    def __init__(
        self,
        index: RouteIndex,
        *,
        settings: RouteSettings | None = None,
        embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        static: StaticEncoder | None = None,
        stage2_model: LinearModel | None = None,
    ) -> None:
        self.index = index
        self.settings = settings or RouteSettings()
        self._embedder = embedder
        self._static = static
        self._stage2 = stage2_model
        self._multilingual: xling.MultilingualEncoder | None = None
        self.reranker = reranker

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder

    @property
    def multilingual(self) -> xling.MultilingualEncoder:
        if self._multilingual is None:
            self._multilingual = xling.shared_encoder()
        return self._multilingual

    @property
    def static(self) -> StaticEncoder:
        if self._static is None:
            self._static = shared_static()
        return self._static

    def warm(self) -> None:
        """Load what a query needs now, so the first query is not the one that pays. The
        int8 scans open in the background threads while the encoders load here (onnxruntime
        lets go of the GIL as it prepares them: 0.27 s to 0.19 s for the two at 61K)."""
        scans = []
        if self._use_scan():
            scans.append(background().submit(self.index.static_scan))
            if self.index.ml is not None:
                scans.append(background().submit(self.index.ml_scan))
        self.static.token_ids(["warm"])
        _ = self.static.table
        if self.settings.desc_weight and self.index.desc is not None:
            self.embedder.warm()
        if self.index.ml is not None:
            self.multilingual.warm()
        for scan in scans:
            scan.result()

    def signals(self, query: str, english: str | None = None,
                ml_vector: np.ndarray | None = None
                ) -> tuple[dict[str, np.ndarray], float]:
        """Per-skill scores of each signal (lexical BM25F; the static encoder's cosine to
        each description in the library's centred space; the full model's, when its weight
        is set; the multilingual one for a request in another language) and the confidence:
        the plain static cosine of the closest description. The English signals read
        ``english`` (a request's English gloss) when it is given; ``ml_vector`` is the
        request's multilingual vector when it is already known (read_foreign)."""
        index = self.index
        english = query if english is None else english
        out = {"lexical": self.lexical(english)}
        raw = self.static.encode([english], index.static_idf)[0]
        out["static"] = _matvec(index.sdesc_proj, project(raw, index.smean, index.sbasis))
        if self.settings.desc_weight and index.desc is not None:
            full = self.embedder.embed([english], max_tokens=QUERY_MAX_TOKENS)[0]
            out["desc"] = _matvec(index.desc, project(full, index.proj_mean, index.proj_basis))
        if index.ml is not None and (xling.WEIGHTS.english or xling.is_foreign(query)):
            out["xling"] = xling.scores(index.ml, query, self.multilingual, ml_vector)
        # Centring sharpens ranking but blurs the absolute scale, so the confidence is taken
        # on the plain vectors, for the nearest descriptions in the centred space.
        near = min(CONFIDENCE_POOL, len(index.ids))
        rows = np.sort(np.argpartition(-out["static"], near - 1)[:near]) if near else []
        confidence = (float((np.asarray(index.sdesc[rows], np.float32) @ raw).max())
                      if near else 0.0)
        return out, confidence

    def lexical(self, text: str) -> np.ndarray:
        """BM25F scores of every skill for ``text``."""
        return self.index.lexical.score(tokenize(text))

    def read_foreign(self, query: str) -> tuple[str, np.ndarray]:
        """A request in another language: its English gloss ("" without a glossary) and its
        multilingual vector."""
        glossary = self.index.glossary
        if glossary is None:
            return "", xling.query_vector(query, self.multilingual)
        return glossary.read(query, self.multilingual)

    def _use_scan(self) -> bool:
        return 0 < self.settings.quantized_scan_rows <= len(self.index.ids)

    def static_share(self, english: str) -> float:
        """How much of its weight the static signal keeps for this request (1 for a short
        request, 0 for a long task statement; RouteSettings.long_request)."""
        return self._share(len(tokenize(english)))

    def _share(self, terms: int) -> float:
        low, high = self.settings.long_request
        if terms <= low:
            return 1.0
        return max(0.0, (high - terms) / (high - low)) if high > low else 0.0

    def _scored(self, query: str, depth: int, english: str, glossed: bool = False,
                share: float = 1.0, with_stand_in: bool = True,
                ml_vector: np.ndarray | None = None
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
        """Signals, their z-scores and the confidence, as ``signals`` and ``_z`` give them
        on every row that can reach the ``depth`` best fused scores or the confidence pool.
        In a large library the static cosine (and the multilingual one, when a request
        reads it) comes from the quantized scan (route/scan.py): exact (float32) on those
        rows and on each signal's best rows, within its error bound elsewhere; each signal's
        mean and spread come from the library's column moments, so no row is read in float32
        twice. The multilingual stand-in (_stand_in) is found in a background thread
        meanwhile; ``with_stand_in=False`` leaves it out. ``ml_vector`` is as ``signals``'.
        """
        use_scan = self._use_scan()
        pending = (background().submit(self._stand_in, query, use_scan)
                   if with_stand_in and self._may_stand_in(query) else None)
        if not use_scan:
            signals, confidence = self.signals(query, english, ml_vector)
            stand_in = pending.result() if pending is not None else None
            zs = {name: _z(v) for name, v in signals.items()}
            if stand_in is not None:
                zs = xling.stand_in(zs, *stand_in, xling.WEIGHTS.stand_in)
            return signals, zs, confidence
        index, s = self.index, self.settings
        scan = index.static_scan()
        signals = {"lexical": self.lexical(english)}
        raw = self.static.encode([english], index.static_idf)[0]
        query_vec = project(raw, index.smean, index.sbasis)
        if s.desc_weight and index.desc is not None:
            full = self.embedder.embed([english], max_tokens=QUERY_MAX_TOKENS)[0]
            signals["desc"] = _matvec(index.desc, project(full, index.proj_mean,
                                                          index.proj_basis))
        # The multilingual cosine is scanned the same way (a 512-wide float32 pass over a
        # large library costs more than everything else a foreign request does).
        scanned = {"static": (scan, query_vec)}
        if index.ml is not None and (xling.WEIGHTS.english or xling.is_foreign(query)):
            ml_scan = index.ml_scan()
            assert ml_scan is not None
            scanned["xling"] = (ml_scan, ml_vector if ml_vector is not None
                                else xling.query_vector(query, self.multilingual))
        zs = {name: _z(values) for name, values in signals.items()}
        zero = np.zeros(len(index.ids), np.float32)
        foreign = "xling" in scanned and xling.is_foreign(query)
        # fuse is linear in each z-score: each scanned term's weight, and the rest without them
        base = self.fuse({}, {**zs, **{name: zero for name in scanned}}, foreign, glossed,
                         share)
        slack = 1e-4
        approx, moments, weights = {}, {}, {}
        for name, (quantized, vec) in scanned.items():
            approx[name] = quantized.approx(vec)
            moments[name] = quantized.stats(vec)
            unit = {**{other: np.zeros(1, np.float32) for other in [*zs, *scanned]},
                    name: np.ones(1, np.float32)}
            std = moments[name][1]
            weights[name] = (float(self.fuse({}, unit, foreign, glossed, share)[0]) / std
                             if std >= 1e-9 else 0.0)
            base = base + np.float32(weights[name]) * (approx[name].scores
                                                       - np.float32(moments[name][0]))
            slack += abs(weights[name]) * approx[name].bound
        rows = top_candidates(base, slack, depth)
        stand_in = pending.result() if pending is not None else None
        near = min(CONFIDENCE_POOL, len(index.ids))
        pools = {name: top_candidates(a.scores, a.bound, near) for name, a in approx.items()}
        for name, (quantized, vec) in scanned.items():
            need = np.union1d(rows, pools[name])
            if name == "static" and stand_in is not None:  # exact, as the top is
                need = np.union1d(need, stand_in[0])
            values = approx[name].scores.copy()
            values[need] = quantized.exact(need, vec)
            mean, std = moments[name]
            signals[name] = values
            zs[name] = (((values - np.float32(mean)) / np.float32(std)).astype(np.float32)
                        if std >= 1e-9 else np.zeros_like(values))
        if stand_in is not None:
            zs = xling.stand_in(zs, *stand_in, xling.WEIGHTS.stand_in)
        pool, static = pools["static"], signals["static"]
        best = pool[np.argpartition(-static[pool], near - 1)[:near]] if near else pool
        confidence = (float((np.asarray(index.sdesc[np.sort(best)], np.float32) @ raw).max())
                      if near else 0.0)
        return signals, zs, confidence

    def _stand_in(self, query: str, scan: bool
                  ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]] | None:
        """For an English request, the skills described in another language that are among
        the ``stand_in_rank`` closest of the library to it in the multilingual space, their
        cosines, and the cosine's mean and spread over the library (from the int8 scan and
        its error bound when ``scan``); None when there are none (xling.stand_in)."""
        index, top = self.index, xling.WEIGHTS.stand_in_rank
        if not self._may_stand_in(query):
            return None
        vec = xling.query_vector(xling.opening(query), self.multilingual)
        ml_scan = index.ml_scan() if scan else None
        if ml_scan is not None:
            moments = ml_scan.stats(vec)
            approx = ml_scan.approx(vec)
            rows = top_candidates(approx.scores, approx.bound, top)
            values = ml_scan.exact(rows, vec)
        else:
            values = np.einsum("ij,j->i", index.ml, vec.astype(index.ml.dtype))
            moments = (float(values.mean()), float(values.std()))
            rows = np.arange(len(values))
        if len(values) > top:
            keep = values >= np.partition(values, -top)[-top]
            rows, values = rows[keep], values[keep]
        other = np.isin(rows, index.ml_stand_in)
        return (rows[other], values[other], moments) if other.any() else None

    def _may_stand_in(self, query: str) -> bool:
        """Whether an English request may have a stand-in: the index holds skills described
        only in another language, and the stand-in's weight is on."""
        index = self.index
        return not (index.ml is None or not len(index.ml_stand_in)
                    or not xling.WEIGHTS.stand_in or xling.is_foreign(query))

    def fuse(self, signals: dict[str, np.ndarray],
             zs: dict[str, np.ndarray] | None = None, foreign: bool = False,
             glossed: bool = False, share: float = 1.0) -> np.ndarray:
        """Weighted z-scores; a request in another language (``foreign``) leans on the
        multilingual signal, and its English signals read its gloss (``glossed``) or, in an
        index without a glossary, the request itself; the weights are in xling.WEIGHTS.
        The static signal keeps ``share`` of its weight (static_share)."""
        s = self.settings
        zs = zs or {name: _z(values) for name, values in signals.items()}
        lexical, static = s.lexical_weight, s.static_weight * share
        if "xling" in zs and foreign:
            w = xling.WEIGHTS
            if glossed:
                lexical, static = lexical * w.gloss_lexical, static * w.gloss_static
            else:
                lexical, static = lexical * w.foreign_lexical, static * w.foreign_static
        fused = lexical * zs["lexical"] + static * zs["static"]
        if "desc" in zs:
            fused = fused + s.desc_weight * zs["desc"]
        if "xling" in zs:
            w = xling.WEIGHTS
            fused = fused + (w.foreign if foreign else w.english) * zs["xling"]
        return fused.astype(np.float32)

    def second_stage(self, query: str, top: np.ndarray, zs: dict[str, np.ndarray],
                     fused: np.ndarray, share: float = 1.0,
                     terms: list[str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, bool] | None:
        """The candidates re-scored by the learned model (None when it is off): the first
        ``stage2_depth`` in its order, the rest after them in fused order, and whether the
        query names the best one (at least NAMED of its name's terms)."""
        model = self.stage2_model
        if model is None or not len(top):
            return None
        pool = top[: self.settings.stage2_depth]
        feats = stage2.features(self.index, pool, zs, fused,
                                tokenize(query) if terms is None else terms,
                                static_share=share)
        learned = model.score(feats).astype(np.float64)
        order = np.argsort(-learned, kind="stable")
        rest = top[len(pool):]
        floor = float(learned.min()) if len(learned) else 0.0
        rest_scores = floor + (fused[rest] - float(fused[pool].min())) - 1e-3
        named = feats[order[0], stage2.FEATURES.index("name_in_query")] >= NAMED
        return (np.concatenate([pool[order], rest]),
                np.concatenate([learned[order], rest_scores]), bool(named))

    @property
    def stage2_model(self) -> LinearModel | None:
        if not self.settings.stage2:
            return None
        return self._stage2 if self._stage2 is not None else stage2.shipped_model()

    def route(self, query: str, k: int = 5, *, explain: bool = False,
              reranker: Reranker | None = None) -> RouteResult:
        """The top ``k`` results (one per family); ``reranker`` overrides the router's own."""
        started = time.perf_counter()
        query = readable(query)
        n = len(self.index.ids)
        if n == 0:
            return RouteResult(query, [], True, 0.0, self.index.threshold,
                               (time.perf_counter() - started) * 1000, notes=["empty index"])
        depth = min(n, max(self.settings.candidates, k * 4))
        # what is searched: the request without its pasted material (RouteSettings)
        asked = without_pasted(query) if self.settings.leave_out_pasted else query
        foreign = self.index.ml is not None and xling.is_foreign(asked)
        english, ml_vector = self.read_foreign(asked) if foreign else ("", None)
        glossed = bool(english)
        english = english or asked
        terms = tokenize(english)  # once: the share and the second stage read them
        share = self._share(len(terms))
        material = self._with_material(query, asked, depth, foreign)
        signals, zs, confidence = self._scored(asked, depth, english, glossed, share,
                                               ml_vector=ml_vector)
        fused = self.fuse(signals, zs, foreign, glossed, share)
        if material is not None:
            fused = fused + material.result()
        top = np.sort(np.argpartition(-fused, depth - 1)[:depth]) if depth < n else np.arange(n)
        top = top[np.argsort(-fused[top], kind="stable")]  # ties in row order
        scores = fused[top].astype(np.float64)
        second = (None if foreign and not xling.WEIGHTS.foreign_stage2
                  else self.second_stage(english, top, zs, fused, share, terms))
        named = False
        if second is not None:
            top, scores, named = second
        threshold = self.index.threshold
        if foreign:
            # the static cosine reads English WordPieces: judge "nothing fits" on the
            # multilingual one, against its own calibrated threshold
            confidence = float(signals["xling"].max())
            threshold = (self.index.manifest.get("multilingual") or {}).get("threshold")
        # The static cosine is a coarse judge of "nothing fits"; a task that spells out most
        # of the best skill's name is not small talk (a gloss's words are the router's own
        # guesses, so they do not count).
        abstain = (threshold is not None and confidence < threshold
                   and not (named and not glossed))
        # ... and it can't tell a long story from a task: a long request that asks for
        # no work at all is abstained on as well (route/asks.py)
        no_ask = (self.settings.abstain_without_ask and not abstain and not foreign
                  and not named and len(terms) >= self.settings.long_request[0]
                  and not asks_for_work(query))
        abstain = abstain or no_ask
        candidates = [Candidate(int(r), self.index.ids[r], self.index.names[r], float(sc))
                      for r, sc in zip(top, scores, strict=True)]
        notes: list[str] = []
        if self.settings.desc_weight and self.index.desc is None:
            notes.append("desc_weight is set but this index has no model vectors for "
                         "descriptions; run 'skillyard reindex --full-model'")
        used, reranked = None, {}
        reranker = reranker or self.reranker
        if reranker is not None:
            depth = max(self.settings.rerank_depth, int(getattr(reranker, "depth", 0)))
            head = candidates[:depth]
            outcome = reranker.rerank(asked, head, self.index)
            candidates = outcome.candidates + candidates[len(head):]
            used = reranker.name
            notes.extend(outcome.notes)
            reranked = outcome.explain
            if outcome.none_fit is not None:
                abstain = outcome.none_fit
        hits = self._group(candidates, k)
        if explain:  # every signal exact on every row, for the ranks
            exact = self.signals(asked, english, ml_vector)[0]
            explain_hits(self.index, english, hits, exact, fused,
                         "stage2" if self.stage2_model is not None else "fused")
            if asked != query:
                notes.append(material_note(len(query) - len(asked),
                                           self.settings.pasted_weight if material is not None
                                           else 0.0))
            if no_ask:
                notes.append("abstained: a long request that asks for no work (no request "
                             "phrase, no problem report, no sentence that starts with a work "
                             "verb)")
            if glossed:
                notes.append(f"read in English as: {english}")
            if share < 1.0:
                notes.append(f"a long request: the static (description similarity) signal "
                             f"counted {share:.0%} of its weight")
            for hit in hits:  # its English z-scores may be the multilingual stand-in's
                if hit.explain is not None and not foreign and hit.id in self.index.stand_in_ids:
                    hit.explain["multilingual_stand_in"] = True
            for hit in hits:
                if hit.explain is not None and hit.id in reranked:
                    hit.explain["rerank"] = reranked[hit.id]
                    hit.explain["ranked_by"] = used
        latency = (time.perf_counter() - started) * 1000
        return RouteResult(query, hits, abstain, confidence, threshold, latency, used, notes)

    def _with_material(self, query: str, asked: str, depth: int, foreign: bool
                       ) -> Future[np.ndarray] | None:
        """The whole request's fused scores, pasted material included, at ``pasted_weight``
        (RouteSettings), searched in a background thread while the ask is; None when nothing
        was left out, the weight is 0, or the request is in another language (its gloss
        reads the ask alone). Rows outside either search's exact set keep their quantized
        static cosine (``_scored``)."""
        if asked == query or not self.settings.pasted_weight or foreign:
            return None
        return background().submit(self._material_scores, query, depth)

    def _material_scores(self, query: str, depth: int) -> np.ndarray:
        weight = self.settings.pasted_weight
        share = self._share(len(tokenize(query)))
        # the stand-in (a multilingual encoding of the opening) was found by the ask's search
        signals, zs, _ = self._scored(query, depth, query, share=share, with_stand_in=False)
        return np.float32(weight) * self.fuse(signals, zs, share=share)

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
