"""The opening of each skill's body, kept in the routing index for the body reranker.

A build cuts the first ``BODY_CHARS`` characters of every SKILL.md body (whitespace squeezed)
into ``PASSAGE_CHARS`` passages and stores their WordPiece ids (the static encoder's
tokenizer): one flat id array (``body_ids``), passage offsets into it (``body_pptr``) and
skill offsets into the passages (``body_sptr``), and each passage's static-encoder vector
before normalisation (``body_vecs``, float16: the idf-weighted sum of its token rows, so an
opening's vector is the sum of its passages'). A query then reads the few candidates it
reranks straight from the memory-mapped index, with no tokenizer or encoder pass and no
library store. The vectors depend on the library's idf weights: kept for unchanged skills
while those are, made again for every passage when they are refitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .static import StaticEncoder, weighted_sums

BODY_CHARS = 2400
PASSAGE_CHARS = 600
ARRAYS = ("body_sptr", "body_pptr", "body_ids", "body_vecs")
BLOCK = 4096  # passages whose float32 vectors are made before they are stored as float16
Passages = list[np.ndarray]  # WordPiece ids of each passage of one skill


def passages(body: str) -> list[str]:
    """The opening of ``body`` (whitespace runs squeezed, then cut) in passages."""
    text = " ".join(body.split())[:BODY_CHARS]
    return [text[i:i + PASSAGE_CHARS] for i in range(0, len(text), PASSAGE_CHARS)]


def encode(static: StaticEncoder, bodies: Sequence[str]) -> list[Passages]:
    """The passages of each body as WordPiece ids (one tokenizer call for all)."""
    cut = [passages(b) for b in bodies]
    ids = static.token_ids([p for parts in cut for p in parts]) if any(cut) else []
    out, at = [], 0
    for parts in cut:
        out.append([np.asarray(x, np.int32) for x in ids[at:at + len(parts)]])
        at += len(parts)
    return out


def vectors(table: np.ndarray, idf: np.ndarray, skills: Sequence[Passages],
            reuse: Sequence[int | None] = (), prev: Bodies | None = None) -> np.ndarray:
    """float16 [passages, DIM]: each passage's vector, copied from ``prev`` for a skill whose
    previous row ``reuse`` gives (same idf weights), else computed a block at a time."""
    flat = [p for parts in skills for p in parts]
    out = np.zeros((len(flat), table.shape[1]), np.float16)
    todo: list[int] = []
    at = 0
    for i, parts in enumerate(skills):
        row = reuse[i] if prev is not None and i < len(reuse) else None
        if row is not None and prev is not None:
            old = np.asarray(prev.vecs[prev.sptr[row]:prev.sptr[row + 1]])
            if len(old) == len(parts):
                out[at:at + len(parts)] = old
                at += len(parts)
                continue
        todo.extend(range(at, at + len(parts)))
        at += len(parts)
    for start in range(0, len(todo), BLOCK):
        block = todo[start:start + BLOCK]
        out[block] = weighted_sums(table, [flat[j] for j in block], idf)
    return out


def save_passages(gen: Any, skills: Sequence[Passages]) -> None:
    """The passages' offsets and ids (saved before their vectors are made, so the flat id
    array is not held beside them: a large build's peak memory)."""
    counts = [len(parts) for parts in skills]
    flat = [p for parts in skills for p in parts]
    sptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    pptr = np.concatenate(([0], np.cumsum([len(p) for p in flat]))).astype(np.int64)
    gen.save_array("body_sptr", sptr)
    gen.save_array("body_pptr", pptr)
    gen.save_array("body_ids", np.concatenate([np.zeros(0, np.int32), *flat], dtype=np.int32))


def save_vectors(gen: Any, vecs: np.ndarray) -> None:
    """The passages' vectors (``vectors``), after ``save_passages``."""
    gen.save_array("body_vecs", np.asarray(vecs, np.float16))  # no copy: already float16


def in_index(gen: Any) -> bool:
    return all((gen.path / f"{name}.npy").is_file() for name in ARRAYS)


class Bodies:
    """Read access to the stored passages of one generation (memory-mapped)."""

    def __init__(self, sptr: np.ndarray, pptr: np.ndarray, ids: np.ndarray,
                 vecs: np.ndarray) -> None:
        self.sptr, self.pptr, self.ids, self.vecs = sptr, pptr, ids, vecs

    @classmethod
    def open(cls, gen: Any) -> Bodies | None:
        if not in_index(gen):
            return None
        return cls(*(np.asarray(gen.array(name)) for name in ARRAYS))

    def __len__(self) -> int:
        return len(self.sptr) - 1

    def passages(self, row: int) -> Passages:
        first, last = int(self.sptr[row]), int(self.sptr[row + 1])
        return [np.asarray(self.ids[self.pptr[p]:self.pptr[p + 1]], np.int32)
                for p in range(first, last)]

    def passage_vectors(self, row: int) -> np.ndarray:
        """float32 [passages of ``row``, DIM] (see ``vectors``)."""
        return np.asarray(self.vecs[self.sptr[row]:self.sptr[row + 1]], np.float32)
