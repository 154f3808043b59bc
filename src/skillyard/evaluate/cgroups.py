"""Memory, CPU and process limits for a bubblewrap trial: cgroup v2, else rlimits.

With a writable cgroup v2 hierarchy each trial gets its own cgroup (``memory.max`` with no
swap, ``cpu.max``, ``pids.max``) and every process of the trial is started inside it; the
cgroup is killed and removed when the trial ends. Without one (cgroup v1 or a hybrid hierarchy,
as on this host, or no permission) the limits fall back to rlimits through ``prlimit``: address
space for memory, CPU seconds for CPU, and ``RLIMIT_NPROC`` for processes (which the kernel
counts per user, so the limit is the user's current count plus the trial's allowance). Which
mechanism applied, and why, is recorded in each trial's result (``detail["limits"]``).
"""

from __future__ import annotations

import math
import os
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
    mechanism: str  # cgroup-v2 | rlimit
    why: str | None = None  # why the fallback
    cgroup: Path | None = None
    record: dict[str, Any] = field(default_factory=dict)

    def prefix(self, timeout: float) -> list[str]:
        lim = self.limits
        if self.cgroup is not None:
            # join the cgroup, then keep the file-size rlimit (cgroups have none)
            return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.cgroup),
                    "prlimit", f"--fsize={lim.file_mb * 1024 * 1024}", "--core=0"]
        argv = ["prlimit", f"--as={lim.memory_mb * 1024 * 1024}",
                f"--fsize={lim.file_mb * 1024 * 1024}", "--core=0",
                f"--nproc={_user_processes() + lim.pids}"]
        if lim.cpus:
            argv.append(f"--cpu={max(1, math.ceil(timeout * lim.cpus))}")
        return argv

    def close(self) -> None:
        if self.cgroup is None:
            return
        try:
            kill = self.cgroup / "cgroup.kill"
            if kill.exists():
                kill.write_text("1")
            self.cgroup.rmdir()
        except OSError:
            pass  # still busy: the kernel removes nothing, the next sweep may


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


def trial_limits(limits: Limits, root: Path = CGROUP_ROOT) -> TrialLimits:
    """A cgroup for one trial when cgroup v2 allows it, else the rlimit fallback."""
    problem = v2_problem(root)
    if problem is None:
        try:
            parent = root / SLICE
            _enable(root)
            parent.mkdir(exist_ok=True)
            _enable(parent)
            group = parent / f"trial-{uuid.uuid4().hex[:12]}"
            group.mkdir()
            (group / "memory.max").write_text(str(limits.memory_mb * 1024 * 1024))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            (group / "pids.max").write_text(str(limits.pids))
            quota = f"{int(limits.cpus * CPU_PERIOD)} {CPU_PERIOD}" if limits.cpus else "max"
            (group / "cpu.max").write_text(quota)
            return TrialLimits(limits, "cgroup-v2", cgroup=group, record={
                "mechanism": "cgroup-v2", "memory": f"{limits.memory_mb} MB (memory.max)",
                "cpu": f"{limits.cpus:g} CPUs (cpu.max)" if limits.cpus else "not limited",
                "pids": f"{limits.pids} (pids.max)"})
        except OSError as exc:
            problem = f"cannot create a cgroup under {root}: {exc.strerror or exc}"
    record = {"mechanism": "rlimit", "why": problem,
              "memory": f"{limits.memory_mb} MB of address space (RLIMIT_AS)",
              "cpu": (f"{limits.cpus:g} x wall-clock CPU seconds (RLIMIT_CPU)" if limits.cpus
                      else "not limited"),
              "pids": f"{limits.pids} more processes of this user (RLIMIT_NPROC)"}
    return TrialLimits(limits, "rlimit", why=problem, record=record)
