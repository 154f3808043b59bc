"""Trial limits: a cgroup v2 per trial where the hierarchy allows it, else rlimits, and the
result says which applied and why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillyard.evaluate.cgroups import trial_limits, v2_problem
from skillyard.evaluate.quota import DiskQuota, quota_problem
from skillyard.evaluate.sandbox import Layout, Limits, TrialBox, bwrap_problem

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None,
                                 reason=f"no sandbox here: {bwrap_problem()}")


def fake_v2(root: Path, controllers: str = "cpuset cpu io memory pids") -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def test_v2_hierarchy_gets_one_cgroup_per_trial(tmp_path: Path) -> None:
    root = fake_v2(tmp_path / "cg")
    limits = trial_limits(Limits(memory_mb=512, cpus=1.5, pids=64), root=root,
                          proc_cgroup=Path("/nonexistent"))
    assert limits.mechanism == "cgroup-v2" and limits.why is None
    group = limits.cgroup
    assert group is not None and group.parent == root / "skillyard-eval"
    assert (group / "memory.max").read_text() == str(512 * 1024 * 1024)
    assert (group / "cpu.max").read_text() == "150000 100000"
    assert (group / "pids.max").read_text() == "64"
    assert "+memory" in (root / "cgroup.subtree_control").read_text()
    prefix = limits.prefix(10.0)
    assert str(group) in prefix and "--as" not in " ".join(prefix)
    other = trial_limits(Limits(), root=root, proc_cgroup=Path("/nonexistent"))
    assert other.cgroup != group and (other.cgroup / "cpu.max").read_text() == "max"
    limits.close()  # a real cgroupfs removes the folder; here it only must not raise


def fake_v1(root: Path) -> Path:
    for name in ("memory", "cpu", "pids"):
        (root / name / "job").mkdir(parents=True)
        (root / name / "cgroup.procs").write_text("")
    return root


def test_v1_hierarchy_gets_groups_under_our_own(tmp_path: Path) -> None:
    root = fake_v1(tmp_path / "cg")
    proc = tmp_path / "cgroup"
    proc.write_text("8:pids:/\n4:memory:/job\n1:cpu,cpuacct:/\n0::/\n")
    limits = trial_limits(Limits(memory_mb=300, cpus=0.5, pids=20), root=root,
                          proc_cgroup=proc)
    assert limits.mechanism == "cgroup-v1" and "not mounted" in (limits.why or "")
    memory, cpu, pids = limits.groups
    assert memory.parent == root / "memory" / "job" / "skillyard-eval"
    assert (memory / "memory.limit_in_bytes").read_text() == str(300 * 1024 * 1024)
    assert (cpu / "cpu.cfs_quota_us").read_text() == "50000"
    assert (pids / "pids.max").read_text() == "20"
    assert ":".join(map(str, limits.groups)) in limits.prefix(1.0)


@pytest.mark.parametrize(("controllers", "why"), [("cpu pids", "lacks the memory"),
                                                   (None, "not mounted")])
def test_no_usable_v2_falls_back_to_rlimits_with_the_reason(tmp_path: Path,
                                                            controllers: str | None,
                                                            why: str) -> None:
    root = fake_v2(tmp_path / "cg", controllers) if controllers else tmp_path / "none"
    assert why in (v2_problem(root) or "")
    limits = trial_limits(Limits(memory_mb=700, cpus=2, pids=10), root=root,
                          proc_cgroup=Path("/nonexistent"))
    assert limits.mechanism == "rlimit" and why in (limits.why or "")
    assert limits.record["mechanism"] == "rlimit" and why in limits.record["why"]
    prefix = limits.prefix(5.0)
    assert f"--as={700 * 1024 * 1024}" in prefix and "--cpu=10" in prefix
    assert any(p.startswith("--nproc=") for p in prefix)


def box(tmp_path: Path, limits: Limits) -> TrialBox:
    fs = tmp_path / "fs"
    (fs / "app").mkdir(parents=True)
    return TrialBox("bwrap", Layout(fs, ["/app"], "/app"), limits=limits)


@needs_bwrap
def test_process_limit_stops_a_fork_bomb(tmp_path: Path) -> None:
    trial = box(tmp_path, Limits(pids=16))
    try:
        record = trial.limits_record()
        if record["mechanism"] == "rlimit" and os.geteuid() == 0:
            pytest.skip("no writable cgroup here and root ignores RLIMIT_NPROC")
        res = trial.run(["bash", "-c", "for i in $(seq 80); do sleep 2 & done; wait"],
                        timeout=30)
        groups = list(trial.trial_limits().groups)
    finally:
        trial.close()
    assert "Resource temporarily unavailable" in res.stderr, res
    assert not any(g.exists() for g in groups)  # removed at close


@needs_bwrap
def test_cpu_limit_ends_a_busy_loop(tmp_path: Path) -> None:
    trial = box(tmp_path, Limits(cpus=0.1))
    try:
        mechanism = trial.trial_limits().mechanism
        res = trial.run(["bash", "-c", "time (i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); "
                         "done)"], timeout=6 if mechanism != "rlimit" else 60)
    finally:
        trial.close()
    if mechanism == "rlimit":  # RLIMIT_CPU: 6 CPU seconds, then SIGXCPU
        assert not res.timed_out and res.returncode != 0, res
    else:  # cgroup: throttled to a tenth of a CPU, so the wall clock ends it
        assert res.timed_out, res


@needs_bwrap
def test_trial_result_records_how_limits_were_enforced(tmp_path: Path) -> None:
    from skillyard import Library
    from skillyard.evaluate import RunConfig, make_runner, run_experiment
    from test_eval_sandbox import sandbox_task

    sandbox_task(tmp_path / "tasks", toml="[environment]\ncpus = 1\n")
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tmp_path / "tasks", runner=make_runner("scripted:oracle"),
                             arms="bundled", config=RunConfig(workers=1))
    limits = exp.trials[0].detail["limits"]
    assert exp.trials[0].passed, exp.trials[0].detail
    assert limits["mechanism"] in ("cgroup-v2", "cgroup-v1", "rlimit") and "cpu" in limits
    if v2_problem() is not None:  # this host (v1/hybrid): the record says why not v2
        assert limits["mechanism"] in ("cgroup-v1", "rlimit")
        assert limits["why"].startswith(v2_problem())


# -- total disk quota (quota.py) -----------------------------------------------------------
needs_quota = pytest.mark.skipif(quota_problem() is not None,
                                 reason=f"no disk quota here: {quota_problem()}")


@needs_quota
def test_quota_is_one_limit_the_host_never_sees(tmp_path: Path) -> None:
    quota = DiskQuota(tmp_path / "trial" / "fs", 4).start()
    try:
        view = quota.view
        (view / "small.txt").write_text("ok")
        assert not (tmp_path / "trial" / "fs" / "small.txt").exists()  # host side: plain dir
        with pytest.raises(OSError, match="No space left"):
            for i in range(8):
                (view / f"chunk{i}").write_bytes(b"\0" * 1024 * 1024)
        assert quota.used_mb() >= 3
    finally:
        quota.close()
    assert not os.path.ismount(tmp_path / "trial" / "fs")
    assert list((tmp_path / "trial" / "fs").iterdir()) == []


@needs_quota
@needs_bwrap
@pytest.mark.parametrize("disk_mb", [64, 8])
def test_disk_quota_counts_every_file_and_tmp(tmp_path: Path, disk_mb: int) -> None:
    from skillyard import Library
    from skillyard.evaluate import RunConfig, make_runner, run_experiment
    from test_eval_sandbox import SOLVE, sandbox_task

    spread = ("for i in 1 2 3 4 5 6; do head -c 1M /dev/zero > /root/f$i; "
              "head -c 1M /dev/zero > /tmp/t$i; done\n")
    sandbox_task(tmp_path / "tasks", solve="#!/bin/bash\nset -e\n" + spread
                 + SOLVE.split("\n", 2)[2])
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tmp_path / "tasks", runner=make_runner("scripted:oracle"),
                             arms="bundled", config=RunConfig(workers=1, disk_mb=disk_mb))
    trial = exp.trials[0]
    assert trial.detail["limits"]["disk"].startswith(f"{disk_mb} MB in total")
    if disk_mb == 64:
        assert trial.passed, trial.detail
    else:  # 12 files of 1 MB, each under any per-file limit, over the 8 MB total
        assert not trial.passed and "No space left" in trial.detail["log"], trial.detail


def test_disk_quota_needs_bwrap_and_a_size(tmp_path: Path) -> None:
    from skillyard.evaluate import RunConfig
    from skillyard.evaluate.errors import EvalError

    with pytest.raises(EvalError, match="at least 1 MB"):
        RunConfig(disk_mb=0).check()
    with pytest.raises(EvalError, match="needs --sandbox bwrap"):
        RunConfig(disk_mb=10, sandbox="none").check()
