"""Reading Dockerfiles and task scripts into what a sandbox can carry out, and `eval tasks
--check` saying which tasks cannot run faithfully and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from skillyard.cli import app
from skillyard.evaluate import load_tasks
from skillyard.evaluate.dockerfile import base_python, parse_dockerfile
from skillyard.evaluate.provision import script_needs
from skillyard.evaluate.sandbox import mount_root
from skillyard.evaluate.taskenv import check_task, task_limits

SKILLSBENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval-tasks" / \
    "skillsbench"


def test_placement_env_and_packages(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x\n")
    (tmp_path / "skills").mkdir()
    (tmp_path / "notes.md").write_text("n\n")
    plan = parse_dockerfile("""FROM python:3.10-slim
ENV A=1 B="two words"
ENV PATH="/opt/venv/bin:$PATH"
ARG WHERE=/srv
RUN apt-get update && apt-get install -y --no-install-recommends \\
    poppler-utils curl > /dev/null 2>&1 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
RUN pip install --no-cache-dir "pandas==2.2.3" numpy==1.26.4 \\
    && pip install --no-build-isolation qutip==4.7.0
WORKDIR /root
COPY notes.md ./
COPY data/ $WHERE/data/
COPY skills /root/.claude/skills
COPY skills /etc/claude-code/.claude/skills
RUN mkdir -p out /app/output
COPY missing.xlsx /root/
""", tmp_path)
    assert plan.python == "3.10" and plan.workdir == "/root"
    assert dict(plan.env) == {"A": "1", "B": "two words", "PATH": "/opt/venv/bin:$PATH"}
    assert plan.apt == ["poppler-utils", "curl"]
    assert plan.pip_installs == [(("pandas==2.2.3", "numpy==1.26.4"), ()),
                                 (("qutip==4.7.0",), ("--no-build-isolation",))]
    assert plan.venvs == ["/opt/venv"]
    assert {(c.source, c.dest) for c in plan.copies} >= {("notes.md", "/root/notes.md"),
                                                         ("data", "/srv/data")}
    assert plan.skill_dirs == ["/root/.claude/skills", "/etc/claude-code/.claude/skills"]
    assert plan.mkdirs == ["/root/out", "/app/output"]
    assert plan.missing_files == ["missing.xlsx"] and plan.unsupported == []


@pytest.mark.parametrize("line", [
    "RUN wget -O /root/x.xlsx https://example.invalid/x.xlsx",
    "RUN curl -fsSL https://example.invalid/key | dd of=/usr/share/k.gpg",
    "RUN make install",
    "RUN pip install -r requirements.txt",
    "RUN pip install git+https://example.invalid/r.git",
    "COPY --from=builder /out /root/",
    "COPY ../../etc/passwd /root/",
    "ADD https://example.invalid/data.csv /root/",
    "USER nobody",
    "FROM ubuntu:24.04 AS second",
])
def test_what_cannot_be_carried_out_is_named(line: str) -> None:
    plan = parse_dockerfile(f"FROM ubuntu:24.04\nWORKDIR /root\n{line}\n")
    assert plan.unsupported, line


@pytest.mark.parametrize(("image", "version"), [
    ("python:3.12.8-slim", "3.12"), ("ubuntu:24.04", "3.12"), ("ubuntu:22.04", "3.10"),
    ("debian:bookworm-slim", "3.11"), ("alpine:3.20", None), ("python:latest", None)])
def test_base_image_python(image: str, version: str | None) -> None:
    assert base_python(image) == version


def test_script_needs() -> None:
    needs = script_needs("""#!/bin/bash
set -euo pipefail
apt-get update
apt-get install -y curl jq > /dev/null 2>&1
curl -LsSf https://astral.sh/uv/0.9.7/install.sh | sh
pip3 install --break-system-packages pytest==8.4.1 pytest-json-ctrf==0.3.5
if uvx \\
  --with pytest==8.4.1 \\
  --with openpyxl==3.1.5 \\
  pytest --ctrf /logs/verifier/ctrf.json /tests/test_outputs.py -rA
