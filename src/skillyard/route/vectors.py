"""Passage vectors by content key, with the library's embedding store as a shared cache.

Every process that builds a routing index over the same library (several ``skillyard serve``
processes on one PostgreSQL database, a batch job's workers, a second machine) looks vectors up
in the store before embedding, and writes what it embeds back in chunks, so a build that is
killed keeps what it computed and the next one embeds only the remainder. The model gives
bit-identical vectors whatever else shares a batch, so a vector read back equals one embedded
again, and routing is the same in every process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..library.store import Store
from .dense import DIM, MODEL_ID, Embedder
from .settings import DENSE_MAX_TOKENS

# The key space of the store's embeddings table: model, vector size and truncation length
# (the text key already covers them; the model id keeps other models' rows apart).
STORE_MODEL = f"{MODEL_ID}/{DIM}/{DENSE_MAX_TOKENS}"
CHUNK = 256  # passages embedded (and written to the store) at a time

Item = tuple[bytes, str]  # (content key, passage text)
Tick = Callable[[int], None]


class VectorMaker(Protocol):
    """Makes the vectors of passages the store does not have, writes them to the store as
    they are made (so an interrupted build keeps its work), and returns them by key."""

    def __call__(self, store: Store, items: Sequence[Item], tick: Tick | None
                 ) -> dict[bytes, np.ndarray]: ...


def stored(store: Store, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
    """The vectors the store already holds among ``keys`` (wrong-sized rows are ignored)."""
    found = store.get_vectors(STORE_MODEL, list(keys))
    return {k: v for k, v in found.items() if v.shape == (DIM,)}


def by_length(items: Sequence[Item]) -> list[Item]:
    """Items in text-length order, so chunks hold texts of similar length (less padding)."""
    return sorted(items, key=lambda item: (len(item[1]), item[0]))


def chunks(items: Sequence[Item], size: int = CHUNK) -> list[list[Item]]:
    ordered = by_length(items)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def embed_texts(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Vectors of passages, truncated as the routing index truncates them."""
    return embedder.embed(list(texts), max_tokens=DENSE_MAX_TOKENS)


class LocalEmbedding:
    """Embed in this process, a chunk at a time, writing each chunk to the store."""

    def __init__(self, embedder: Embedder | None = None, chunk: int = CHUNK) -> None:
        self.embedder = embedder
        self.chunk = chunk

    def __call__(self, store: Store, items: Sequence[Item], tick: Tick | None
                 ) -> dict[bytes, np.ndarray]:
        model = self.embedder or Embedder()  # two threads for bulk work
        out: dict[bytes, np.ndarray] = {}
        for part in chunks(items, self.chunk):
            vectors = embed_texts(model, [text for _, text in part])
            pairs = [(key, vec) for (key, _), vec in zip(part, vectors, strict=True)]
            store.put_vectors(STORE_MODEL, pairs)
            out.update(pairs)
            if tick is not None:
                tick(len(part))
        return out
