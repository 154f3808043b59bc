"""Trials in the bubblewrap sandbox: files at the Dockerfile's paths, the task's own Python, the
curated skill under its own folder name, failure reasons, and hostile tasks kept inside."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest

from skillyard import Library
from skillyard.evaluate import RunConfig, load_tasks, make_runner, run_experiment
from skillyard.evaluate.engine import execute, prepare_environments
from skillyard.evaluate.sandbox import bwrap_problem

pytestmark = pytest.mark.skipif(bwrap_problem() is not None,
                                reason=f"no sandbox here: {bwrap_problem()}")

DOCKERFILE = """FROM ubuntu:24.04
ENV DEBIAN_FRONTEND=noninteractive GREETING="hello there"
RUN apt-get update && apt-get install -y python3 python3-pip bash \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /root
COPY data.txt /root/
COPY inputs/ /srv-data/
COPY skills /root/.claude/skills
COPY skills /etc/claude-code/.claude/skills
RUN mkdir -p /root/output
"""

SOLVE = """#!/bin/bash
set -e
cd /root
python3 - <<'EOF'
import sys
sys.path.insert(0, "/root/.claude/skills/adder_tool/scripts")
from adder import add
value = add(int(open("/root/data.txt").read()), int(open("/srv-data/more.txt").read()))
open("/root/output/sum.txt", "w").write(str(value))
EOF
"""

TEST = """#!/bin/bash
mkdir -p /logs/verifier
ok=1
[ "$(cat /root/output/sum.txt 2>/dev/null)" = "5" ] || { echo "wrong sum"; ok=0; }
[ "$GREETING" = "hello there" ] || { echo "ENV not set"; ok=0; }
[ -f /etc/claude-code/.claude/skills/adder_tool/SKILL.md ] || echo "no skill in /etc (none arm)"
python3 -c "import sys; assert sys.prefix != sys.base_prefix, 'not the task venv'" || ok=0
echo $ok > /logs/verifier/reward.txt
"""


def sandbox_task(root: Path, name: str = "adder", solve: str = SOLVE, test: str = TEST,
                 toml: str = "") -> Path:
    folder = root / name
    env = folder / "environment"
    (env / "inputs").mkdir(parents=True)
    (env / "data.txt").write_text("2\n")
    (env / "inputs" / "more.txt").write_text("3\n")
    skill = env / "skills" / "adder_tool"
    (skill / "scripts").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: adder-tool\ndescription: Adds numbers. Use "
                                    "for sums.\n---\nImport add from scripts/adder.py.\n")
    (skill / "scripts" / "adder.py").write_text("def add(a, b):\n    return a + b\n")
    (env / "Dockerfile").write_text(DOCKERFILE)
    (folder / "tests").mkdir()
    (folder / "tests" / "test.sh").write_text(test)
    (folder / "solution").mkdir()
    (folder / "solution" / "solve.sh").write_text(solve)
    (folder / "instruction.md").write_text("Add the numbers in data.txt and more.txt.\n")
    (folder / "task.toml").write_text('version = "1.0"\n[verifier]\ntimeout_sec = 60.0\n'
                                      '[agent]\ntimeout_sec = 60.0\n' + toml)
    return folder


def run(tmp_path: Path, tasks: Path, arms: str = "none,bundled", trials: int = 1,
        workers: int = 1, policy: str = "oracle", **config: object) -> list:
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tasks, runner=make_runner(f"scripted:{policy}"), arms=arms,
                             config=RunConfig(trials=trials, workers=workers, **config))
    return exp.trials


def test_curated_skill_is_needed_and_found_under_its_own_name(tmp_path: Path) -> None:
    sandbox_task(tmp_path / "tasks")
    trials = {t.arm: t for t in run(tmp_path, tmp_path / "tasks")}
    assert trials["bundled"].passed, trials["bundled"].detail
    # the skill keeps its folder name (adder_tool), not its name (adder-tool)
    assert trials["bundled"].detail["visible"] == ["adder_tool"]
    none = trials["none"]
    assert not none.passed and none.detail["visible"] == []
    assert "No module named 'adder'" in none.detail["reason"]
    assert "wrong sum" in none.detail["reason"]
    assert none.detail["environment"]["faithful"] is True


def test_failure_reasons_reach_every_report_format(tmp_path: Path) -> None:
    from skillyard.evaluate import load_experiment
    from skillyard.evaluate.report import (
        experiments_html,
        experiments_json,
        experiments_markdown,
    )

    sandbox_task(tmp_path / "tasks")
    run(tmp_path, tmp_path / "tasks")
    with Library(tmp_path / "lib.db") as lib:
        exp = load_experiment(lib, "latest")
    assert "No module named" in experiments_markdown([exp])
    assert "No module named" in experiments_html([exp])
    failures = experiments_json([exp])["runs"][0]["failures"]
    assert [f["arm"] for f in failures] == ["none"]
    env = exp.spec["environments"]["adder"]
    assert len(env["hash"]) == 16 and env["faithful"]


def test_trials_of_one_task_do_not_share_tmp(tmp_path: Path) -> None:
    solve = ("#!/bin/bash\nset -e\necho $RANDOM$$ > /tmp/mark; mine=$(cat /tmp/mark)\n"
             "sleep 0.3\n[ \"$(cat /tmp/mark)\" = \"$mine\" ]\nls /tmp | wc -l > /root/n\n"
             + SOLVE.split("\n", 2)[2])
    sandbox_task(tmp_path / "tasks", solve=solve)
    trials = run(tmp_path, tmp_path / "tasks", arms="bundled", trials=4, workers=2)
    assert all(t.passed for t in trials), [(t.status, t.error, t.detail) for t in trials]


HOSTILE = {
    "read-host-file": "cat {secret}",
    "write-system": "echo x > /usr/local/bin/skillyard-owned\necho x > /etc/owned",
    "escape-trial": "echo x > {outside}/escaped.txt",
    "network": "curl -s -m 3 http://127.0.0.1:{port}/ -o /root/page.html",
    "fill-disk": "head -c 64M /dev/zero > /root/big.bin",
    "memory": "python3 -c 'b = bytearray(3 * 1024 ** 3)'",
}


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_hostile_solution_fails_inside_and_host_is_unchanged(tmp_path: Path,
                                                             attack: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    served = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            served.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"reached")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        command = HOSTILE[attack].format(secret=secret, outside=outside,
                                         port=server.server_address[1])
        solve = f"#!/bin/bash\nset -e\n{command}\necho 5 > /root/output/sum.txt\n"
        sandbox_task(tmp_path / "tasks", solve=solve,
                     toml="[environment]\nstorage_mb = 16\nmemory_mb = 1024\n"
                          "allow_internet = true\n")
        trials = run(tmp_path, tmp_path / "tasks", arms="none")
    finally:
        server.shutdown()
    trial = trials[0]
    assert not trial.passed and trial.detail["agent_status"] == "error", trial.detail
    assert served == []
    assert list(outside.iterdir()) == []
    assert not Path("/usr/local/bin/skillyard-owned").exists()
    assert not Path("/etc/owned").exists()


def test_network_only_when_task_allows_and_user_passes_flag(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    sandbox_task(tasks, toml="[environment]\nallow_internet = true\n")
    task = load_tasks(tasks).tasks[0]
    closed = prepare_environments([task], RunConfig())[task.id]
    opened = prepare_environments([task], RunConfig(allow_network=True))[task.id]
    assert not closed.network and opened.network


def test_wall_clock_limit_kills_the_sandbox(tmp_path: Path) -> None:
    sandbox_task(tmp_path / "tasks", solve="#!/bin/bash\nsleep 30 & sleep 30\n")
    tasks = load_tasks(tmp_path / "tasks").tasks
    from skillyard.evaluate.arms import ArmSpec, PreparedArm

    results = execute(tasks, [PreparedArm(ArmSpec("none", "none"))],
                      make_runner("scripted:oracle"), RunConfig(timeout=1.0))
    assert results[0].status == "timeout" and results[0].agent_seconds < 10


def test_sandbox_none_keeps_host_behaviour(tmp_path: Path) -> None:
    from support.evaltasks import harbor_task

    harbor_task(tmp_path / "tasks", "plain")
    trials = run(tmp_path, tmp_path / "tasks", arms="none", sandbox="none")
    assert trials[0].passed and "environment" not in trials[0].detail


def test_unknown_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    from skillyard.evaluate import EvalError

    with pytest.raises(EvalError, match="unknown sandbox"):
        RunConfig(sandbox="chroot").check()


SKILLSBENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval-tasks" / \
    "skillsbench"


@pytest.mark.skipif(not (SKILLSBENCH / "3d-scan-calc").is_dir(), reason="no SkillsBench data")
def test_real_skillsbench_task_passes_under_its_oracle(tmp_path: Path) -> None:
    """A real task: pytest comes from PyPI into the task's virtualenv (built once, cached)."""
    cache = Path(os.environ.get("SKILLYARD_TEST_ENV_CACHE", "/tmp/skillyard-test-envs"))
    trials = {t.arm: t for t in run(tmp_path, SKILLSBENCH / "3d-scan-calc",
                                    env_cache=cache)}
    assert trials["bundled"].passed, trials["bundled"].detail.get("reason")
    assert not trials["none"].passed
    assert "mesh_tool" in trials["none"].detail["reason"]


