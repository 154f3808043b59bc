"""Task environments without PyPI: --no-index with a wheelhouse, SKILLYARD_WHEELHOUSE,
`eval wheelhouse` to fill one, and the `uv` stand-in inside the sandbox."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from skillyard import Library
from skillyard.evaluate import RunConfig, make_runner, run_experiment
from skillyard.evaluate.errors import EvalError
from skillyard.evaluate.offline import WHEELHOUSE_ENV, Offline
from skillyard.evaluate.sandbox import bwrap_problem

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None,
                                 reason=f"no sandbox here: {bwrap_problem()}")
PKG = "skillyard_probe"


def make_wheel(folder: Path, version: str = "1.0") -> Path:
    """A pure-Python wheel written by hand (no build backend, no index)."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{PKG}-{version}"
    files = {f"{PKG}/__init__.py": f"VALUE = 42\nVERSION = {version!r}\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: skillyard-probe\n"
                                           f"Version: {version}\n",
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\n"
                                        "Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


TEST = """#!/bin/bash
mkdir -p /logs/verifier
uv pip install --system skillyard-probe==1.0 || { echo "uv pip failed"; exit 1; }
uv venv .venv
[ "$PIP_NO_INDEX" = 1 ] || echo "index left open"
if uv run python -c "import skillyard_probe as p; assert p.VALUE == 42" \\
   && [ "$(cat /app/out.txt)" = 42 ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt
"""


def offline_task(root: Path) -> Path:
    folder = root / "probe"
    (folder / "environment").mkdir(parents=True)
    (folder / "environment" / "Dockerfile").write_text(
        "FROM python:3.11-slim\nWORKDIR /app\nRUN pip install --no-cache-dir "
        "skillyard-probe==1.0\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test.sh").write_text(TEST)
    (folder / "solution").mkdir()
    (folder / "solution" / "solve.sh").write_text(
        "#!/bin/bash\npython3 -c 'import skillyard_probe as p; print(p.VALUE)' > /app/out.txt\n")
    (folder / "instruction.md").write_text("Write the probe's value to /app/out.txt.\n")
    (folder / "task.toml").write_text('version = "1.0"\n[verifier]\ntimeout_sec = 120.0\n')
    return folder


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != WHEELHOUSE_ENV} | (env or {})
    return subprocess.run([sys.executable, "-m", "skillyard", *args], capture_output=True,
                          text=True, env=full)


def run(tmp_path: Path, **config: object) -> list:
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tmp_path / "tasks", runner=make_runner("scripted:oracle"),
                             arms="none", config=RunConfig(workers=1,
                                                           env_cache=tmp_path / "cache",
                                                           **config))
    return exp.trials


def test_options_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WHEELHOUSE_ENV, raising=False)
    with pytest.raises(EvalError, match="--no-index needs a wheelhouse"):
        Offline.from_options(no_index=True)
    with pytest.raises(EvalError, match="is not a folder"):
        Offline.from_options(wheelhouse=tmp_path / "missing")
    monkeypatch.setenv(WHEELHOUSE_ENV, str(tmp_path))
    offline = Offline.from_options(no_index=True)
    assert offline.pip_flags() == ["--no-index", "--find-links", str(tmp_path.resolve())]
    assert Offline().pip_flags() == []


def test_cli_no_index_without_wheelhouse_is_one_line_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WHEELHOUSE_ENV, raising=False)
    offline_task(tmp_path / "tasks")
    res = cli("eval", "run", str(tmp_path / "tasks"), "--no-index", "--db",
              str(tmp_path / "lib.db"))
    assert res.returncode == 2, res
    assert "--no-index needs a wheelhouse" in res.stderr and len(res.stderr.splitlines()) == 1


@needs_bwrap
def test_environment_builds_from_the_wheelhouse_with_no_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_wheel(tmp_path / "wheels")
    offline_task(tmp_path / "tasks")
    monkeypatch.setenv(WHEELHOUSE_ENV, str(tmp_path / "wheels"))
    trial = run(tmp_path, no_index=True)[0]
    assert trial.passed, trial.detail
    assert "index left open" not in trial.detail.get("reason", "")


@needs_bwrap
def test_no_index_with_an_empty_wheelhouse_names_the_missing_package(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    offline_task(tmp_path / "tasks")
    trial = run(tmp_path, no_index=True, wheelhouse=tmp_path / "empty")[0]
    assert not trial.passed and trial.status == "error"
    assert "skillyard-probe==1.0" in trial.error and "environment build" in trial.error


def test_wheelhouse_command_fills_a_folder_offline(tmp_path: Path) -> None:
    make_wheel(tmp_path / "source")
    offline_task(tmp_path / "tasks")
    dest = tmp_path / "dest"
    res = cli("eval", "wheelhouse", str(tmp_path / "tasks"), str(dest), "--no-index",
              "--from", str(tmp_path / "source"), "--json")
    assert res.returncode == 0, res
    data = json.loads(res.stdout)
    assert data["wheels"] == ["skillyard_probe-1.0-py3-none-any.whl"] and data["problems"] == []
    # a package the source lacks: exit 1 and the requirement named
    empty = tmp_path / "none"
    empty.mkdir()
    res = cli("eval", "wheelhouse", str(tmp_path / "tasks"), str(tmp_path / "d2"),
              "--no-index", "--from", str(empty))
    assert res.returncode == 1 and "skillyard-probe==1.0" in res.stdout, res
