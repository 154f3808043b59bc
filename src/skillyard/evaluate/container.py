"""Run a trial in a container built from the task's own Dockerfile (``--sandbox docker|podman``).

The image is built once per environment folder (tag ``skillyard-task:<hash of its files>``) and
reused by every trial and run. Each trial gets its own container, started with ``sleep`` and torn
down when the trial ends; the agent, the oracle and the verifier run in it with ``exec``. The
image keeps everything its build made (``RUN`` steps included); the trial's ``/tests``,
``/solution`` and ``/logs`` are bound from the trial folder, and the arm's skills replace the
agent folders the Dockerfile fills (emptied for the no-skill arm). No network unless the task
allows it *and* ``--allow-network`` is given; memory, CPU and process limits are the runtime's
cgroup limits, and ``/tmp`` is a size-limited tmpfs.

On hosts with cgroup v1 or a hybrid hierarchy (this one), podman's default ``crun`` refuses
to start, so ``runc`` is used when it is installed (``SKILLYARD_OCI_RUNTIME`` overrides), and
file and process rlimits are passed at the host's own values (an unprivileged container may not
raise them).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import resource
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EvalError
from .runners.base import ProcessResult, run_process
from .sandbox import Layout, Limits, TrialBox

RUNTIMES = ("docker", "podman")
IMAGE_REPO = "skillyard-task"
BUILD_TIMEOUT = 3600.0
NPROC_CAP = 16384
_problems: dict[str, str | None] = {}


class ContainerUnavailable(EvalError):
    pass


def _cgroup_v2_only() -> bool:
    return Path("/sys/fs/cgroup/cgroup.controllers").is_file()


def runtime_argv(kind: str) -> list[str]:
    """The runtime command with the global flags this host needs."""
    argv = [shutil.which(kind) or kind]
    if kind == "podman":
        oci = os.environ.get("SKILLYARD_OCI_RUNTIME")
        if not oci and not _cgroup_v2_only() and shutil.which("runc"):
            oci = "runc"
        if oci:
            argv += ["--runtime", oci]
    return argv


def ulimit_flags() -> list[str]:
    """Pass the host's file and process limits: a container may not raise them here."""
    flags = []
    for name, which in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        soft, hard = resource.getrlimit(which)
        if soft == resource.RLIM_INFINITY or hard == resource.RLIM_INFINITY:
            continue
        if name == "nproc":  # runc here refuses large values even below the host's
            soft, hard = min(soft, NPROC_CAP), min(hard, NPROC_CAP)
        flags += ["--ulimit", f"{name}={soft}:{hard}"]
    return flags


def runtime_problem(kind: str) -> str | None:
    """Why ``kind`` cannot run containers here, or None (checked once per process)."""
    if kind in _problems:
        return _problems[kind]
    problem: str | None = None
    if kind not in RUNTIMES:
        problem = f"unknown container runtime {kind!r}"
    elif shutil.which(kind) is None:
        problem = (f"{kind} is not installed (Debian: `bash scripts/install-podman.sh` for podman)"
                   if kind == "podman" else "docker is not installed")
    else:
        try:
            res = subprocess.run([*runtime_argv(kind), "info"], capture_output=True, text=True,
                                 timeout=60)
            if res.returncode != 0:
                last = (res.stderr.strip().splitlines() or ["no output"])[-1]
                problem = f"`{kind} info` failed: {last[:200]}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            problem = f"`{kind} info` failed: {exc}"
    _problems[kind] = problem
    return problem


def require_runtime(kind: str) -> None:
    problem = runtime_problem(kind)
    if problem:
        raise ContainerUnavailable(f"sandbox {kind} unavailable: {problem}; use --sandbox bwrap")


def environment_digest(env_dir: Path) -> str:
    """A hash of every file in the build context (names, modes and contents)."""
    digest = hashlib.sha256()
    for path in sorted(env_dir.rglob("*")):
        rel = path.relative_to(env_dir).as_posix()
        if path.is_symlink():
            digest.update(os.fsencode(f"L {rel} {os.readlink(path)}\0"))
        elif path.is_file():
            digest.update(os.fsencode(f"F {rel} {path.stat().st_mode & 0o777:o}\0"))
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()[:20]


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def image_id(kind: str, tag: str) -> str | None:
    res = _run([*runtime_argv(kind), "image", "inspect", "--format", "{{.Id}}", tag], 60)
    return res.stdout.strip() or None if res.returncode == 0 else None


