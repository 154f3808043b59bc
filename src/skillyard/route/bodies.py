"""The opening of each skill's body, kept in the routing index for the body reranker.

A build cuts the first ``BODY_CHARS`` characters of every SKILL.md body (whitespace squeezed)
into ``PASSAGE_CHARS`` passages and stores their WordPiece ids (the static encoder's
tokenizer): one flat id array (``body_ids``), passage offsets into it (``body_pptr``) and
skill offsets into the passages (``body_sptr``). A query then reads the few candidates it
reranks straight from the memory-mapped index, with no tokenizer pass and no library store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .static import StaticEncoder

BODY_CHARS = 2400
PASSAGE_CHARS = 600
ARRAYS = ("body_sptr", "body_pptr", "body_ids")
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


def save(gen: Any, skills: Sequence[Passages]) -> None:
    counts = [len(parts) for parts in skills]
    flat = [p for parts in skills for p in parts]
    sptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    pptr = np.concatenate(([0], np.cumsum([len(p) for p in flat]))).astype(np.int64)
    ids = np.concatenate([np.zeros(0, np.int32), *flat]).astype(np.int32)
    gen.save_array("body_sptr", sptr)
    gen.save_array("body_pptr", pptr)
    gen.save_array("body_ids", ids)


def in_index(gen: Any) -> bool:
    return all((gen.path / f"{name}.npy").is_file() for name in ARRAYS)


class Bodies:
    """Read access to the stored passages of one generation (memory-mapped)."""

    def __init__(self, sptr: np.ndarray, pptr: np.ndarray, ids: np.ndarray) -> None:
        self.sptr, self.pptr, self.ids = sptr, pptr, ids

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
