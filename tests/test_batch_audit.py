"""``audit --library`` with the analysis on Ray (local, two workers): the same results as one
process — verdicts, findings, tiers and cross-skill chains — also when a worker dies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, SAMPLE_SKILLS
from skillyard.api import Library
from skillyard.audit.rules import load_rules
from skillyard.batch import RayRuntime, RaySettings, audit_library_ray
from skillyard.batch.jobs import ENV_FAULT
from support.batch import local_ray

FIXTURES = ROOT / "tests" / "fixtures" / "audit"  # malicious and benign look-alikes
SOURCES = [str(SAMPLE_SKILLS), str(FIXTURES)]


@pytest.fixture(scope="module")
def ray_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayRuntime]:
    with local_ray(tmp_path_factory) as runtime:
        yield runtime


def _shape(results: list[Any]) -> list[dict[str, Any]]:
    return [{**r.to_dict(), "effects": r.effects, "rules": r.rules_digest} for r in results]


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The library audited in one process, the usual way."""
    with Library(tmp_path_factory.mktemp("single") / "single.db") as lib:
        lib.index(SOURCES)
        return _shape(lib.audit())


def _library(db: str) -> int:
    with Library(db) as lib:
        return lib.index(SOURCES).loaded


def test_ray_audit_equals_single_process(any_db: str, ray_runtime: RayRuntime,
                                         single: list[dict[str, Any]]) -> None:
    total = _library(any_db)
    results, job = audit_library_ray(any_db, ray_runtime)
    assert _shape(results) == single
    assert {r["verdict"] for r in single} == {"allow", "warn", "block"}
    # Cross-skill chains (one skill collects, another sends) are found across the chunks.
    chained = {r["skill"].rsplit("/", 1)[-1] for r in single
               if any(f["rule"] == "chain-exfiltration" for f in r["findings"])}
    assert chained == {"chain-cache-backup", "chain-session-cache"}
    assert (job.items, job.done, job.skipped, job.retried) == (total, total, 0, 0)
    assert all(r.cached for r in results)  # the driver found every analysis in the store
    # The verdict store holds every digest, and a re-run analyses nothing.
    with Library(any_db) as lib:
        digests = {r[0] for r in lib.store.query(
            "SELECT digest FROM audit_results WHERE rules_digest = ?", (load_rules().digest,))}
        assert {s.digest for s in lib.list()} <= digests
        assert set(lib.audit_verdicts()) == {r["skill"] for r in single}
    with RayRuntime(RaySettings(workers=2)) as idle:
        again, rerun = audit_library_ray(any_db, idle)
        assert idle.ray is None  # nothing to do: Ray was not even started
    assert (rerun.done, rerun.skipped, rerun.chunks) == (0, total, 0)
    assert _shape(again) == single


def test_worker_killed_mid_job_gives_the_same_verdicts(
        ray_runtime: RayRuntime, single: list[dict[str, Any]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "lib.db")
    total = _library(db)
    fault = tmp_path / "crash-twice"
    fault.write_text("2")
    monkeypatch.setenv(ENV_FAULT, str(fault))
    results, job = audit_library_ray(db, ray_runtime)
    assert not fault.exists()
    assert job.done == total and job.retried > 0
    assert _shape(results) == single


def test_some_skills_and_force(ray_runtime: RayRuntime, tmp_path: Path,
                               single: list[dict[str, Any]]) -> None:
    db = str(tmp_path / "lib.db")
    _library(db)
    picked, job = audit_library_ray(db, ray_runtime, ["d1-wipe-home", "e3-lint-python"])
    assert [r.name for r in picked] == ["d1-wipe-home", "e3-lint-python"]
    assert (job.items, job.done) == (2, 2)
    by_skill = {r["skill"]: r for r in single}
    assert _shape(picked) == [by_skill[r.skill] for r in picked]
    forced, again = audit_library_ray(db, ray_runtime, ["d1-wipe-home"], force=True)
    assert (again.done, again.skipped) == (1, 0) and forced[0].verdict == "block"