def build_image(kind: str, env_dir: Path, *, lock_dir: Path, log: object = None) -> str:
    """Build (or reuse) the task's image; returns its tag. A failed build raises EvalError."""
    if not (env_dir / "Dockerfile").is_file():
        raise EvalError(f"{env_dir}: no Dockerfile to build an image from")
    tag = f"{IMAGE_REPO}:{environment_digest(env_dir)}"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"image-{tag.split(':')[1]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if image_id(kind, tag):
            return tag
        if callable(log):
            log(f"{kind} build {tag}")
        argv = [*runtime_argv(kind), "build", "-q", "-t", tag]
        if kind == "podman":
            argv += ulimit_flags()
        try:
            res = _run([*argv, str(env_dir)], BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise EvalError(f"{kind} build timed out after {BUILD_TIMEOUT:g}s") from None
        if res.returncode != 0:
            lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
            raise EvalError(f"{kind} build failed: {' | '.join(lines[-3:])[:600]}")
    return tag


@dataclass
class ContainerBox(TrialBox):
    """One trial's container: created by :meth:`start`, removed by :meth:`close`."""

    image: str = ""
    skill_dirs: list[str] = field(default_factory=list)  # emptied, then filled from the host
    name: str = ""
    started: bool = False

    @property
    def workdir(self) -> str:
        return self.layout.workdir

    def path(self, inside: str) -> str:
        return inside

    def limits_record(self) -> dict[str, object]:
        lim = self.limits
        return {"mechanism": f"{self.kind} (runtime cgroups)", "memory": f"{lim.memory_mb} MB",
                "cpu": f"{lim.cpus:g} CPUs" if lim.cpus else "not limited",
                "pids": str(lim.pids), "disk": f"/tmp {lim.tmp_mb} MB (tmpfs); image layer "
                "not limited"}

    def _argv(self) -> list[str]:
        return runtime_argv(self.kind)

    def start(self) -> None:
        self.name = f"skillyard-trial-{uuid.uuid4().hex[:16]}"
        limits = self.limits
        argv = [*self._argv(), "run", "-d", "--name", self.name, "--init",
                "--network", "bridge" if self.network else "none",
                "--memory", f"{limits.memory_mb}m", "--pids-limit", str(limits.pids),
                "--tmpfs", f"/tmp:rw,size={limits.tmp_mb}m,mode=1777"]
        if limits.cpus:
            argv += ["--cpus", f"{limits.cpus:g}"]
        if self.kind == "podman":
            argv += ulimit_flags()
        for host, inside in self.layout.binds:
            argv += ["-v", f"{host}:{inside}:rw"]
        argv += ["-w", self.layout.workdir, "--entrypoint", "sleep", self.image, "infinity"]
        res = _run(argv, 300)
        if res.returncode != 0:
            raise EvalError(f"cannot start a container from {self.image}: "
                            f"{res.stderr.strip()[-300:]}")
        self.started = True
        if self.skill_dirs:
            quoted = " ".join(f"'{d}'" for d in self.skill_dirs)
            self._exec_ok(["sh", "-c", f"rm -rf {quoted} && mkdir -p {quoted}"])
            for inside in self.skill_dirs:
                host = self.layout.host(inside)
                if any(host.iterdir()):
                    self._copy_in(f"{host}/.", inside)

    def _exec_ok(self, argv: list[str]) -> None:
        res = _run([*self._argv(), "exec", self.name, *argv], 120)
        if res.returncode != 0:
            raise EvalError(f"container setup failed: {res.stderr.strip()[-300:]}")

    def _copy_in(self, host: str, inside: str) -> None:
        res = _run([*self._argv(), "cp", host, f"{self.name}:{inside}"], 300)
        if res.returncode != 0:
            raise EvalError(f"cannot copy {host} into the container: {res.stderr.strip()[-300:]}")

    def run(self, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None,
            stdin: str | None = None, cwd: str | None = None,
            readonly: Sequence[str] = ()) -> ProcessResult:
        if not self.started:
            try:
                self.start()
            except EvalError as exc:
                return ProcessResult(None, "", str(exc), False, 0.0)
        for path in readonly:  # host files an agent command names, at their own paths
            self._exec_ok(["mkdir", "-p", str(Path(path).parent)])
            self._copy_in(path, path)
        command = [*self._argv(), "exec"] + (["-i"] if stdin is not None else [])
        command += ["-w", cwd or self.layout.workdir]
        for key, value in (env or {}).items():
            command += ["-e", f"{key}={value}"]
        res = run_process([*command, self.name, *argv], cwd=self.layout.fs, timeout=timeout,
                          env={}, stdin=stdin)
        if res.timed_out:  # the exec client is gone: restart ends what it left, keeps files
            _run([*self._argv(), "restart", "-t", "0", self.name], 120)
        elif res.returncode in (126, 127) and "executable file not found" in res.stderr:
            return ProcessResult(None, res.stdout, f"cannot start {argv[0]!r} in the container: "
                                 f"{res.stderr.strip()[-200:]}", False, res.seconds)
        return res

    def close(self) -> None:
        if self.name:
            _run([*self._argv(), "rm", "-f", "-t", "0", self.name], 120)
            self.name, self.started = "", False


def make_container_box(kind: str, image: str, layout: Layout, skill_dirs: list[str], *,
                       network: bool, limits: Limits) -> ContainerBox:
    return ContainerBox(kind, layout, network=network, limits=limits, image=image,
                        skill_dirs=list(skill_dirs))
