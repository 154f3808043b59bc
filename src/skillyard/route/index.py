"""One opened generation of the routing index: its arrays memory-mapped, its lists read.

The router (router.py) reads everything it scores from here; the int8 scans of the vector
matrices (scan.py) are opened on first use.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import storage, xling
from .bodies import Bodies
from .gloss import Glossary
from .lexical import BM25FIndex
from .scan import QuantizedScan, open_scan


def _mapped(gen: storage.Generation) -> Any:
    """Memory-mapped arrays as plain ndarray views: indexing a ``np.memmap`` goes through a
    Python ``__getitem__`` and makes a memmap object per slice (about a millisecond per
    query at 60,000 skills); the view reads the same pages."""

    def array(name: str) -> np.ndarray:
        return np.asarray(gen.array(name))

    return array


class RouteIndex:
    """One opened (memory-mapped) generation of the routing index."""

    def __init__(self, gen: storage.Generation) -> None:
        self.generation = gen
        self.manifest = gen.manifest()
        self.ids = gen.lines("ids")
        self.names = gen.lines("names")
        self.group_ids = gen.lines("groups")
        array = _mapped(gen)
        self.lexical = BM25FIndex(
            array("lex_vocab"), array("lex_indptr"), array("lex_docs"),
            array("lex_weights"), len(self.ids),
        )
        # The model's description vectors exist only in an index built with --full-model.
        self.desc: np.ndarray | None = None
        if (gen.path / "desc_proj.npy").is_file():
            self.desc = array("desc_proj")
            self.proj_mean = gen.array("proj_mean", mmap=False)
            self.proj_basis = gen.array("proj_basis", mmap=False)
        self.family_ids = gen.lines("families")
        self.collection_size = array("collection_size")
        self.tc_ptr = array("tc_ptr")
        self.tc_terms = array("tc_terms")
        self.sdesc = array("sdesc")
        self.sdesc_proj = array("sdesc_proj")
        self.smean = gen.array("sproj_mean", mmap=False)
        self.sbasis = gen.array("sproj_basis", mmap=False)
        self.static_idf = gen.array("static_idf", mmap=False)
        self.tc_tf = array("tc_tf")
        # The opening of each body, for the body reranker (absent in older indexes).
        self.bodies: Bodies | None = Bodies.open(gen)
        # Multilingual vectors of names and descriptions (reindex --multilingual; xling.py).
        self.ml: np.ndarray | None = gen.array("ml_desc") if xling.in_index(gen) else None
        # ... and the vocabulary that glosses such a request in English (gloss.py).
        self.glossary: Glossary | None = Glossary.open(gen.path) if self.ml is not None else None
        # ... and the skills described in another language that it stands in for (_stand_in).
        self.ml_stand_in = (gen.array(xling.STAND_IN, mmap=False)
                            if self.ml is not None and xling.in_stand_in(gen)
                            else np.zeros(0, np.int32))
        self._scan: QuantizedScan | None = None
        self._ml_scan: QuantizedScan | None = None
        self._scan_lock = threading.Lock()  # each scan its own: warm opens both at once
        self._ml_scan_lock = threading.Lock()

    def static_scan(self) -> QuantizedScan:
        """The quantized copy of the static description vectors (kept by the build; made
        on first use in an index without it: about 0.5 s for 60,000 skills)."""
        with self._scan_lock:
            if self._scan is None:
                self._scan = open_scan(self.generation.path, "sdesc_proj", self.sdesc_proj)
            return self._scan

    def ml_scan(self) -> QuantizedScan | None:
        """The quantized copy of the multilingual vectors, as ``static_scan``'s (None
        without them)."""
        if self.ml is None:
            return None
        with self._ml_scan_lock:
            if self._ml_scan is None:
                self._ml_scan = open_scan(self.generation.path, "ml_desc", self.ml)
            return self._ml_scan

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
    def stand_in_ids(self) -> frozenset[str]:
        """Ids of the skills of ``ml_stand_in``."""
        return frozenset(self.ids[int(r)] for r in self.ml_stand_in)

    @cached_property
    def members(self) -> dict[str, list[int]]:
        """Rows of every family with more than one member."""
        out: dict[str, list[int]] = {}
        for row, fam in enumerate(self.family_ids):
            out.setdefault(fam, []).append(row)
        return {f: rows for f, rows in out.items() if len(rows) > 1}

    @cached_property
    def family_sizes(self) -> np.ndarray:
        """Members of each skill's family (1 for a skill without versions)."""
        sizes = np.ones(len(self.ids), np.int32)
        for rows in self.members.values():
            sizes[rows] = len(rows)
        return sizes

    @cached_property
    def descriptions(self) -> list[str]:
        return self.generation.lines("descs")

    def doc_terms(self, row: int) -> np.ndarray:
        return np.asarray(self.tc_terms[self.tc_ptr[row] : self.tc_ptr[row + 1]])
