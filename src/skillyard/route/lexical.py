"""BM25F over skill fields in numpy: per-document term counts, then eager term-major weights.

Two layers:

- ``TermCounts``: for each document, its terms (64-bit hashes) and per-field counts. Kept on
  disk so an update tokenizes only new or changed skills.
- ``BM25FIndex``: term-major postings (sorted term hashes, doc ids, precomputed BM25F
  weights), built from TermCounts in a few vectorised passes and searched with one
  ``bincount``. Terms are hashed, so opening an index reads no vocabulary (memory-mapped).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .text import FIELDS

NF = len(FIELDS)
TAKE_BLOCK = 4096  # documents gathered at a time by TermCounts.take
BUILD_BLOCK = 1 << 20  # postings whose hash slice BM25FIndex.build reads at a time
BUILD_SHARDS = 16  # slices of the term-hash range BM25FIndex.build sorts one at a time


@dataclass(frozen=True)
class BM25FParams:
    """Field weights and length normalisation (name, desc, head, body)."""

    weights: tuple[float, ...] = (3.0, 2.0, 1.5, 1.0)
    b: tuple[float, ...] = (0.3, 0.5, 0.6, 0.75)
    k1: float = 1.2

    def to_dict(self) -> dict[str, object]:
        return {"weights": list(self.weights), "b": list(self.b), "k1": self.k1}


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def hash_terms(terms: Sequence[str]) -> np.ndarray:
    """The hashes of ``terms``; each distinct term is hashed once (documents share most)."""
    known = {term: term_hash(term) for term in set(terms)}
    return np.fromiter((known[t] for t in terms), dtype=np.uint64, count=len(terms))


@dataclass
class TermCounts:
    """Doc-major term counts: doc i owns rows ``ptr[i]:ptr[i+1]`` of ``terms``/``tf``."""

    ptr: np.ndarray  # int64 [N+1]
    terms: np.ndarray  # uint64 [nnz]
    tf: np.ndarray  # uint16 [nnz, NF]
    lengths: np.ndarray  # float32 [N, NF] tokens per field

    @property
    def n_docs(self) -> int:
        return len(self.ptr) - 1

    @classmethod
    def empty(cls) -> TermCounts:
        return cls(np.zeros(1, np.int64), np.zeros(0, np.uint64), np.zeros((0, NF), np.uint16),
                   np.zeros((0, NF), np.float32))

    @classmethod
    def from_fields(cls, docs: Sequence[Sequence[Sequence[str]]]) -> TermCounts:
        """``docs[i][f]`` is the token list of field f of document i."""
        ptr = [0]
        terms: list[str] = []
        rows: list[list[int]] = []
        lengths = np.zeros((len(docs), NF), np.float32)
        for i, fields in enumerate(docs):
            merged: dict[str, list[int]] = {}
            for f, tokens in enumerate(fields):
                lengths[i, f] = len(tokens)
                for term, count in Counter(tokens).items():
                    merged.setdefault(term, [0] * NF)[f] = min(count, 65535)
            terms.extend(merged)
            rows.extend(merged.values())
            ptr.append(len(terms))
        tf = np.array(rows, dtype=np.uint16).reshape(-1, NF)
        return cls(np.array(ptr, np.int64), hash_terms(terms), tf, lengths)

    def take(self, docs: Sequence[int]) -> TermCounts:
        """The counts of the given documents, in that order (itself when that is all of
        them in order). Gathered a block of documents at a time, so the temporary row
        indexes stay small next to the counts."""
        if len(docs) == 0:
            return TermCounts.empty()
        idx = np.asarray(docs, np.int64)
        if len(idx) == self.n_docs and np.array_equal(idx, np.arange(self.n_docs)):
            return self
        sizes = self.ptr[idx + 1] - self.ptr[idx]
        ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        terms = np.empty(int(ptr[-1]), self.terms.dtype)
        tf = np.empty((int(ptr[-1]), self.tf.shape[1]), self.tf.dtype)
        for start in range(0, len(idx), TAKE_BLOCK):
            block = idx[start:start + TAKE_BLOCK]
            counts = sizes[start:start + TAKE_BLOCK]
            firsts = self.ptr[block] - np.concatenate(([0], np.cumsum(counts)[:-1]))
            rows = np.repeat(firsts, counts) + np.arange(int(counts.sum()), dtype=np.int64)
            at, to = int(ptr[start]), int(ptr[start + len(block)])
            terms[at:to] = self.terms[rows]
            tf[at:to] = self.tf[rows]
        return TermCounts(ptr, terms, tf, self.lengths[idx])

    @staticmethod
    def concat(parts: Sequence[TermCounts]) -> TermCounts:
        parts = [p for p in parts if p.n_docs]
        if not parts:
            return TermCounts.empty()
        if len(parts) == 1:
            return parts[0]  # a first build's counts are not copied again
        offsets = np.cumsum([0] + [len(p.terms) for p in parts[:-1]])
        shifted = [p.ptr[1:] + off for p, off in zip(parts, offsets, strict=True)]
        ptr = np.concatenate([[0], *shifted])
        return TermCounts(
            ptr.astype(np.int64),
            np.concatenate([p.terms for p in parts]),
            np.concatenate([p.tf for p in parts]),
            np.concatenate([p.lengths for p in parts]),
        )


@dataclass
class BM25FIndex:
    """Term-major postings with precomputed BM25F weights."""

    vocab: np.ndarray  # uint64 [V] sorted term hashes
    indptr: np.ndarray  # int64 [V+1]
    docs: np.ndarray  # int32 [nnz]
    weights: np.ndarray  # float32 [nnz]
    n_docs: int

    @classmethod
    def build(cls, counts: TermCounts, params: BM25FParams = BM25FParams(), *,
              shards: int = BUILD_SHARDS) -> BM25FIndex:
        """Postings sorted by term, weighed. The terms are split by the top bits of their
        hash into ``shards`` slices of the hash range, weighed and sorted one slice at a
        time: every term's postings fall in one slice, and the slices in order give the
        sorted vocabulary, so the temporaries are a slice's, not the whole index's (the
        first build's peak memory). The result does not depend on ``shards``."""
        n = counts.n_docs
        if n == 0 or len(counts.terms) == 0:
            return cls(np.zeros(0, np.uint64), np.zeros(1, np.int64), np.zeros(0, np.int32),
                       np.zeros(0, np.float32), n)
        avg = np.maximum(counts.lengths.mean(axis=0), 1.0)
        w = np.asarray(params.weights, np.float32)
        b = np.asarray(params.b, np.float32)
        norm = 1.0 - b + b * (counts.lengths / avg)  # [N, NF]
        bits = min(8, max(0, int(shards) - 1).bit_length())  # slice ids fit a uint8
        slice_of = np.zeros(len(counts.terms), np.uint8)
        for start in range(0, len(slice_of) if bits else 0, BUILD_BLOCK):
            block = counts.terms[start:start + BUILD_BLOCK]
            slice_of[start:start + BUILD_BLOCK] = block >> np.uint64(64 - bits)
        docs = np.empty(len(counts.terms), np.int32)
        weights = np.empty(len(counts.terms), np.float32)
        vocabs: list[np.ndarray] = []
        dfs: list[np.ndarray] = []
        at = 0
        for part in range(1 << bits):
            rows = np.flatnonzero(slice_of == part)  # postings of this slice, in doc order
            if len(rows) == 0:
                continue
            doc_of = (np.searchsorted(counts.ptr, rows, side="right") - 1).astype(np.int32)
            tf = (counts.tf[rows].astype(np.float32) / norm[doc_of]) @ w
            terms = counts.terms[rows]
            del rows
            order = np.argsort(terms, kind="stable")  # postings of a term stay in doc order
            terms = terms[order]
            firsts = np.flatnonzero(np.concatenate(([True], terms[1:] != terms[:-1])))
            vocabs.append(terms[firsts])
            df = np.diff(np.append(firsts, len(order)))
            dfs.append(df)
            idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
            weighed = tf[order]
            weighed *= (params.k1 + 1.0) / (params.k1 + weighed)
            weighed *= np.repeat(idf, df)
            docs[at:at + len(order)] = doc_of[order]
            weights[at:at + len(order)] = weighed
            at += len(order)
        df_all = np.concatenate(dfs)
        indptr = np.concatenate(([0], np.cumsum(df_all))).astype(np.int64)
        return cls(np.concatenate(vocabs), indptr, docs, weights, n)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in vocab, found mask) for term hashes."""
        if len(self.vocab) == 0:
            return np.zeros(len(hashes), np.int64), np.zeros(len(hashes), bool)
        pos = np.searchsorted(self.vocab, hashes)
        pos = np.minimum(pos, len(self.vocab) - 1)
        return pos, self.vocab[pos] == hashes

    def score(self, query_terms: Sequence[str], *, max_terms: int = 96) -> np.ndarray:
        """BM25F scores of every document for a tokenized query.

        Repeated query terms count with a saturating weight; very long queries keep their
        ``max_terms`` rarest terms (the common ones barely move BM25 and cost the most).
        """
        scores = np.zeros(self.n_docs, np.float32)
        if not query_terms or self.n_docs == 0:
            return scores
        counts = Counter(query_terms)
        hashes = hash_terms(list(counts))
        qtf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        pos, found = self.lookup(hashes)
        pos, qtf = pos[found], qtf[found]
        if len(pos) == 0:
            return scores
        df = self.indptr[pos + 1] - self.indptr[pos]
        if len(pos) > max_terms:
            keep = np.argsort(df, kind="stable")[:max_terms]
            pos, qtf, df = pos[keep], qtf[keep], df[keep]
        qw = qtf * 2.0 / (1.0 + qtf)
        # The postings of each query term are one contiguous slice: joined, then summed per
        # document by one bincount (no index arrays over all postings).
        bounds = [(int(self.indptr[p]), int(self.indptr[p + 1])) for p in pos]
        docs = np.concatenate([self.docs[a:b] for a, b in bounds])
        weights = np.concatenate([self.weights[a:b] for a, b in bounds])
        if (qtf != 1.0).any():
            weights = weights * np.repeat(qw, df).astype(np.float32)
        return np.bincount(docs, weights=weights, minlength=self.n_docs).astype(np.float32)
