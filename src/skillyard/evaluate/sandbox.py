"""Run a trial's processes in a bubblewrap sandbox, at the paths the task expects.

Each trial owns a folder ``fs/`` holding the container folders the task writes to (the
Dockerfile's ``WORKDIR``, ``COPY`` targets, skill folders, ``/root``); they are bound at their
container paths, with ``/tests``, ``/solution`` and ``/logs`` beside them. The host's system
folders are bound read-only, ``/tmp`` is a private size-limited tmpfs, the host's home and the
network are not there (network only when the task allows it *and* the user passes
``--allow-network``), and every process has a wall-clock limit and memory and file-size limits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cgroups import TrialLimits, trial_limits
from .errors import EvalError
from .quota import DiskQuota
from .runners.base import ProcessResult, run_process

SANDBOXES = ("bwrap", "docker", "podman", "none")
# Host folders bound read-only; a task may place files in sub-folders of the ones marked True.
_SYSTEM = {"usr": False, "bin": False, "sbin": False, "lib": False, "lib64": False,
           "lib32": False, "libx32": False, "etc": True}
_FORBIDDEN = frozenset({"proc", "dev", "sys", "run", "tmp", "var", "boot", "mnt", "media",
                        "srv", "snap", ""})
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHIMS = "/opt/skillyard/shims"
QUOTA_TMP = ".skillyard-tmp"  # /tmp of a trial with a disk quota, inside its quota folder
_probe_cache: dict[str, str | None] = {}


class SandboxUnavailable(EvalError):
    pass


def bwrap_problem() -> str | None:
    """Why bubblewrap cannot run here, or None when it works (checked once)."""
    if "bwrap" in _probe_cache:
        return _probe_cache["bwrap"]
    exe = shutil.which("bwrap")
    problem: str | None = None
    if exe is None:
        problem = ("bubblewrap is not installed (Debian: apt-get install bubblewrap; or run "
                   "`bash scripts/install-sandbox.sh`)")
    else:
        res = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                              "--proc", "/proc", "--dev", "/dev", "true"],
                             capture_output=True, text=True)
        if res.returncode != 0:
            problem = (f"bubblewrap cannot create a sandbox here ({res.stderr.strip()[:200]}); "
                       "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone"
                       "=1) or the container lacks CAP_SYS_ADMIN")
    _probe_cache["bwrap"] = problem
    return problem


def require_sandbox(kind: str) -> None:
    if kind not in SANDBOXES:
        raise EvalError(f"unknown sandbox {kind!r}; use {' or '.join(SANDBOXES)}")
    if kind == "bwrap":
        problem = bwrap_problem()
        if problem:
            raise SandboxUnavailable(f"sandbox unavailable: {problem}; pass --sandbox none to "
                                     "run trials on the host without isolation")
    elif kind != "none":
        from .container import runtime_problem

        problem = runtime_problem(kind)
        if problem:
            raise SandboxUnavailable(f"sandbox {kind} unavailable: {problem}; use --sandbox "
                                     "bwrap")


def mount_root(path: str) -> str:
    """The folder bound from the trial for a container path (``/root/x`` -> ``/root``)."""
    parts = PurePosixPath(path).parts[1:]
    if not parts or parts[0] in _FORBIDDEN:
        raise EvalError(f"container path {path!r} cannot be provided by the sandbox")
    if parts[0] in _SYSTEM:
        if not _SYSTEM[parts[0]] or len(parts) < 2:
            raise EvalError(f"container path {path!r} is inside a read-only system folder")
        return f"/{parts[0]}/{parts[1]}"
    return f"/{parts[0]}"


@dataclass
class Limits:
    memory_mb: int = 4096
    file_mb: int = 10240
    tmp_mb: int = 1024
    pids: int = 1024
    cpus: float | None = None  # CPUs a trial may use (cgroup) or its CPU-time budget (rlimit)
    disk_mb: int | None = None  # total writable space of the trial's folders (quota.py)


@dataclass
class Layout:
    """Where things are, inside and outside, for one trial."""

    fs: Path  # trial folder whose sub-folders stand for container folders
    roots: list[str]  # container folders bound from fs (rw)
    workdir: str
    extra: list[tuple[str, str]] = field(default_factory=list)  # (host, inside) read-only
    binds: list[tuple[str, str]] = field(default_factory=list)  # (host, inside) read-write
    env: dict[str, str] = field(default_factory=dict)
    mount_fs: Path | None = None  # fs as the sandbox's commands name it (quota namespace)

    def inside(self, host: Path) -> str:
        """The container path of a host path under the trial's folders."""
        for source, target in self.binds:
            if host.is_relative_to(source):
                return str(PurePosixPath(target) / host.relative_to(source).as_posix())
        return "/" + host.relative_to(self.fs).as_posix()

    def host(self, inside: str) -> Path:
        """The host path of a container path under one of the trial's folders."""
        for host, target in self.binds:
            if inside == target or inside.startswith(target.rstrip("/") + "/"):
                return Path(host) / os.path.relpath(inside, target)
        return self.fs / inside.lstrip("/")


