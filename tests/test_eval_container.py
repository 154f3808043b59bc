"""--sandbox podman|docker: trials in a container built from the task's own Dockerfile.

The base image (``skillyard-test-base:1``) is made offline from a few of the host's own
binaries and their libraries, so no registry is reached. Skipped, with the reason, where no
container runtime works.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from skillyard import Library
from skillyard.evaluate import RunConfig, make_runner, run_experiment
from skillyard.evaluate.container import (
    environment_digest,
    runtime_argv,
    runtime_problem,
    ulimit_flags,
)
from skillyard.evaluate.errors import EvalError

KIND = os.environ.get("SKILLYARD_TEST_RUNTIME", "podman")
PROBLEM = runtime_problem(KIND)
needs_runtime = pytest.mark.skipif(PROBLEM is not None,
                                   reason=f"no container runtime here: {PROBLEM}")
BASE = "skillyard-test-base:1"
TOOLS = ["bash", "dash", "cat", "echo", "env", "head", "ls", "mkdir", "rm", "sleep", "tail",
         "test", "tr", "wc"]


def _libs(binary: str) -> set[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        for word in line.split():
            if word.startswith("/") and Path(word).exists():
                found.add(word)
    return found


def ensure_base_image() -> None:
    """Import a tiny image from host binaries (no registry pull), once per machine."""
    argv = runtime_argv(KIND)
    if subprocess.run([*argv, "image", "exists", BASE] if KIND == "podman"
                      else [*argv, "image", "inspect", BASE], capture_output=True).returncode == 0:
        return
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add_dir(name: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)

        def add_link(name: str, target: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)

        for folder in ("usr", "usr/bin", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib64",
                       "etc", "root", "tmp", "proc", "sys", "dev", "run"):
            add_dir(folder)
        add_link("bin", "usr/bin")
        add_link("lib", "usr/lib")
        add_link("lib64", "usr/lib64")
        libs: set[str] = set()
        for tool in TOOLS:
            path = shutil.which(tool)
            assert path is not None, tool
            real = os.path.realpath(path)
            tar.add(real, f"usr/bin/{tool}")
            libs |= _libs(real)
        add_link("usr/bin/sh", "dash")
        for lib in sorted(libs):
            real = os.path.realpath(lib)
            name = Path(lib).name
            where = "usr/lib64" if "ld-linux" in name else "usr/lib/x86_64-linux-gnu"
            tar.add(real, f"{where}/{name}")
            if where == "usr/lib64":
                tar.add(real, f"usr/lib/x86_64-linux-gnu/{name}")
    res = subprocess.run([*argv, "import", "-", BASE], input=buf.getvalue(), capture_output=True)
    assert res.returncode == 0, res.stderr.decode()


DOCKERFILE = f"""FROM {BASE}
ENV GREETING="hello there"
WORKDIR /root
COPY data.txt /root/
COPY skills /root/.claude/skills
RUN mkdir -p /root/output && echo built > /root/built.txt
"""

SOLVE = """#!/bin/bash
set -e
cd /root
. /root/.claude/skills/adder_tool/scripts/add.sh
add "$(cat /root/data.txt)" 3 > /root/output/sum.txt
echo scratch > /tmp/scratch
"""

# succeeds only when the container has a network interface besides lo
NET_PROBE = ('n=0; while read -r l; do case "$l" in lo:*) ;; *:*) n=1 ;; esac; '
             'done < /proc/net/dev; [ $n = 1 ]')

TEST = """#!/bin/bash
mkdir -p /logs/verifier
ok=1
[ "$(cat /root/output/sum.txt 2>/dev/null)" = "5" ] || { echo "wrong sum"; ok=0; }
[ "$GREETING" = "hello there" ] || { echo "ENV not set"; ok=0; }
[ "$(cat /root/built.txt 2>/dev/null)" = "built" ] || { echo "not the built image"; ok=0; }
echo $ok > /logs/verifier/reward.txt
"""


def container_task(root: Path, solve: str = SOLVE, toml: str = "") -> Path:
    folder = root / "adder"
    env = folder / "environment"
    skill = env / "skills" / "adder_tool"
    (skill / "scripts").mkdir(parents=True)
    (env / "data.txt").write_text("2\n")
    (skill / "SKILL.md").write_text("---\nname: adder-tool\ndescription: Adds numbers. Use "
                                    "for sums.\n---\nSource scripts/add.sh.\n")
    (skill / "scripts" / "add.sh").write_text('add() { echo $(( $1 + $2 )); }\n')
    (env / "Dockerfile").write_text(DOCKERFILE)
    (folder / "tests").mkdir()
    (folder / "tests" / "test.sh").write_text(TEST)
    (folder / "solution").mkdir()
    (folder / "solution" / "solve.sh").write_text(solve)
    (folder / "instruction.md").write_text("Add 3 to the number in data.txt.\n")
    (folder / "task.toml").write_text('version = "1.0"\n[verifier]\ntimeout_sec = 60.0\n'
                                      '[agent]\ntimeout_sec = 60.0\n' + toml)
    return folder


def run(tmp_path: Path, arms: str = "none,bundled", tasks: Path | None = None,
        **config: object) -> list:
    ensure_base_image()
    tmp_path.mkdir(parents=True, exist_ok=True)
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tasks or tmp_path / "tasks",
                             runner=make_runner("scripted:oracle"),
                             arms=arms, config=RunConfig(sandbox=KIND, workers=1,
                                                         env_cache=tmp_path / "cache", **config))
    return exp.trials


def _containers() -> set[str]:
    res = subprocess.run([*runtime_argv(KIND), "ps", "-a", "--format", "{{.Names}}"],
                         capture_output=True, text=True)
    return {n for n in res.stdout.split() if n.startswith("skillyard-trial-")}


def test_digest_follows_the_build_context(tmp_path: Path) -> None:
    container_task(tmp_path / "tasks")
    env = tmp_path / "tasks" / "adder" / "environment"
    first = environment_digest(env)
    assert environment_digest(env) == first
    (env / "data.txt").write_text("3\n")
    assert environment_digest(env) != first


def test_ulimits_never_exceed_the_host() -> None:
    import resource

    flags = ulimit_flags()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        assert f"nofile={soft}:{hard}" in flags


def test_unknown_or_missing_runtime_is_one_clear_error(tmp_path: Path) -> None:
    from skillyard.evaluate.sandbox import require_sandbox

    with pytest.raises(EvalError, match="unknown sandbox"):
        require_sandbox("lxc")
    if runtime_problem("docker") is not None:
        with pytest.raises(EvalError, match="sandbox docker unavailable: .*--sandbox bwrap"):
            require_sandbox("docker")


@needs_runtime
def test_image_is_built_and_the_curated_skill_is_needed(tmp_path: Path) -> None:
    container_task(tmp_path / "tasks")
    before = _containers()
    trials = {t.arm: t for t in run(tmp_path)}
    bundled, none = trials["bundled"], trials["none"]
    assert bundled.passed, bundled.detail
    assert bundled.detail["visible"] == ["adder_tool"]
    assert not none.passed
    assert "adder_tool/scripts/add.sh" in none.detail["reason"]  # emptied skill folder
    assert none.detail["environment"]["hash"] == bundled.detail["environment"]["hash"]
    assert _containers() == before  # every trial's container is removed
    with Library(tmp_path / "lib.db") as lib:
        from skillyard.evaluate import load_experiment

        env = load_experiment(lib, "latest").spec["environments"]["adder"]
    assert env["image"].startswith("skillyard-task:") and env["image_id"]
    assert none.detail["limits"]["mechanism"] == f"{KIND} (runtime cgroups)"


@needs_runtime
def test_cli_runs_with_sandbox_podman(tmp_path: Path) -> None:
    import sys

    ensure_base_image()
    container_task(tmp_path / "tasks")
    res = subprocess.run([sys.executable, "-m", "skillyard", "eval", "run",
                          str(tmp_path / "tasks"), "--sandbox", KIND, "--arms", "bundled",
                          "--db", str(tmp_path / "lib.db"), "--json"], capture_output=True,
                         text=True, env={**os.environ, "SKILLYARD_ENV_CACHE": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)["runs"][0]
    assert data["failures"] == [] and data["spec"]["config"]["sandbox"] == KIND, data


@needs_runtime
@pytest.mark.parametrize("attack", ["network", "timeout", "host-file"])
def test_hostile_solution_stays_in_the_container(tmp_path: Path, attack: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    command = {"network": NET_PROBE,
               "timeout": "sleep 30",
               "host-file": f"cat {secret}"}[attack]
    solve = (f"#!/bin/bash\nset -e\n{command}\n"
             "mkdir -p /root/output; echo 5 > /root/output/sum.txt\n")
    container_task(tmp_path / "tasks", solve=solve)
    trials = run(tmp_path, arms="bundled", timeout=3.0)
    trial = trials[0]
    assert not trial.passed, trial.detail
    if attack == "timeout":
        assert trial.status == "timeout" and trial.agent_seconds < 30
    else:
        assert trial.detail["agent_status"] == "error"


@needs_runtime
def test_network_only_when_the_task_allows_it_and_the_user_passes_the_flag(
        tmp_path: Path) -> None:
    solve = f"#!/bin/bash\nset -e\n{NET_PROBE}\n" + SOLVE.split("\n", 2)[2]
    container_task(tmp_path / "tasks", solve=solve, toml="[environment]\nallow_internet = true\n")
    closed = run(tmp_path / "a", arms="bundled", tasks=tmp_path / "tasks")[0]
    opened = run(tmp_path / "b", arms="bundled", tasks=tmp_path / "tasks",
                 allow_network=True)[0]
    assert not closed.passed and opened.passed, (closed.detail, opened.detail)


@needs_runtime
def test_failed_build_is_the_trials_reason(tmp_path: Path) -> None:
    folder = container_task(tmp_path / "tasks")
    dockerfile = folder / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN false\n")
    trial = run(tmp_path, arms="bundled")[0]
    assert trial.status == "error" and "image build" in trial.error, trial.error
