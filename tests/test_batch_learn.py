"""``learn`` with the mining on Ray (local, two workers): the same candidates and the same
library as one process, on real trajectories, also when a worker dies mid-job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import SHARED
from skillyard.api import Library
from skillyard.batch import RayRuntime, learn_ray
from skillyard.batch.jobs import ENV_FAULT
from skillyard.learn import LearnOptions, learn
from support.batch import local_ray

TRAJ = [str(SHARED / "trajectories")]  # τ-bench airline runs and SWE-agent runs


@pytest.fixture(scope="module")
def ray_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayRuntime]:
    with local_ray(tmp_path_factory) as runtime:
        yield runtime


def _shape(report: Any) -> dict[str, Any]:
    data = report.to_dict(with_diff=True)
    for cand in data["candidates"]:
        cand.pop("candidate_id")  # names the time it was recorded
    return data


def _digests(lib: Library) -> dict[str, str]:
    return {s.id: s.digest for s in lib.list()}


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two learn runs in one process: the first creates skills, the second improves them."""
    with Library(tmp_path_factory.mktemp("single") / "single.db") as lib:
        first = _shape(learn(lib, TRAJ))
        second = _shape(learn(lib, TRAJ))
        return {"first": first, "second": second, "digests": _digests(lib)}


def test_ray_learn_equals_single_process(ray_runtime: RayRuntime, single: dict[str, Any],
                                         tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as lib:
        first, job = learn_ray(lib, TRAJ, ray_runtime)
        assert _shape(first) == single["first"]
        made = [c for c in single["first"]["candidates"] if c["decision"] == "create"]
        assert len(made) >= 3 and all(c["status"] == "published" for c in made)
        assert (job.items, job.done, job.retried) == (len(made), len(made), 0)
        second, again = learn_ray(lib, TRAJ, ray_runtime)
        assert _shape(second) == single["second"]
        assert {c["decision"] for c in single["second"]["candidates"]} >= {"improve"}
        assert again.done == again.items > 0
        assert _digests(lib) == single["digests"]


def test_worker_killed_mid_mining_gives_the_same_candidates(
        ray_runtime: RayRuntime, single: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fault = tmp_path / "crash-once"
    fault.write_text("1")
    monkeypatch.setenv(ENV_FAULT, str(fault))
    with Library(tmp_path / "lib.db") as lib:
        report, job = learn_ray(lib, TRAJ, ray_runtime)
    assert not fault.exists() and job.retried > 0 and job.done == job.items
    assert _shape(report) == single["first"]


def test_dry_run_writes_nothing(ray_runtime: RayRuntime, single: dict[str, Any],
                                tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as lib:
        report, _job = learn_ray(lib, TRAJ, ray_runtime, LearnOptions(dry_run=True))
        assert lib.list() == []
    statuses = {c["status"] for c in _shape(report)["candidates"]}
    assert "would-publish" in statuses and "published" not in statuses
