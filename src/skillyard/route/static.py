"""A static query encoder distilled from the shipped MiniLM model: one vector per WordPiece.

Every vocabulary token is run through the model once (as ``[CLS] token [SEP]``, mean pooled);
a text's vector is then the idf-weighted mean of its tokens' rows, which costs well under a
millisecond instead of a transformer pass. On the development queries this matches the full
model for ranking descriptions (see ``bench/routing.py``). The table depends only on the model,
so it is made once per machine (about a minute on two cores) and kept in the user cache
folder (see ``cache_dir``); idf weights come from each library.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import platformdirs

from ..utf8 import readable
from .dense import DIM, MODEL_ID, Embedder, model_files

BATCH = 1024
SPECIAL = (0, 100, 101, 102, 103)  # [PAD] [UNK] [CLS] [SEP] [MASK] in the BERT vocabulary
MAX_TOKENS = 512  # of a text's WordPieces are read (descriptions; queries)


ENV_STATIC_DIR = "SKILLYARD_STATIC_DIR"


def cache_dir() -> Path:
    """Where the distilled table is kept: ``$SKILLYARD_STATIC_DIR``, else ``static/`` under
    ``$SKILLYARD_ROUTE_DIR`` or the user cache folder. It depends only on the model, so any
    number of libraries (and test runs) share one."""
    if os.environ.get(ENV_STATIC_DIR):
        return Path(os.environ[ENV_STATIC_DIR])
    root = os.environ.get("SKILLYARD_ROUTE_DIR") or platformdirs.user_cache_dir(
        "skillyard", appauthor=False)
    return Path(root) / "static"


def _model_tag() -> str:
    model, _ = model_files()
    stat = model.stat()
    digest = hashlib.sha256(f"{MODEL_ID}\0{stat.st_size}".encode()).hexdigest()[:12]
    return f"{MODEL_ID}-{digest}"


def distill(embedder: Embedder, vocab_size: int) -> np.ndarray:
    """float32 [vocab_size, DIM]: the model's pooled output for each token alone."""
    table = np.zeros((vocab_size, DIM), np.float32)
    with embedder._lock:
        embedder._load()
        for start in range(0, vocab_size, BATCH):
            rows = [[101, t, 102] for t in range(start, min(vocab_size, start + BATCH))]
            table[start:start + len(rows)] = embedder._run(rows)
    table[list(SPECIAL)] = 0.0
    return table


_LOCK = threading.Lock()


def token_table(embedder: Embedder | None = None) -> np.ndarray:
    """The distilled table, from the cache or made now (and cached, atomically)."""
    with _LOCK:
        path = cache_dir() / f"{_model_tag()}.npy"
        if path.is_file():
            try:
                return np.load(path, mmap_mode="r")
            except (OSError, ValueError):
                pass  # a damaged cache file is made again
        model = embedder or Embedder()
        table = distill(model, model.tokenizer().get_vocab_size())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}.npy")
        np.save(tmp, table)
        os.replace(tmp, path)
        return table


class StaticEncoder:
    """Tokenizes with the model's WordPiece tokenizer and averages distilled token rows."""

    def __init__(self, table: np.ndarray | None = None, embedder: Embedder | None = None
                 ) -> None:
        self._embedder = embedder or Embedder(threads=1)
        self._table = table
        self._lock = threading.Lock()

    @property
    def table(self) -> np.ndarray:
        with self._lock:
            if self._table is None:
                self._table = token_table(self._embedder)
            return self._table

    def token_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        out = []
        for enc in self._embedder.tokenizer().encode_batch([readable(t) for t in texts]):
            ids = np.asarray(enc.ids[1:-1][:MAX_TOKENS], np.int64)
            out.append(ids[~np.isin(ids, SPECIAL)])
        return out

    def encode_ids(self, ids: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
        """Unit vectors [len(ids), DIM]; ``weights`` [vocab] scales each token (idf)."""
        out = weighted_sums(self.table, ids, weights)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-9, None)

    def encode(self, texts: Sequence[str], weights: np.ndarray) -> np.ndarray:
        return self.encode_ids(self.token_ids(texts), weights)


def weighted_sums(table: np.ndarray, texts: Sequence[np.ndarray], weights: np.ndarray
                  ) -> np.ndarray:
    """float32 [len(texts), DIM]: each text's token rows times the tokens' ``weights``,
    summed (zero for an empty text).

    One text at a time: its rows stay in the CPU cache, where gathering the rows of a block
    of texts at once goes out to memory (30 times slower over a 61K library's body
    passages). einsum's own loop, not BLAS, whose threads stall on a busy machine (see
    router._matvec)."""
    table = np.asarray(table)
    out = np.zeros((len(texts), table.shape[1]), np.float32)
    for i, ids in enumerate(texts):
        if len(ids):
            out[i] = np.einsum("j,jk->k", weights[ids], np.asarray(table[ids], np.float32))
    return out


def idf_weights(ids: Sequence[np.ndarray], vocab_size: int) -> np.ndarray:
    """log((N+1)/(df+1)) over the library's texts: common WordPieces count for little."""
    df = np.zeros(vocab_size, np.float64)
    for row in ids:
        df[np.unique(row)] += 1
    return np.log((len(ids) + 1) / (df + 1)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_static() -> StaticEncoder:
    """One static encoder per process (the table is memory-mapped from the cache)."""
    return StaticEncoder()
