"""A driver killed mid-job (SIGKILL, through the real CLI), then the same command again: the
re-run does only the remainder and ends equal to a single-process run.

To kill the driver mid-job for certain, the test takes the library's write lock as soon as the
first chunk is stored: the driver then waits for its next write while the test kills it."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import CORPUS
from skillyard.api import Library
from support.batch import cli, corpus_subset, index_vectors, kill_group, short_tmpdir

SKILLS = 200


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus_subset(CORPUS, tmp_path_factory.mktemp("corpus") / "c.jsonl.gz", SKILLS)


@pytest.fixture
def tmpdir_env() -> Iterator[dict[str, str]]:
    with short_tmpdir() as tmp:
        yield {"TMPDIR": tmp}


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _kill_after_first_chunk(args: list[str], db: Path, table: str,
                            env: dict[str, str]) -> int:
    """Run ``skillyard ARGS``; once ``table`` has rows, hold the write lock and kill it."""
    proc = cli(*args, env=env)
    deadline = time.monotonic() + 120
    lock = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        while _count(db, table) == 0:
            assert proc.poll() is None, f"finished before the kill: {proc.communicate()}"
            assert time.monotonic() < deadline, "no chunk was stored in time"
            time.sleep(0.01)
        lock.execute("BEGIN IMMEDIATE")  # the driver's next write now waits
        time.sleep(0.3)
        assert proc.poll() is None
    finally:
        kill_group(proc)
        if lock.in_transaction:
            lock.execute("ROLLBACK")
        lock.close()
    return _count(db, table)


def _run(args: list[str], env: dict[str, str]) -> tuple[int, Any]:
    """Exit code and JSON output; audit's job summary (its last stderr line) as "batch"."""
    proc = cli(*args, "--json", env=env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), err[-2000:]
    data = json.loads(out)
    if isinstance(data, list):
        data = {"results": data, **json.loads(err.strip().splitlines()[-1])}
    return proc.returncode, data


def test_index_driver_killed_then_resumed(corpus: Path, tmp_path: Path,
                                          tmpdir_env: dict[str, str]) -> None:
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        assert lib.index([str(corpus)]).loaded == SKILLS
    args = ["index", str(corpus), "--ray", "--ray-workers", "2", "--db", str(db)]
    kept = _kill_after_first_chunk(args, db, "embeddings", tmpdir_env)
    assert 0 < kept < SKILLS
    assert index_vectors_missing(db)
    code, out = _run(args, tmpdir_env)
    assert code == 0
    batch, route = out["batch"], out["route"]
    assert route["from_store"] == kept and batch["skipped"] == kept
    assert batch["done"] == route["embedded"] == batch["items"] - kept > 0
    assert _count(db, "embeddings") == batch["items"]
    # The same index as a single-process build of the same skills.
    single = tmp_path / "single.db"
    with Library(single) as lib:
        lib.index([str(corpus)])
        assert lib.route_index(full_model=True).embedded == batch["items"]
    ids, vectors = index_vectors(db)
    ref_ids, ref_vectors = index_vectors(single)
    assert ids == ref_ids and np.array_equal(vectors, ref_vectors)


def index_vectors_missing(db: Path) -> bool:
    """The killed build published no index generation."""
    try:
        index_vectors(db)
    except AssertionError:
        return True
    return False


def test_audit_driver_killed_then_resumed(corpus: Path, tmp_path: Path,
                                          tmpdir_env: dict[str, str]) -> None:
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        lib.index([str(corpus)])
        digests = len({s.digest for s in lib.list()})
    args = ["audit", "--library", "--ray", "--ray-workers", "2", "--db", str(db)]
    kept = _kill_after_first_chunk(args, db, "audit_results", tmpdir_env)
    assert 0 < kept < digests
    assert _count(db, "audit_skills") == 0  # the verdicts are recorded at the end
    code, out = _run(args, tmpdir_env)
    assert code == int(any(r["verdict"] == "block" for r in out["results"]))
    assert out["batch"]["done"] == digests - kept
    assert out["batch"]["skipped"] == SKILLS - out["batch"]["done"]
    single = tmp_path / "single.db"
    with Library(single) as lib:
        lib.index([str(corpus)])
        expected = [r.to_dict() for r in lib.audit()]
    assert [{k: r[k] for k in ("skill", "digest", "verdict", "tier", "findings")}
            for r in out["results"]] == expected
