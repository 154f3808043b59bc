"""A total disk quota for one trial: its writable folders on a size-limited tmpfs.

A holder process (``unshare --mount``) mounts a tmpfs of the quota's size over the trial's
``fs/`` folder in a private mount namespace and then sleeps; the host never sees the mount.
Everything the trial writes (the container folders bound from ``fs/`` and ``/tmp``, which
lives there too) counts against the one limit, so a task cannot fill the host's disk by spreading
writes over many files or folders. The harness reaches the files through
``/proc/<holder>/root/...`` and the sandbox's commands run in that namespace via ``nsenter``.
Closing the quota kills the holder; the namespace and the tmpfs go with it.

Needs root (mounting a tmpfs); :func:`quota_problem` says why not otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import EvalError

_HOLD = ('mount -t tmpfs -o "size=${1}m,mode=0755" skillyard-quota "$2" && echo ready '
         '&& exec sleep infinity')
_problem: list[str | None] = []


def quota_problem() -> str | None:
    """Why a disk quota cannot be set up here, or None (checked once)."""
    if _problem:
        return _problem[0]
    problem: str | None = None
    if os.geteuid() != 0:
        problem = "a disk quota needs root (it mounts a tmpfs in a private mount namespace)"
    elif not (shutil.which("unshare") and shutil.which("nsenter")):
        problem = "unshare/nsenter (util-linux) are not installed"
    else:
        res = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh",
                              "-c", "mount -t tmpfs -o size=1m none /mnt"],
                             capture_output=True, text=True)
        if res.returncode != 0:
            problem = f"cannot mount a tmpfs in a new mount namespace: {res.stderr.strip()[:200]}"
    _problem.append(problem)
    return problem


@dataclass
class DiskQuota:
    folder: Path  # the trial's fs/ folder (absolute), covered by the tmpfs
    size_mb: int
    pid: int | None = None
    _proc: subprocess.Popen[str] | None = None

    def start(self) -> DiskQuota:
        if self.size_mb < 1:
            raise EvalError("disk quota must be at least 1 MB")
        problem = quota_problem()
        if problem:
            raise EvalError(f"--disk-mb unavailable: {problem}")
        self.folder = self.folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _HOLD, "sh",
             str(self.size_mb), str(self.folder)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True)
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            proc.kill()
            _, err = proc.communicate()
            raise EvalError(f"cannot set up the disk quota: {err.strip()[:300]}")
        self._proc, self.pid = proc, proc.pid
        return self

    @property
    def view(self) -> Path:
        """The quota folder as this process (outside the namespace) reaches it."""
        if self.pid is None:
            raise EvalError("disk quota not started")
        return Path(f"/proc/{self.pid}/root") / self.folder.relative_to("/")

    def prefix(self) -> list[str]:
        """Run a command in the quota's mount namespace."""
        return ["nsenter", f"--target={self.pid}", "--mount", "--"]

    def used_mb(self) -> float:
        try:
            stat = os.statvfs(self.view)
        except OSError:
            return 0.0
        return (stat.f_blocks - stat.f_bfree) * stat.f_frsize / 1024 / 1024

    def close(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.communicate()
        self._proc, self.pid = None, None
