"""Per-task environments without Docker: the Python and packages a task's image would hold.

A task's environment is a virtualenv built from its Dockerfile's ``pip install`` lines, then the
verifier's own ``pip install`` lines (``tests/test.sh``), on the Python of the task's base image
when this host has it. A verifier that runs ``uvx --with A --with B TOOL`` gets a second
virtualenv with exactly those packages. Both are cached under ``SKILLYARD_ENV_CACHE`` (default
``~/.cache/skillyard/eval-envs``) by the hash of the Python version and requirement set, built
from PyPI once and reused by every later trial and run (offline from then on).
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dockerfile import PYTHON_APT, EnvPlan, pip_requirements, split_commands, strip_redirects
from .errors import EvalError

DONE = ".skillyard-complete"
BUILD_TIMEOUT = 1800.0
_UV_INSTALLER = re.compile(r"https://astral\.sh/uv/[\w.]*/?install\.sh")
_URL = re.compile(r"https?://[^\s'\"<>)]+")


def cache_root() -> Path:
    env = os.environ.get("SKILLYARD_ENV_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "skillyard" / "eval-envs"


@dataclass
class ScriptNeeds:
    """What a task script (tests/test.sh, solution/solve.sh) installs or fetches when it runs."""

    pip: list[str] = field(default_factory=list)
    uvx: list[str] = field(default_factory=list)  # --with requirements plus the tool package
    uvx_tool: str | None = None
    apt: list[str] = field(default_factory=list)
    uv_installer: bool = False
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _logical(text: str) -> list[str]:
    out, cur = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and not cur:
            continue
        if stripped.endswith("\\"):
            cur += stripped[:-1] + " "
            continue
        out.append(cur + stripped)
        cur = ""
    return [line for line in out + [cur] if line.strip()]


def script_needs(text: str) -> ScriptNeeds:
    """Scan a shell script for package installs and downloads (heredoc bodies included)."""
    needs = ScriptNeeds()
    needs.urls = sorted({u.rstrip(".,;") for u in _URL.findall(text)})
    for line in _logical(text):
        if _UV_INSTALLER.search(line):
            needs.uv_installer = True
        for cmd in split_commands(line):
            for piece in cmd.split("|"):
                _scan_command(piece.strip(), needs)
    return needs


def _scan_command(cmd: str, needs: ScriptNeeds) -> None:
    try:
        words = strip_redirects(shlex.split(cmd))
    except ValueError:
        return
    while words and words[0] in ("if", "then", "!", "time", "exec", "do", "else"):
        words = words[1:]
    if not words:
        return
    head = words[0].rsplit("/", 1)[-1]
    if head in ("apt-get", "apt") and "install" in words:
        needs.apt.extend(w for w in words[words.index("install") + 1:]
                         if not w.startswith("-") and w not in needs.apt)
        return
    at = None
    if re.fullmatch(r"pip3?(\.\d+)?", head):
        at = 1
    elif head.startswith("python") and words[1:3] == ["-m", "pip"]:
        at = 3
    elif head == "uv" and words[1:2] == ["pip"]:
        at = 2
    if at is not None and words[at:at + 1] == ["install"]:
        reqs, _, problem = pip_requirements(words[at + 1:])
        if problem:
            needs.problems.append(f"{cmd!r}: {problem}")
        needs.pip.extend(r for r in reqs if r not in needs.pip)
        return
    if head == "uvx" or (head == "uv" and words[1:3] == ["tool", "run"]):
        rest = words[1:] if head == "uvx" else words[3:]
        withs, tool, i = [], None, 0
        while i < len(rest):
            word = rest[i]
            if word in ("--with", "--from") and i + 1 < len(rest):
                withs.append(rest[i + 1])
                if word == "--from":
                    tool = rest[i + 1]
                i += 2
                continue
            if word.startswith(("--with=", "--from=")):
                withs.append(word.split("=", 1)[1])
                i += 1
                continue
            if word.startswith("-"):
                i += 1
                continue
            tool = tool or word
            break
        if tool is None:
            needs.problems.append(f"{cmd!r}: uvx without a tool")
            return
        if needs.uvx and needs.uvx_tool != tool:
            needs.problems.append(f"{cmd!r}: a second uvx tool environment")
            return
        needs.uvx_tool = tool
        for req in withs + ([tool] if tool not in withs else []):
            if req not in needs.uvx:
                needs.uvx.append(req)


# -- Python interpreters ------------------------------------------------------------------
@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # full, e.g. 3.12.1
    prefix: str  # sys.base_prefix (bound read-only into the sandbox)

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


_INTERPRETERS: dict[str, Interpreter | None] = {}


def _probe(path: str) -> Interpreter | None:
    if path in _INTERPRETERS:
        return _INTERPRETERS[path]
    try:
        out = subprocess.run([path, "-c", "import sys,platform;print(platform.python_version());"
                              "print(sys.base_prefix)"], capture_output=True, text=True,
                             timeout=30, check=True).stdout.split("\n")
        found: Interpreter | None = Interpreter(str(Path(path)), out[0].strip(), out[1].strip())
    except (OSError, subprocess.SubprocessError, IndexError):
        found = None
    _INTERPRETERS[path] = found
    return found


def find_python(version: str | None) -> tuple[Interpreter, str | None]:
    """An interpreter for ``version`` (3.12), and a note when another one stands in for it."""
    if version:
        candidates: list[str] = []
        pyenv_roots = [os.environ.get("PYENV_ROOT", ""), f"{Path.home()}/.pyenv", "/root/.pyenv"]
        for pattern in [f"{r}/versions/{version}.*/bin/python{version}" for r in pyenv_roots if r] \
                + [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]:
            candidates.extend(sorted(glob.glob(pattern), reverse=True))
        candidates.append(shutil.which(f"python{version}") or "")
        for path in candidates:
            if path and "/shims/" not in path and os.access(path, os.X_OK):
                found = _probe(path)
                if found is not None and found.minor == version:
                    return found, None
    host = _probe(getattr(sys, "_base_executable", sys.executable))
    if host is None:
        raise EvalError("cannot find a Python interpreter to build task environments with")
    note = (f"the image's Python {version} is not on this host; Python {host.version} stands in"
            if version else None)
    return host, note


# -- system packages ----------------------------------------------------------------------
def missing_apt(packages: list[str]) -> list[str]:
    """Debian packages a task asks for that this host lacks (Python itself is provided)."""
    wanted = [p for p in packages if p not in PYTHON_APT]
    if not wanted:
        return []
    if shutil.which("dpkg-query") is None:
        return wanted
    res = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *wanted],
                         capture_output=True, text=True)
    have = {line.split()[0] for line in res.stdout.splitlines() if line.endswith("ok installed")}
    return [p for p in wanted if p.split(":")[0] not in have]


def install_apt(packages: list[str]) -> str | None:
    """apt-get install the packages (root only); an error message, or None when done."""
    if os.geteuid() != 0:
        return "installing system packages needs root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in range(2):
        res = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                              *packages], capture_output=True, text=True, env=env)
        if res.returncode == 0:
            return None
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
    return f"apt-get install failed: {res.stderr.strip().splitlines()[-1:]}"


# -- virtualenvs --------------------------------------------------------------------------
@dataclass
class VenvSpec:
    """One virtualenv to build: pip install groups in order, on one interpreter."""

    python: Interpreter
    groups: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (requirements, pip flags)

    def key(self) -> str:
        data = json.dumps({"python": self.python.version, "groups": self.groups})
        return hashlib.sha256(data.encode()).hexdigest()[:20]


@dataclass
class BuiltVenv:
    path: Path
    key: str
    packages: dict[str, str]  # resolved name -> version

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "key": self.key, "packages": self.packages}


class BuildError(EvalError):
    pass


def build_venv(spec: VenvSpec, root: Path | None = None, log: Any = None,
               pip_flags: Sequence[str] = ()) -> BuiltVenv:
    """Build (or reuse) the virtualenv for ``spec``; safe to call from several processes.

    ``pip_flags`` say where packages come from (a wheelhouse, ``--no-index``); they do not
    change the environment's key, since the same requirements give the same environment."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = spec.key()
    path = root / key
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path / DONE).is_file():
            shutil.rmtree(path, ignore_errors=True)
            try:
                _build(spec, path, log, pip_flags)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
        packages = json.loads((path / DONE).read_text(encoding="utf-8"))
    return BuiltVenv(path, key, packages)


