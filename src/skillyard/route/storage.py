"""The routing index on disk: a folder beside the library file (in the user cache for a
database URL), one generation at a time.

``<library>.route/`` holds numbered generation folders and a ``CURRENT`` file naming the live
one. A build writes a complete new generation, then replaces ``CURRENT`` atomically, so readers
see either the old index or the new one, never half of each. Arrays are ``.npy`` files opened
memory-mapped, so opening an index costs milliseconds whatever its size.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from ..errors import SkillyardError

FORMAT = 3
CURRENT = "CURRENT"
ENV_ROUTE_DIR = "SKILLYARD_ROUTE_DIR"


class RouteIndexError(SkillyardError):
    """The routing index is missing, stale or unreadable."""


class OldFormatError(RouteIndexError):
    """The routing index was written by another version of skillyard (rebuildable)."""


def is_shared(db_path: str | Path) -> bool:
    """A database URL (several processes or machines share it) rather than a local file."""
    return "://" in str(db_path)


def index_dir(db_path: str | Path) -> Path:
    """The folder holding the routing index of a library: beside a library file, or for a
    database URL (no file to sit beside) ``<cache>/route/<sha256 of the URL>[:16]`` in the
    user cache folder, or under ``$SKILLYARD_ROUTE_DIR`` when set."""
    where = str(db_path)
    if not is_shared(where):
        return Path(f"{where}.route")
    root = os.environ.get(ENV_ROUTE_DIR) or str(
        Path(platformdirs.user_cache_dir("skillyard", appauthor=False)) / "route")
    return Path(root) / hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]


class Generation:
    """One generation folder: arrays, text lists and a manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save_array(self, name: str, array: np.ndarray) -> None:
        np.save(self.path / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    def array(self, name: str, *, mmap: bool = True) -> np.ndarray:
        file = self.path / f"{name}.npy"
        try:
            return np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise RouteIndexError(f"{file}: unreadable routing index array ({exc})") from None

    def save_lines(self, name: str, lines: list[str]) -> None:
        text = "\n".join(line.replace("\n", " ") for line in lines)
        (self.path / f"{name}.txt").write_text(text, encoding="utf-8")

    def lines(self, name: str) -> list[str]:
        text = (self.path / f"{name}.txt").read_text(encoding="utf-8")
        return text.split("\n") if text else []

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        (self.path / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")

    def manifest(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / "manifest.json").read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RouteIndexError(f"{self.path}: unreadable routing manifest ({exc})") from None
        if data.get("format") != FORMAT:
            raise OldFormatError(
                f"{self.path}: routing index format {data.get('format')} is not {FORMAT}; "
                "run 'skillyard reindex'"
            )
        return data


def current(root: Path) -> Generation | None:
    """The live generation, or None when no index was built."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root / name
    if not name or not path.is_dir():
        raise RouteIndexError(f"{root}: CURRENT names a missing generation {name!r}; reindex")
    return Generation(path)


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index (a second one waits); readers never wait."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "LOCK").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_generation(root: Path) -> Generation:
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    path = root / f"gen-{max(numbers, default=0) + 1:06d}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return Generation(path)


def publish(root: Path, generation: Generation) -> None:
    """Make ``generation`` live and delete older generations no reader can still be opening."""
    tmp = root / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(generation.path.name, encoding="utf-8")
    os.replace(tmp, root / CURRENT)
    for old in root.glob("gen-*"):
        if old != generation.path and old.is_dir():
            # Open memory maps stay valid on POSIX after the files are unlinked.
            shutil.rmtree(old, ignore_errors=True)
