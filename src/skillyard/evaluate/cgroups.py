"""Memory, CPU and process limits for a bubblewrap trial: cgroup v2, else rlimits.

With a writable cgroup v2 hierarchy each trial gets its own cgroup (``memory.max`` with no
swap, ``cpu.max``, ``pids.max``) and every process of the trial is started inside it; the
cgroup is killed and removed when the trial ends. On a cgroup v1 or hybrid host (this one) the
same limits go into groups of the v1 memory, cpu and pids controllers, created under this
process's own groups so the trial stays inside whatever limits the harness itself has. With
neither (or no permission) the limits fall back to rlimits through ``prlimit``: address
space for memory, CPU seconds for CPU, and ``RLIMIT_NPROC`` for processes (which the kernel
counts per user, so the limit is the user's current count plus the trial's allowance). Which
mechanism applied, and why, is recorded in each trial's result (``detail["limits"]``).
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
SLICE = "skillyard-eval"
CONTROLLERS = ("memory", "cpu", "pids")
CPU_PERIOD = 100_000
PROC_CGROUP = Path("/proc/self/cgroup")
_JOIN = ('IFS=:; for d in $0; do echo $$ > "$d/cgroup.procs" || exit 125; done; unset IFS; '
         'exec "$@"')


def _own_paths(proc_cgroup: Path) -> dict[str, str]:
    """This process's cgroup per controller ('' for the v2 unified hierarchy)."""
    out: dict[str, str] = {}
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for name in parts[1].split(",") if parts[1] else [""]:
                out[name] = parts[2].lstrip("/")
    return out


def v2_problem(root: Path = CGROUP_ROOT) -> str | None:
    """Why trials cannot get their own cgroup v2 here, or None."""
    controllers = root / "cgroup.controllers"
    if not controllers.is_file():
        return f"cgroup v2 is not mounted at {root} (cgroup v1 or hybrid hierarchy)"
    try:
        have = controllers.read_text().split()
    except OSError as exc:
        return f"cannot read {controllers}: {exc.strerror}"
    missing = [c for c in CONTROLLERS if c not in have]
    if missing:
        return f"cgroup v2 lacks the {', '.join(missing)} controller(s)"
    if not os.access(root, os.W_OK):
        return f"{root} is not writable by this user"
    return None


def v1_problem(root: Path = CGROUP_ROOT) -> str | None:
    """Why trials cannot get cgroup v1 groups (memory, cpu, pids) here, or None."""
    for name in CONTROLLERS:
        folder = root / name
        if not (folder / "cgroup.procs").is_file():
            return f"the cgroup v1 {name} controller is not mounted at {folder}"
        if not os.access(folder, os.W_OK):
            return f"{folder} is not writable by this user"
    return None


def _enable(folder: Path) -> None:
    control = folder / "cgroup.subtree_control"
    enabled = control.read_text().split() if control.is_file() else []
    wanted = [f"+{c}" for c in CONTROLLERS if c not in enabled]
    if wanted:
        control.write_text(" ".join(wanted))


@dataclass
class TrialLimits:
    """The limits one trial runs under; :meth:`prefix` goes before its commands."""

    limits: Limits
    mechanism: str  # cgroup-v2 | cgroup-v1 | rlimit
    why: str | None = None  # why the fallback
    groups: list[Path] = field(default_factory=list)  # one (v2) or one per controller (v1)
    record: dict[str, Any] = field(default_factory=dict)

    def prefix(self, timeout: float) -> list[str]:
        lim = self.limits
        if self.groups:
            # join the cgroups, then keep the file-size rlimit (cgroups have none)
            return ["sh", "-c", _JOIN, ":".join(map(str, self.groups)),
                    "prlimit", f"--fsize={lim.file_mb * 1024 * 1024}", "--core=0"]
        argv = ["prlimit", f"--as={lim.memory_mb * 1024 * 1024}",
                f"--fsize={lim.file_mb * 1024 * 1024}", "--core=0",
                f"--nproc={_user_processes() + lim.pids}"]
        if lim.cpus:
            argv.append(f"--cpu={max(1, math.ceil(timeout * lim.cpus))}")
        return argv

    @property
    def cgroup(self) -> Path | None:
        return self.groups[0] if self.groups else None

    def close(self) -> None:
        for group in self.groups:
            for _ in range(50):
                try:
                    kill = group / "cgroup.kill"
                    if kill.exists():
                        kill.write_text("1")
                    else:  # v1: kill what is left one by one
                        for pid in (group / "cgroup.procs").read_text().split():
                            with contextlib.suppress(OSError):
                                os.kill(int(pid), signal.SIGKILL)
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        break  # not a cgroupfs (tests) or not ours: nothing to undo
                    time.sleep(0.02)
        self.groups = []


