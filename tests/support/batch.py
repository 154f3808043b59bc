"""Helpers for the Ray batch tests: one local Ray per test module, corpus subsets, the vectors
of a routing index, and a CLI run in its own process group (so that a test can kill the
driver and then everything the driver started)."""

from __future__ import annotations

import gzip
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

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
            runtime.connect()
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
    kill_session(proc)
    proc.communicate()


def kill_session(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL every process of the session ``proc`` leads (Ray puts its workers in process
    groups of their own, but in that session), by pid; then reap ``proc``."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    listed = subprocess.run(["ps", "-s", str(proc.pid), "-o", "pid="], capture_output=True,
                            text=True, check=False).stdout.split()
    for pid in listed:
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    proc.wait()


@contextmanager
def short_tmpdir() -> Iterator[str]:
    """A short TMPDIR for a CLI run: Ray's socket paths must stay under 108 bytes, and a
    killed driver leaves its Ray folder behind, which this removes."""
    path = tempfile.mkdtemp(prefix="sy")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def ray_head(tmp: str, cpus: int = 2) -> Iterator[str]:
    """A Ray cluster head on this machine (``ray start --head --block`` in its own session),
    stopped by killing that session's process group; yields its ``host:port``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray = Path(sys.executable).parent / "ray"
    # Token authentication (Ray's default): the head and its clients share ~/.ray/auth_token.
    subprocess.run([str(ray), "get-auth-token", "--generate"], capture_output=True,
                   check=True)
    proc = subprocess.Popen(
        [str(ray), "start", "--head", "--block", f"--port={port}", f"--num-cpus={cpus}",
         f"--temp-dir={tmp}", "--include-dashboard=false", "--node-ip-address=127.0.0.1",
         "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": tmp},
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(Path(tmp).glob("session_*/sockets/raylet")):
            assert proc.poll() is None and time.monotonic() < deadline, "ray start failed"
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        kill_session(proc)