def _run(argv: list[str], what: str) -> None:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: timed out after {BUILD_TIMEOUT:g}s") from None
    if res.returncode != 0:
        lines = [ln for ln in (res.stderr or res.stdout).strip().splitlines()
                 if ln.strip() and "WARNING" not in ln]
        raise BuildError(f"{what} failed: {' | '.join(lines[-3:])[:600]}")


def _build(spec: VenvSpec, path: Path, log: Any, pip_flags: Sequence[str] = ()) -> None:
    has_pip = any(reqs for reqs, _ in spec.groups)
    argv = [spec.python.path, "-m", "venv", str(path)] + ([] if has_pip else ["--without-pip"])
    _run(argv, f"creating a virtualenv with Python {spec.python.version}")
    python = str(path / "bin" / "python")
    for reqs, flags in spec.groups:
        if not reqs:
            continue
        if log is not None:
            log(f"pip install {' '.join(reqs)}")
        _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *flags,
              *pip_flags, *reqs], f"pip install {' '.join(reqs)}")
    packages: dict[str, str] = {}
    if has_pip:
        res = subprocess.run([python, "-m", "pip", "list", "--format=json",
                              "--disable-pip-version-check"], capture_output=True, text=True)
        try:
            packages = {p["name"].lower(): p["version"] for p in json.loads(res.stdout)}
        except (json.JSONDecodeError, KeyError, TypeError):
            packages = {}
    (path / DONE).write_text(json.dumps(packages, sort_keys=True), encoding="utf-8")


def env_specs(plan: EnvPlan, verifier: ScriptNeeds, python: Interpreter
              ) -> tuple[VenvSpec, VenvSpec | None]:
    """The task's main virtualenv (image + verifier pip installs) and its uvx tool env."""
    groups = list(plan.pip_installs)
    if verifier.pip:
        groups.append((tuple(verifier.pip), ()))
    tool = VenvSpec(python, [(tuple(verifier.uvx), ())]) if verifier.uvx else None
    return VenvSpec(python, groups), tool
