"""The multilingual encoder beside the read stage (route/encode_ahead.py): the same vectors as
encoding after it, what a dead encoder process leaves is encoded in the build's process, and
the encoder process does not outlive a killed build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE_SKILLS, write_skill
from skillyard.api import Library
from skillyard.route import build, encode_ahead, storage, xling

pytestmark = pytest.mark.skipif(not xling.available(), reason="multilingual encoder missing")


def _vectors(db: Path) -> np.ndarray:
    return storage.current(storage.index_dir(db)).array(xling.FILE.removesuffix(".npy"),
                                                        mmap=False)


@pytest.fixture(scope="module")
def skills(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ahead") / "skills"
    for i in range(40):  # more than a read chunk, so the encoder gets several
        write_skill(root, f"skill-{i}", f"Skill number {i}: converts file format {i} into "
                                        f"format {i + 1}, and checks the result twice.")
    return root


def test_the_vectors_are_those_of_the_build_s_own_process(
        skills: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chunks of one encoder batch each, as READ_CHUNK is a multiple of the batch in a build
    monkeypatch.setattr(build, "READ_CHUNK", 16)
    monkeypatch.setattr(xling, "BATCH", 16)
    started = []
    real = encode_ahead.EncodeAhead.start.__func__  # type: ignore[attr-defined]

    def start(cls: type, rows: int, spool_dir: str | None = None
              ) -> encode_ahead.EncodeAhead | None:
        made = real(cls, rows, spool_dir)
        started.append(made)
        return made

    monkeypatch.setattr(encode_ahead.EncodeAhead, "start", classmethod(start))
    out = {}
    for label, minimum in (("beside", 1), ("after", 10**9)):
        monkeypatch.setattr(encode_ahead, "AHEAD_MIN", minimum)
        db = tmp_path / f"{label}.db"
        with Library(db) as lib:
            lib.index([str(skills), str(SAMPLE_SKILLS)])
            report = lib.route_index()
        assert report.stages["multilingual"] >= 0
        out[label] = _vectors(db)
    if encode_ahead._cores() >= 2:  # it ran, and ended with the build
        assert started[0] is not None and started[0].process.poll() == 0
    assert started[-1] is None
    assert np.array_equal(out["beside"], out["after"])


def test_rows_a_dead_encoder_never_sent_are_encoded_here() -> None:
    names = [f"skill-{i}" for i in range(6)]
    descs = [f"Turns report {i} into a chart" for i in range(6)]
    reuse: list[int | None] = [None] * 6
    reference, _ = xling.build_vectors(names, descs, None, reuse)
    ahead = encode_ahead.EncodeAhead()
    ahead.submit([0, 1, 2], [xling.passage(names[i], descs[i]) for i in range(3)])
    out = np.zeros((6, xling.DIM), np.float32)
    done = ahead.fill(out)  # this one was delivered ...
    assert done[:3].all() and not done[3:].any()
    ahead2 = encode_ahead.EncodeAhead()
    ahead2.process.kill()  # ... this one dies before it delivers anything
    ahead2.process.wait()
    ahead2.submit([3, 4, 5], [xling.passage(names[i], descs[i]) for i in range(3, 6)])
    got, encoded = xling.build_vectors(names, descs, None, reuse, ahead=ahead2)
    assert encoded == 6 and np.allclose(got, reference, atol=1e-6)
    assert np.allclose(out[:3], reference[:3], atol=1e-6)
    for a in (ahead, ahead2):
        a.close()


SCRIPT = """
import os, signal, sys
from skillyard.route.encode_ahead import EncodeAhead
ahead = EncodeAhead()
ahead.submit([0], ["warm up"])
print(ahead.process.pid, flush=True)
sys.stdin.readline()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_encoder_does_not_outlive_a_killed_build() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    child = int(proc.stdout.readline())
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 60  # it may finish the request it holds first
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        if _zombie(child):
            return
        time.sleep(0.2)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the encoder process outlived the killed build")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return False


def test_a_read_chunk_is_whole_encoder_batches() -> None:
    """What keeps the vectors the same: the encoder process gets whole batches."""
    assert build.READ_CHUNK % xling.BATCH == 0


def test_no_encoder_process_when_it_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encode_ahead, "_cores", lambda: 2)
    assert encode_ahead.EncodeAhead.start(encode_ahead.AHEAD_MIN - 1) is None  # too few rows
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert encode_ahead.EncodeAhead.start(encode_ahead.AHEAD_MIN) is None
    monkeypatch.setattr(encode_ahead, "_cores", lambda: 1)
    monkeypatch.setattr(sys, "executable", "")
    assert encode_ahead.EncodeAhead.start(10**6) is None
