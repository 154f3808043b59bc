"""Task environments built without PyPI: a wheelhouse, ``--no-index``, and a ``uv`` stand-in.

``--wheelhouse DIR`` (or ``SKILLYARD_WHEELHOUSE``) makes every environment build look in DIR
first (``pip --find-links``); ``--no-index`` makes it look nowhere else, so a run needs no
network at all once the wheelhouse holds the tasks' packages. :func:`fill_wheelhouse` puts
them there (``skillyard eval wheelhouse TASKS DIR``, run once where PyPI is reachable): it
builds a wheel of every requirement, and of what each one needs, with the interpreter the task's
environment would use.

Inside a sandboxed trial without network, ``PIP_NO_INDEX=1`` makes a task script's own
``pip install`` (already satisfied by the prepared environment) answer at once instead of
retrying an unreachable index, and the ``uv`` shim (``UV`` below) maps ``uv pip``, ``uv run``,
``uv venv`` and ``uv tool run`` onto the environment that is already there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import EvalError

WHEELHOUSE_ENV = "SKILLYARD_WHEELHOUSE"
FILL_TIMEOUT = 3600.0

UV = r"""#!/bin/bash
# skillyard sandbox: uv over the environment prepared for this task (its python and pip).
cmd="$1"; shift || true
case "$cmd" in
  pip)
    sub="$1"; shift || true
    args=()
    for a in "$@"; do
      case "$a" in
        --system|--break-system-packages|--no-cache|--native-tls) ;;
        *) args+=("$a") ;;
      esac
    done
    exec python3 -m pip "$sub" --disable-pip-version-check "${args[@]}" ;;
  run)
    while [ $# -gt 0 ]; do
      case "$1" in
        --with|--python|-p|--project|--directory|--index-url|--extra-index-url) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) break ;;
      esac
    done
    [ $# -gt 0 ] || { echo "skillyard sandbox: uv run without a command" >&2; exit 2; }
    exec "$@" ;;
  venv) echo "skillyard sandbox: uv venv skipped (the task's environment is prepared)"; exit 0 ;;
  sync|lock) echo "skillyard sandbox: uv $cmd skipped (the task's environment is prepared)"
             exit 0 ;;
  tool) [ "$1" = run ] && shift; exec uvx "$@" ;;
  version|--version|-V) echo "uv 0.0.0 (skillyard sandbox stand-in)"; exit 0 ;;
  *) echo "skillyard sandbox: uv $cmd is not available" >&2; exit 127 ;;
esac
"""


@dataclass(frozen=True)
class Offline:
    """Where environment builds may get packages from."""

    no_index: bool = False
    wheelhouse: Path | None = None

    @classmethod
    def from_options(cls, no_index: bool = False, wheelhouse: Path | str | None = None
                     ) -> Offline:
        """Check the options (and ``SKILLYARD_WHEELHOUSE``); a bad one is an EvalError."""
        if wheelhouse is None and os.environ.get(WHEELHOUSE_ENV):
            wheelhouse = os.environ[WHEELHOUSE_ENV]
        path = Path(wheelhouse).expanduser().resolve() if wheelhouse else None
        if path is not None and not path.is_dir():
            raise EvalError(f"wheelhouse {path} is not a folder")
        if no_index and path is None:
            raise EvalError(f"--no-index needs a wheelhouse: pass --wheelhouse DIR or set "
                            f"{WHEELHOUSE_ENV} (fill one with `skillyard eval wheelhouse "
                            "TASKS DIR` where PyPI is reachable)")
        return cls(no_index, path)

    def pip_flags(self) -> list[str]:
        flags = ["--no-index"] if self.no_index else []
        if self.wheelhouse is not None:
            flags += ["--find-links", str(self.wheelhouse)]
        return flags

    def to_dict(self) -> dict[str, object]:
        return {"no_index": self.no_index,
                "wheelhouse": str(self.wheelhouse) if self.wheelhouse else None}


def sandbox_env(network: bool) -> dict[str, str]:
    """pip settings for a trial's own processes."""
    env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if not network:
        env["PIP_NO_INDEX"] = "1"
    return env


def fill_wheelhouse(groups: list[tuple[str, list[str]]], dest: Path, *,
                    source: Offline | None = None,
                    log: Callable[[str], None] | None = None) -> list[str]:
    """Build wheels for each (interpreter, requirements) group into ``dest``.

    Returns one line per group that failed (empty when all are there)."""
    dest.mkdir(parents=True, exist_ok=True)
    problems = []
    for python, reqs in groups:
        if not reqs:
            continue
        if log is not None:
            log(f"wheels for {' '.join(reqs)}")
        with tempfile.TemporaryDirectory(prefix="skillyard-wheels-") as tmp:
            venv = Path(tmp) / "venv"
            made = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True,
                                  text=True)
            if made.returncode != 0:
                problems.append(f"{python}: cannot create a virtualenv: "
                                f"{made.stderr.strip()[-200:]}")
                continue
            argv = [str(venv / "bin" / "python"), "-m", "pip", "wheel", "-q",
                    "--disable-pip-version-check", "-w", str(dest),
                    "--find-links", str(dest), *(source.pip_flags() if source else []), *reqs]
            try:
                res = subprocess.run(argv, capture_output=True, text=True, timeout=FILL_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"{' '.join(reqs)}: timed out")
                continue
            if res.returncode != 0:
                lines = [ln for ln in res.stderr.strip().splitlines() if "WARNING" not in ln]
                problems.append(f"{' '.join(reqs)}: {' | '.join(lines[-2:])[:300]}")
    shutil.rmtree(dest / ".tmp", ignore_errors=True)
    return problems