def _user_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _write(path: Path, value: str, required: bool = True) -> None:
    try:
        path.write_text(value)
    except OSError:
        if required:
            raise


def _v2(limits: Limits, root: Path, name: str) -> TrialLimits:
    # a non-root v2 group that holds processes cannot hand controllers to children (the "no
    # internal processes" rule), so the slice hangs off the hierarchy's root
    _enable(root)
    parent = root / SLICE
    parent.mkdir(exist_ok=True)
    _enable(parent)
    group = parent / name
    group.mkdir()
    _write(group / "memory.max", str(limits.memory_mb * 1024 * 1024))
    _write(group / "memory.swap.max", "0", required=False)
    _write(group / "pids.max", str(limits.pids))
    _write(group / "cpu.max",
           f"{int(limits.cpus * CPU_PERIOD)} {CPU_PERIOD}" if limits.cpus else "max")
    return TrialLimits(limits, "cgroup-v2", groups=[group], record={
        "mechanism": "cgroup-v2", "memory": f"{limits.memory_mb} MB (memory.max)",
        "cpu": f"{limits.cpus:g} CPUs (cpu.max)" if limits.cpus else "not limited",
        "pids": f"{limits.pids} (pids.max)"})


def _v1(limits: Limits, root: Path, own: dict[str, str], name: str) -> TrialLimits:
    groups = []
    try:
        for controller in CONTROLLERS:
            # under this process's own group, so the trial stays inside whatever limits it
            group = root / controller / own.get(controller, "") / SLICE / name
            group.mkdir(parents=True)
            groups.append(group)
            if controller == "memory":
                _write(group / "memory.limit_in_bytes", str(limits.memory_mb * 1024 * 1024))
                _write(group / "memory.memsw.limit_in_bytes",
                       str(limits.memory_mb * 1024 * 1024), required=False)
            elif controller == "pids":
                _write(group / "pids.max", str(limits.pids))
            elif limits.cpus:
                _write(group / "cpu.cfs_period_us", str(CPU_PERIOD))
                _write(group / "cpu.cfs_quota_us", str(int(limits.cpus * CPU_PERIOD)))
    except OSError:
        TrialLimits(limits, "cgroup-v1", groups=groups).close()
        raise
    return TrialLimits(limits, "cgroup-v1", why=v2_problem(root), groups=groups, record={
        "mechanism": "cgroup-v1", "why": v2_problem(root),
        "memory": f"{limits.memory_mb} MB (memory.limit_in_bytes)",
        "cpu": f"{limits.cpus:g} CPUs (cpu.cfs_quota_us)" if limits.cpus else "not limited",
        "pids": f"{limits.pids} (pids.max)"})


def trial_limits(limits: Limits, root: Path = CGROUP_ROOT,
                 proc_cgroup: Path = PROC_CGROUP) -> TrialLimits:
    """A cgroup for one trial (v2, else v1 controllers), else the rlimit fallback."""
    name = f"trial-{uuid.uuid4().hex[:12]}"
    own = _own_paths(proc_cgroup)
    problem = v2_problem(root)
    if problem is None:
        try:
            return _v2(limits, root, name)
        except OSError as exc:
            problem = f"cannot create a cgroup v2 group under {root}: {exc.strerror or exc}"
    else:
        v1 = v1_problem(root)
        if v1 is None:
            try:
                return _v1(limits, root, own, name)
            except OSError as exc:
                v1 = f"cannot create cgroup v1 groups: {exc.strerror or exc}"
        problem = f"{problem}; {v1}"
    record = {"mechanism": "rlimit", "why": problem,
              "memory": f"{limits.memory_mb} MB of address space (RLIMIT_AS)",
              "cpu": (f"{limits.cpus:g} x wall-clock CPU seconds (RLIMIT_CPU)" if limits.cpus
                      else "not limited"),
              "pids": (f"{limits.pids} more processes of this user (RLIMIT_NPROC)"
                       if os.geteuid() != 0 else "not limited (root ignores RLIMIT_NPROC)")}
    return TrialLimits(limits, "rlimit", why=problem, record=record)