then echo 1 > /logs/verifier/reward.txt; fi
python3 - <<'EOF'
urllib.request.urlopen("https://example.invalid/data.csv")
EOF
""")
    assert needs.apt == ["curl", "jq"] and needs.uv_installer
    assert needs.pip == ["pytest==8.4.1", "pytest-json-ctrf==0.3.5"]
    assert needs.uvx == ["pytest==8.4.1", "openpyxl==3.1.5", "pytest"]
    assert needs.uvx_tool == "pytest"
    assert "https://example.invalid/data.csv" in needs.urls


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_hostile_dockerfile_text_never_crashes(text: str) -> None:
    plan = parse_dockerfile(text)
    for copy in plan.copies:  # nothing lands outside an absolute container path
        assert copy.dest.startswith("/")
    script_needs(text)


def test_mount_roots() -> None:
    assert mount_root("/root/.claude/skills") == "/root"
    assert mount_root("/etc/claude-code/.claude/skills") == "/etc/claude-code"
    for bad in ("/", "/proc/x", "/usr/local/bin", "/etc", "/tmp/x"):
        with pytest.raises(Exception, match="cannot be provided|read-only system"):
            mount_root(bad)


def _task(root: Path, dockerfile: str, toml: str = "", solve: str = "echo hi\n") -> Path:
    folder = root / "t"
    (folder / "environment").mkdir(parents=True)
    (folder / "environment" / "Dockerfile").write_text(dockerfile)
    (folder / "tests").mkdir()
    (folder / "tests" / "test.sh").write_text("echo 1 > /logs/verifier/reward.txt\n")
    (folder / "solution").mkdir()
    (folder / "solution" / "solve.sh").write_text(solve)
    (folder / "instruction.md").write_text("Do it.\n")
    (folder / "task.toml").write_text('version = "1.0"\n' + toml)
    return folder


def test_check_names_every_reason(tmp_path: Path) -> None:
    folder = _task(tmp_path, "FROM ubuntu:24.04\nRUN apt-get install -y skillyard-no-such-pkg\n"
                             "WORKDIR /root\nCOPY gone.csv /root/\n",
                   toml="[environment]\nallow_internet = true\nmemory = \"2G\"\n"
                        "storage_mb = 512\n",
                   solve="curl -o /root/x https://example.invalid/x\n")
    task = load_tasks(folder).tasks[0]
    env = check_task(task)
    text = " ".join(env.blockers)
    assert not env.faithful
    assert "skillyard-no-such-pkg" in text and "gone.csv" in text
    assert "https://example.invalid/x" in text and "--allow-network" in text
    assert not check_task(task, allow_network=True).blockers[-1].startswith("solution")
    limits = task_limits(task)
    assert limits.memory_mb == 2048 and limits.file_mb == 512


def test_cli_check_table_json_and_exit_status(tmp_path: Path) -> None:
    ok = _task(tmp_path / "a", "FROM ubuntu:24.04\nWORKDIR /app\n")
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "tasks", str(ok), "--check", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["faithful"] == 1 and data["tasks"][0]["workdir"] == "/app"
    bad = _task(tmp_path / "b", "FROM ubuntu:24.04\nRUN wget https://example.invalid/f\n")
    res = runner.invoke(app, ["eval", "tasks", str(bad), "--check"])
    assert res.exit_code == 1 and "network at build time" in res.output


@pytest.mark.skipif(not SKILLSBENCH.is_dir(), reason="no SkillsBench data")
def test_check_on_real_skillsbench_tasks() -> None:
    envs = {t.id: check_task(t) for t in load_tasks(SKILLSBENCH).tasks}
    assert len(envs) == 16
    assert envs["3d-scan-calc"].faithful and envs["sales-pivot-analysis"].faithful
    assert any("network at build time" in b for b in envs["pdf-excel-diff"].blockers)
    assert any("water.noaa.gov" in b for b in envs["flood-risk-analysis"].blockers)
    assert envs["dialogue-parser"].plan.skill_dirs[0] == "/root/.claude/skills"