def _system_binds(expand: set[str]) -> list[str]:
    args: list[str] = []
    for name in _SYSTEM:
        host = Path("/") / name
        if not host.exists():
            continue
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif name in expand:  # a tmpfs holding the host entries, so the task can add folders
            args += ["--tmpfs", f"/{name}"]
            for entry in sorted(host.iterdir()):
                kind = "--ro-bind" if not entry.is_symlink() else None
                if kind is None:
                    args += ["--symlink", os.readlink(entry), str(entry)]
                else:
                    args += ["--ro-bind", str(entry), str(entry)]
        else:
            args += ["--ro-bind", str(host), f"/{name}"]
    return args


def bwrap_argv(layout: Layout, argv: Sequence[str], *, network: bool, limits: Limits,
               env: Mapping[str, str], cwd: str, prefix: Sequence[str] = ()) -> list[str]:
    """The bwrap command line; ``prefix`` (limits, quota namespace) goes before it.

    With a disk quota (``limits.disk_mb``) ``/tmp`` lives in the trial's quota folder."""
    expand = {PurePosixPath(r).parts[1] for r in layout.roots
              if PurePosixPath(r).parts[1] in _SYSTEM}
    args = [*prefix, "bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    if network:
        args.append("--share-net")
    args += _system_binds(expand)
    if Path("/var/lib/dpkg").is_dir():
        args += ["--ro-bind", "/var/lib/dpkg", "/var/lib/dpkg"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    fs = layout.mount_fs or layout.fs
    if limits.disk_mb:
        args += ["--bind", str(fs / QUOTA_TMP), "/tmp"]
    else:
        args += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    args += ["--tmpfs", "/var/tmp", "--tmpfs", "/run"]
    for root in sorted(layout.roots, key=lambda r: r.count("/")):
        args += ["--bind", str(fs / root.lstrip("/")), root]
    for host, inside in layout.binds:
        args += ["--bind", host, inside]
    for host, inside in layout.extra:
        args += ["--ro-bind", host, inside]
    args += ["--chdir", cwd, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--", *argv]


@dataclass
class TrialBox:
    """Runs commands for one trial: in bubblewrap, or on the host (``none``)."""

    kind: str
    layout: Layout
    network: bool = False
    limits: Limits = field(default_factory=Limits)
    host_env: dict[str, str] = field(default_factory=dict)  # for kind none
    quota: DiskQuota | None = None
    _limits: TrialLimits | None = None

    def trial_limits(self) -> TrialLimits:
        if self._limits is None:
            self._limits = trial_limits(self.limits)
        return self._limits

    def limits_record(self) -> dict[str, object]:
        """How this trial's limits are enforced (for the result)."""
        if self.kind == "none":
            return {"mechanism": "none"}
        record = dict(self.trial_limits().record)
        record["disk"] = (f"{self.limits.disk_mb} MB in total (tmpfs quota)" if self.quota
                          else f"{self.limits.file_mb} MB per file (RLIMIT_FSIZE), "
                          f"/tmp {self.limits.tmp_mb} MB")
        return record

    def close(self) -> None:
        """Release what the box holds (a cgroup, a quota namespace); idempotent."""
        if self._limits is not None:
            self._limits.close()
            self._limits = None
        if self.quota is not None:
            self.quota.close()

    @property
    def workdir(self) -> str:
        return self.layout.workdir if self.kind == "bwrap" else str(self.work_host)

    @property
    def work_host(self) -> Path:
        return self.layout.host(self.layout.workdir)

    def path(self, inside: str) -> str:
        """How a process in this box names a container path."""
        return inside if self.kind == "bwrap" else str(self.layout.host(inside))

    def run(self, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None,
            stdin: str | None = None, cwd: str | None = None,
            readonly: Sequence[str] = ()) -> ProcessResult:
        """Run ``argv`` in the box; ``readonly`` host files are bound at their own paths."""
        if self.kind == "none":
            merged = {**self.host_env, **(env or {})}
            where = self.layout.host(cwd) if cwd else self.work_host
            return run_process(argv, cwd=where, timeout=timeout, env=merged, stdin=stdin)
        full = {**self.layout.env, **(env or {})}
        layout = self.layout
        if readonly:
            layout = Layout(layout.fs, layout.roots, layout.workdir,
                            layout.extra + [(p, p) for p in readonly], layout.binds, layout.env,
                            layout.mount_fs)
        prefix = (self.quota.prefix() if self.quota else []) \
            + self.trial_limits().prefix(timeout)
        command = bwrap_argv(layout, argv, network=self.network, limits=self.limits,
                             env=full, cwd=cwd or self.layout.workdir, prefix=prefix)
        res = run_process(command, cwd=self.layout.fs, timeout=timeout, env={}, stdin=stdin)
        if res.returncode == 1 and res.stderr.startswith("bwrap: execvp"):
            why = res.stderr.split(":", 2)[-1].strip()
            return ProcessResult(None, res.stdout, f"cannot start {argv[0]!r} in the sandbox: "
                                 f"{why}", False, res.seconds)
        return res
