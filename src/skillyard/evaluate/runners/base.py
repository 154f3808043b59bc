"""What every runner gets (a TrialContext) and gives back (an AgentOutcome), and a subprocess
helper that enforces a timeout on a whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..tasks import Task
from ..workspace import TrialDirs

AgentStatus = Literal["ok", "timeout", "error"]
TAIL_BYTES = 16 * 1024


@dataclass
class TrialContext:
    """One attempt of one task in one arm. The runner must work inside ``dirs.work``."""

    task: Task
    dirs: TrialDirs
    skills: list[str]  # skill folder names visible in dirs.skills
    skills_dir: str  # dirs.skills relative to dirs.work
    timeout: float  # seconds the agent may use
    seed: int
    trial: int
    started: float = field(default_factory=time.monotonic)

    @property
    def instruction(self) -> str:
        return self.task.instruction

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.started)


@dataclass
class AgentOutcome:
    answer: str = ""
    status: AgentStatus = "ok"
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    turns: int = 0
    skills_seen: list[str] = field(default_factory=list)  # skills the agent reported reading
    log: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Runner(Protocol):
    name: str

    def check(self, tasks: Sequence[Task]) -> None:
        """Raise EvalError before any trial runs if this runner cannot attempt a task."""

    def run(self, ctx: TrialContext) -> AgentOutcome: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass
class ProcessResult:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float


def tail(text: str, limit: int = TAIL_BYTES) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> ProcessResult:
    """Run a command in its own session; on timeout kill its whole process group."""
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=full_env, stdin=subprocess.PIPE if stdin is not None
            else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, text=True, errors="replace",
        )
    except OSError as exc:
        return ProcessResult(None, "", f"cannot start {argv[0]!r}: {exc.strerror}", False, 0.0)
    try:
        out, err = proc.communicate(stdin, timeout=max(timeout, 0.001))
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    return ProcessResult(proc.returncode, out or "", err or "", timed_out,
                         time.monotonic() - started)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.kill()
