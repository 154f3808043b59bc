"""A task's environment: can it run faithfully here, and (when asked) its built virtualenvs.

:func:`check_task` reads the Dockerfile, ``tests/test.sh`` and ``solution/solve.sh`` and lists
what stops a faithful run (``blockers``: missing data files or system packages, Dockerfile
instructions that cannot be carried out, network the run will not give) and what differs from
the image without changing the outcome as far as we can tell (``notes``). :func:`prepare` also
builds the virtualenvs; ``env_hash`` (Dockerfile + resolved package versions) lets two runs be
compared honestly.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .dockerfile import VAR_PATTERN, EnvPlan, parse_dockerfile
from .errors import EvalError
from .offline import Offline, sandbox_env
from .provision import (
    BuildError,
    BuiltVenv,
    Interpreter,
    ScriptNeeds,
    build_venv,
    cache_root,
    env_specs,
    find_python,
    install_apt,
    missing_apt,
    script_needs,
)
from .quota import DiskQuota
from .sandbox import BASE_PATH, QUOTA_TMP, SHIMS, Layout, Limits, TrialBox, mount_root
from .shims import shim_dir
from .tasks import Task

DEFAULT_WORKDIR = "/app"
HOME = "/root"
MIN_MEMORY_MB = 1024


@dataclass
class TaskEnvironment:
    task_id: str
    plan: EnvPlan
    dockerfile: str = ""
    python: Interpreter | None = None
    verifier: ScriptNeeds = field(default_factory=ScriptNeeds)
    solution: ScriptNeeds = field(default_factory=ScriptNeeds)
    allow_internet: bool = False
    network: bool = False  # granted to this task's trials
    roots: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    main: BuiltVenv | None = None
    tool: BuiltVenv | None = None
    image: str | None = None  # --sandbox docker|podman: the task's built image (tag)
    image_id: str | None = None

    @property
    def ready(self) -> bool:
        """Trials can run: the virtualenv is built, or the container image is."""
        return self.main is not None or self.image is not None

    @property
    def faithful(self) -> bool:
        return not self.blockers

    @property
    def workdir(self) -> str:
        return self.plan.workdir or DEFAULT_WORKDIR

    @property
    def env_hash(self) -> str:
        data = {"dockerfile": self.dockerfile,
                "python": self.python.version if self.python else None,
                "main": self.main.packages if self.main else None,
                "tool": self.tool.packages if self.tool else None, "image": self.image_id}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task_id, "faithful": self.faithful, "blockers": self.blockers,
                "notes": self.notes, "python": self.python.version if self.python else None,
                "workdir": self.workdir, "allow_internet": self.allow_internet,
                "network": self.network, "pip": self.plan.pip, "verifier_pip": self.verifier.pip,
                "uvx": self.verifier.uvx, "apt": self.plan.apt,
                "skill_dirs": self.plan.skill_dirs,
                "image": self.image,
                "env_hash": self.env_hash if self.ready else None}


def _allow_internet(task: Task) -> bool:
    if task.root is None:
        return False
    try:
        config = tomllib.loads((task.root / "task.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    env = config.get("environment", {})
    return isinstance(env, dict) and env.get("allow_internet") is True


def _read(path: Path | None) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path else ""
    except OSError:
        return ""


def check_task(task: Task, *, allow_network: bool = False) -> TaskEnvironment:
    """What a faithful run of ``task`` needs and whether this host can give it (no building)."""
    env_dir = task.environment
    dockerfile = env_dir / "Dockerfile" if env_dir is not None else None
    text = _read(dockerfile) if dockerfile is not None and dockerfile.is_file() else ""
    plan = parse_dockerfile(text, env_dir) if text else EnvPlan()
    out = TaskEnvironment(task.id, plan, dockerfile=text)
    if task.kind != "harbor":
        out.roots = [DEFAULT_WORKDIR, HOME]
        out.python, _ = find_python(None)
        return out
    if not text:
        out.notes.append("no environment/Dockerfile: trials get only the task's files")
    out.verifier = script_needs(_read(task.tests / "test.sh" if task.tests else None))
    out.solution = script_needs(_read(task.solution / "solve.sh" if task.solution else None))
    out.allow_internet = _allow_internet(task)
    out.network = out.allow_internet and allow_network
    out.blockers += plan.unsupported
    out.blockers += [f"COPY {f}: not in environment/ (the image would have it)"
                     for f in plan.missing_files]
    out.blockers += [f"tests/test.sh: {p}" for p in out.verifier.problems]
    missing = missing_apt(plan.apt + out.verifier.apt + out.solution.apt)
    if missing:
        out.blockers.append("system packages missing on this host: " + ", ".join(missing)
                            + " (install them, or pass --install-system-deps as root)")
    out.python, note = find_python(plan.python)
    if note:
        out.notes.append(note)
    paths = [out.workdir, HOME, *(c.dest if c.is_dir else str(Path(c.dest).parent)
                                  for c in plan.copies), *plan.mkdirs, *plan.venvs]
    roots: list[str] = []
    for path in paths:
        try:
            root = mount_root(path)
        except EvalError as exc:
            out.blockers.append(str(exc))
            continue
        if root not in roots:
            roots.append(root)
    out.roots = roots
    if out.verifier.uv_installer:
        out.notes.append("tests/test.sh downloads the uv installer: served offline; uvx runs "
                         "from a virtualenv built from PyPI with the same --with packages")
    urls = [u for u in out.solution.urls + out.verifier.urls if "astral.sh/uv" not in u]
    if urls and not out.network:
        out.blockers.append(f"solution or tests fetch {urls[0]}"
                            + (f" (+{len(urls) - 1} more URLs)" if len(urls) > 1 else "")
                            + " but the trial has no network"
                            + (" (the task allows it: pass --allow-network)"
                               if out.allow_internet else " (task.toml does not allow it)"))
    elif out.allow_internet and not out.network:
        out.notes.append("task.toml allows internet; trials run without it unless "
                         "--allow-network is given")
    return out


def prepare(task: Task, *, allow_network: bool = False, install_system_deps: bool = False,
            cache: Path | None = None, log: Any = None,
            offline: Offline | None = None) -> TaskEnvironment:
    """Check the task, install missing Debian packages when asked, and build its virtualenvs.

    A build that fails becomes a blocker (the trials then fail with that reason)."""
    out = check_task(task, allow_network=allow_network)
    if install_system_deps:
        missing = missing_apt(out.plan.apt + out.verifier.apt + out.solution.apt)
        if missing:
            problem = install_apt(missing)
            out.blockers = [b for b in out.blockers if not b.startswith("system packages")]
            if problem:
                out.blockers.append(f"system packages {', '.join(missing)}: {problem}")
            else:
                out.notes.append(f"installed system packages: {', '.join(missing)}")
    if out.python is None:
        return out
    main, tool = env_specs(out.plan, out.verifier, out.python)
    try:
        flags = offline.pip_flags() if offline else []
        out.main = build_venv(main, cache, log, flags)
        if tool is not None:
            out.tool = build_venv(tool, cache, log, flags)
    except BuildError as exc:
        out.blockers.append(f"environment build: {exc}")
    return out


def wheel_groups(tasks: list[Task]) -> list[tuple[str, list[str]]]:
    """(interpreter, requirements) of every environment the tasks would build."""
    groups: list[tuple[str, list[str]]] = []
    for task in tasks:
        out = check_task(task)
        if out.python is None or task.kind != "harbor":
            continue
        main, tool = env_specs(out.plan, out.verifier, out.python)
        for spec in (main, tool):
            for reqs, _flags in spec.groups if spec else []:
                group = (spec.python.path, list(reqs))
                if reqs and group not in groups:
                    groups.append(group)
    return groups


def prepare_container(task: Task, kind: str, *, allow_network: bool = False,
                      cache: Path | None = None, log: Any = None) -> TaskEnvironment:
    """Build the task's own image with ``kind`` (docker or podman); the image does what the
    Dockerfile says, so only the network and a failed build stop a faithful run."""
    from .container import build_image, image_id

    out = check_task(task, allow_network=allow_network)
    out.blockers = [b for b in out.blockers if "has no network" in b]
    out.notes = [n for n in out.notes if "internet" in n]
    env_dir = task.environment
    if env_dir is None or not (env_dir / "Dockerfile").is_file():
        out.blockers.append(f"--sandbox {kind} needs environment/Dockerfile")
        return out
    try:
        out.image = build_image(kind, env_dir, lock_dir=cache or cache_root(), log=log)
        out.image_id = image_id(kind, out.image)
    except EvalError as exc:
        out.blockers.append(f"image build: {exc}")
    return out


def _size_mb(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip().upper().rstrip("B")
        scale = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}.get(text[-1:])
        number = text[:-1] if scale is not None else text
        try:
            return int(float(number) * (scale or 1))
        except ValueError:
            return None
    return None


def task_limits(task: Task) -> Limits:
    """Memory, CPU and disk limits from ``task.toml`` ([environment] memory_mb/memory, cpus,
    storage)."""
    limits = Limits()
    if task.root is None:
        return limits
    try:
        config = tomllib.loads((task.root / "task.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return limits
    env = config.get("environment", {})
    if not isinstance(env, dict):
        return limits
    memory = _size_mb(env.get("memory_mb")) or _size_mb(env.get("memory"))
    storage = _size_mb(env.get("storage_mb")) or _size_mb(env.get("storage"))
    cpus = env.get("cpus")
    if isinstance(cpus, int | float) and not isinstance(cpus, bool) and 0 < cpus <= 1024:
        limits.cpus = float(cpus)
    if memory:
        limits.memory_mb = max(memory, MIN_MEMORY_MB)
    if storage:
        limits.file_mb = max(storage, 16)
    return limits


def make_box(tenv: TaskEnvironment, trial_root: Path, *, kind: str, limits: Limits,
             cache: Path | None = None, skills_dir: str = ".agents/skills") -> TrialBox:
    """The sandbox of one trial of this task (folders under ``trial_root``)."""
    binds = [(str(trial_root / "tests"), "/tests"), (str(trial_root / "solution"), "/solution"),
             (str(trial_root / "logs"), "/logs")]
    extra: list[tuple[str, str]] = []
    path = BASE_PATH
    env = {"HOME": HOME, "USER": "root", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if tenv.python is not None and not tenv.python.prefix.startswith("/usr"):
        extra.append((tenv.python.prefix, tenv.python.prefix))
    if tenv.main is not None:
        extra.append((str(tenv.main.path), str(tenv.main.path)))
        extra += [(str(tenv.main.path), v) for v in tenv.plan.venvs]
        path = f"{tenv.main.path}/bin:{path}"
    if tenv.tool is not None:
        extra.append((str(tenv.tool.path), str(tenv.tool.path)))
        env["SKILLYARD_UVX_ENV"] = str(tenv.tool.path)
    extra.append((str(shim_dir(cache or cache_root())), SHIMS))
    env["PATH"] = f"{SHIMS}:{path}"
    env.update(sandbox_env(tenv.network))
    for key, value in tenv.plan.env:
        env[key] = VAR_PATTERN.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)
    if tenv.image is not None:
        from .container import make_container_box

        layout = Layout(trial_root / "fs", list(tenv.roots), tenv.workdir, [], binds, {})
        skill_dirs = tenv.plan.skill_dirs or [str(PurePosixPath(tenv.workdir) / skills_dir)]
        return make_container_box(kind, tenv.image, layout, skill_dirs, network=tenv.network,
                                  limits=limits)
    fs, quota, mount_fs = trial_root / "fs", None, None
    if kind == "bwrap" and limits.disk_mb:
        quota = DiskQuota(fs, limits.disk_mb).start()
        fs, mount_fs = quota.view, quota.folder
        (fs / QUOTA_TMP).mkdir()
        (fs / QUOTA_TMP).chmod(0o1777)
    layout = Layout(fs, list(tenv.roots), tenv.workdir, extra, binds, env, mount_fs)
    return TrialBox(kind, layout, network=tenv.network, limits=limits, quota=quota)
