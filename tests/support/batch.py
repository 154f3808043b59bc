"""Helpers for the Ray batch tests: one local Ray per test module, corpus subsets, the vectors
of a routing index, and a CLI run in its own process group (so that a test can kill the
driver and then everything the driver started)."""

from __future__ import annotations

import gzip
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import pytest

from skillyard.batch import RayRuntime, RaySettings
from skillyard.route import storage

WORKERS = 2


@contextmanager
def local_ray(factory: pytest.TempPathFactory) -> Iterator[RayRuntime]:
    """A local Ray with two workers. Ray keeps its auth token under HOME: one private HOME for
    the whole session, since a second Ray in one process fails to start with another token."""
    home = factory.getbasetemp() / "ray-home"
    home.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        with RayRuntime(RaySettings(workers=WORKERS)) as runtime:
            assert runtime.started and runtime.workers == WORKERS
            yield runtime


def corpus_subset(corpus: Path, target: Path, n: int) -> Path:
    """The first ``n`` records of the shared corpus, as a small corpus file of its own."""
    with gzip.open(corpus, "rt", encoding="utf-8") as src, \
            gzip.open(target, "wt", encoding="utf-8") as out:
        for line in itertools.islice(src, n):
            out.write(line)
    return target


def index_vectors(db: str | Path) -> tuple[list[str], np.ndarray]:
    """(skill ids, description vectors) of the live routing index of a library."""
    gen = storage.current(storage.index_dir(db))
    assert gen is not None, "no routing index"
    return gen.lines("ids"), np.array(gen.array("desc", mmap=False))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``skillyard ARGS`` in a new session: its Ray processes share its process group."""
    return subprocess.Popen([sys.executable, "-m", "skillyard", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the driver, then whatever it started (Ray's agents outlive their driver)."""
    proc.kill()
    proc.wait()
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


@contextmanager
def short_tmpdir() -> Iterator[str]:
    """A short TMPDIR for a CLI run: Ray's socket paths must stay under 108 bytes, and a
    killed driver leaves its Ray folder behind, which this removes."""
    path = tempfile.mkdtemp(prefix="sy")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
