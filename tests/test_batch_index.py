"""The routing index's embedding on Ray (local, two workers): equal to a single-process build,
shared through the store, and finished when a worker dies mid-job."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE_SKILLS
from skillyard.api import Library
from skillyard.audit.policy import Policy
from skillyard.audit.rules import load_rules
from skillyard.batch import BatchError, RayRuntime, build_index_ray
from skillyard.batch.audit import audit_chunk
from skillyard.batch.embed import embed_chunk
from skillyard.batch.jobs import ENV_FAULT, JobReport, run_job
from skillyard.errors import StoreError
from skillyard.route import storage
from skillyard.route.dense import Embedder
from skillyard.route.vectors import STORE_MODEL, embed_texts
from support.batch import index_vectors, local_ray

QUERIES = ("fill the fields of a PDF form", "write a changelog from git history",
           "make a slide deck")


@pytest.fixture(scope="module")
def ray_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayRuntime]:
    with local_ray(tmp_path_factory) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], np.ndarray]:
    """The sample skills' index built in one process, the usual way."""
    db = tmp_path_factory.mktemp("single") / "single.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        report = lib.route_index(full_model=True)
        assert report.embedded == 41 and report.from_store == 0
    return index_vectors(db)


def _routes(lib: Library) -> list[list[str]]:
    return [[hit.id for hit in lib.route(q, k=5).results] for q in QUERIES]


def test_ray_index_equals_single_process_and_is_shared(
        any_db: str, ray_runtime: RayRuntime, reference: tuple[list[str], np.ndarray],
        tmp_path: Path) -> None:
    with Library(any_db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        build, job = build_index_ray(lib.store, ray_runtime)
        assert build.embedded == 41 and build.from_store == 0
        assert (job.items, job.done, job.skipped, job.retried) == (41, 41, 0, 0)
        assert job.workers == 2 and job.chunks > 1  # spread over both workers
        ids, vectors = index_vectors(lib.path)
        assert ids == reference[0]
        assert np.array_equal(vectors, reference[1])  # bit for bit
        # Every vector went through the store.
        keys = storage.current(storage.index_dir(lib.path)).array("desc_keys", mmap=False)
        stored = lib.store.get_vectors(STORE_MODEL, [k.ljust(16, b"\0") for k in keys])
        assert len(stored) == 41
        first = _routes(lib)
        # Another machine (no local index) over the same library embeds nothing.
        shutil.rmtree(storage.index_dir(lib.path))
        again = lib.route_index(full_model=True)
        assert again.embedded == 0 and again.from_store == 41 and again.cached == 41
        assert np.array_equal(index_vectors(lib.path)[1], reference[1])
        assert _routes(lib) == first
        # A re-run of the batch job has nothing to do.
        shutil.rmtree(storage.index_dir(lib.path))
        _build, rerun = build_index_ray(lib.store, ray_runtime)
        assert (rerun.done, rerun.skipped, rerun.chunks) == (0, 41, 0)


def test_worker_killed_mid_job_gives_the_same_index(
        ray_runtime: RayRuntime, reference: tuple[list[str], np.ndarray], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fault = tmp_path / "crash-once"
    fault.write_text("1")
    monkeypatch.setenv(ENV_FAULT, str(fault))
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(SAMPLE_SKILLS)])
        build, job = build_index_ray(lib.store, ray_runtime)
    assert not fault.exists()  # a worker took the fault and died
    assert build.embedded == 41 and job.done == 41
    assert job.retried > 0  # Ray ran the lost chunk again
    ids, vectors = index_vectors(tmp_path / "lib.db")
    assert ids == reference[0] and np.array_equal(vectors, reference[1])


def test_driver_resubmits_a_chunk_ray_gave_up_on(
        ray_runtime: RayRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [(b"k1", "convert a PDF to text"), (b"k2", "lint python code")]
    fault = tmp_path / "crash-thrice"
    fault.write_text("3")  # the first submission and Ray's two retries all die
    monkeypatch.setenv(ENV_FAULT, str(fault))
    report = JobReport("embedding")
    got: list[np.ndarray] = []
    run_job(ray_runtime, embed_chunk, [items], lambda _part, vecs: got.append(vecs), report)
    assert (report.done, report.retried, report.chunks) == (2, 2, 1)
    assert np.array_equal(got[0], embed_texts(Embedder(threads=1), [t for _, t in items]))


def test_a_chunk_that_keeps_failing_is_one_clear_error(
        ray_runtime: RayRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = tmp_path / "crash-always"
    fault.write_text("100")
    monkeypatch.setenv(ENV_FAULT, str(fault))
    with pytest.raises(BatchError, match=r"embedding: a chunk of 1 items failed 1 times; "
                                         r"last error: .*"):
        run_job(ray_runtime, embed_chunk, [[(b"k", "text")]], lambda *_: None,
                JobReport("embedding"), attempts=1)
    left = int(fault.read_text())
    assert left == 97  # one submission, two Ray retries: three workers died


def test_a_skillyard_error_on_a_worker_is_not_retried(
        ray_runtime: RayRuntime, tmp_path: Path) -> None:
    report = JobReport("audit")
    with pytest.raises(StoreError, match="is a folder, not a library database"):
        run_job(ray_runtime, audit_chunk, [["some-skill"]], lambda *_: None, report,
                shared=(str(tmp_path), load_rules().digest, Policy()))
    assert report.retried == 0 and report.done == 0