def test_cli_run_sandboxed_json_and_none_warning(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from skillyard.cli import app

    sandbox_task(tmp_path / "tasks")
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "run", str(tmp_path / "tasks"), "--arms", "none,bundled",
                              "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    (failure,) = data["runs"][0]["failures"]
    assert failure["arm"] == "none" and "No module named" in failure["reason"]
    assert data["runs"][0]["spec"]["config"]["sandbox"] == "bwrap"
    res = runner.invoke(app, ["eval", "run", str(tmp_path / "tasks"), "--arms", "none",
                              "--sandbox", "none"])
    assert "no isolation" in res.output


def test_library_skill_keeps_its_folder_name(tmp_path: Path) -> None:
    folder = sandbox_task(tmp_path / "tasks")
    skill = folder / "environment" / "skills" / "adder_tool"
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tmp_path / "tasks", runner=make_runner("scripted:oracle"),
                             skills=[str(skill)], arms="skill", config=RunConfig())
    (trial,) = exp.trials
    assert trial.passed and trial.detail["visible"] == ["adder_tool"]


def test_dockerfile_symlink_to_host_file_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    folder = sandbox_task(tmp_path / "tasks",
                          solve="#!/bin/bash\nset -e\ncat /root/link.txt\n")
    (folder / "environment" / "link.txt").symlink_to(secret)
    dockerfile = folder / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "COPY link.txt /root/\n")
    trials = run(tmp_path, tmp_path / "tasks", arms="none")
    assert not trials[0].passed
    assert "host secret" not in trials[0].detail.get("answer", "")
    assert any("symlink" in b for b in trials[0].detail["environment"]["blockers"])
