"""Decide whether a trial passed. Pass/fail is per task: all of its checks must pass.

Harbor tasks: ``tests/test.sh`` runs in the work dir and writes ``reward.txt`` (a number) or
``reward.json`` (``{"reward": x}``) into ``logs/verifier/``; the trial passes when the reward is
1 (a fractional reward, such as a share of unit tests, is kept but is a fail). A verifier that
writes no reward is judged by its exit status (0 = reward 1).

evals.json tasks: every assertion must hold. Assertions in this small syntax are checked
without an LLM; any other text (and ``expected_output`` when there are no assertions) needs an
LLM judge::

    contains: TEXT            the final answer contains TEXT (case-insensitive)
    not-contains: TEXT        it does not
    regex: PATTERN            the answer matches the Python regular expression
    file-exists: PATH         PATH exists in the work dir
    file-contains: PATH :: TEXT
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..llm import LLMError
from .errors import EvalError
from .judge import Judge
from .runners.base import run_process, tail
from .tasks import Task
from .workspace import TrialDirs, stage_tests

DEFAULT_VERIFIER_TIMEOUT = 600.0
_PREFIXES = ("contains:", "not-contains:", "regex:", "file-exists:", "file-contains:")


@dataclass
class VerifyOutcome:
    passed: bool
    reward: float | None
    status: str = "ok"  # ok | timeout | error
    error: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    reason: str | None = None  # why a failed trial failed, in a line or two


def is_deterministic(assertion: str) -> bool:
    return assertion.lower().startswith(_PREFIXES)


def needs_judge(tasks: Sequence[Task]) -> list[str]:
    """Ids of tasks that cannot be graded without an LLM judge."""
    out = []
    for task in tasks:
        if task.kind != "evals":
            continue
        if not task.assertions or any(not is_deterministic(a) for a in task.assertions):
            out.append(task.id)
    return out


def check_assertions(tasks: Sequence[Task]) -> None:
    """Reject malformed deterministic assertions (bad regex, missing '::') before running."""
    for task in tasks:
        for assertion in task.assertions:
            try:
                _parse(assertion)
            except ValueError as exc:
                raise EvalError(f"task {task.id!r}: assertion {assertion!r}: {exc}") from None


def _parse(assertion: str) -> tuple[str, str, str]:
    if not is_deterministic(assertion):
        return "judge", assertion, ""
    kind, _, rest = assertion.partition(":")
    kind, rest = kind.lower().strip(), rest.strip()
    if kind == "file-contains":
        path, sep, text = rest.partition("::")
        if not sep or not path.strip() or not text.strip():
            raise ValueError("write file-contains: PATH :: TEXT")
        return kind, path.strip(), text.strip()
    if not rest:
        raise ValueError(f"{kind}: needs a value")
    if kind == "regex":
        try:
            re.compile(rest)
        except re.error as exc:
            raise ValueError(f"bad regular expression ({exc})") from None
    return kind, rest, ""


def _listing(work: Path, limit: int = 200) -> str:
    names = [p.relative_to(work).as_posix() for p in sorted(work.rglob("*")) if p.is_file()]
    return "\n".join(names[:limit]) + ("\n…" if len(names) > limit else "")


def _work_file(work: Path, rel: str) -> Path | None:
    target = (work / rel).resolve()
    return target if target.is_relative_to(work.resolve()) and target.is_file() else None


def _check_one(assertion: str, task: Task, dirs: TrialDirs, answer: str,
               judge: Judge | None) -> tuple[bool, str]:
    kind, value, text = _parse(assertion)
    if kind == "contains":
        return value.lower() in answer.lower(), ""
    if kind == "not-contains":
        return value.lower() not in answer.lower(), ""
    if kind == "regex":
        return re.search(value, answer) is not None, ""
    if kind == "file-exists":
        return _work_file(dirs.work, value) is not None, ""
    if kind == "file-contains":
        path = _work_file(dirs.work, value)
        if path is None:
            return False, f"{value} does not exist"
        return text.lower() in path.read_text(encoding="utf-8", errors="replace").lower(), ""
    if judge is None:
        raise EvalError(f"task {task.id!r} needs an LLM judge for {assertion!r}")
    return judge.check(task.instruction, answer, assertion, _listing(dirs.work))


def _verify_evals(task: Task, dirs: TrialDirs, answer: str, judge: Judge | None) -> VerifyOutcome:
    assertions = list(task.assertions) or [
        f"The answer achieves this expected outcome: {task.expected_output}"
    ]
    checks = []
    try:
        for assertion in assertions:
            ok, reason = _check_one(assertion, task, dirs, answer, judge)
            checks.append({"assertion": assertion, "pass": ok, "reason": reason})
    except LLMError as exc:
        return VerifyOutcome(False, None, "error", f"judge failed: {exc}", checks)
    passed_n = sum(1 for c in checks if c["pass"])
    failed = [c["assertion"] for c in checks if not c["pass"]]
    return VerifyOutcome(passed_n == len(checks), passed_n / len(checks), checks=checks,
                         reason=f"{len(failed)} assertion(s) failed: {failed[0]}" if failed
                         else None)


def read_reward(reward_dir: Path) -> float | None:
    """The verifier's reward, or None if it wrote none; ValueError if it is unreadable."""
    txt, js = reward_dir / "reward.txt", reward_dir / "reward.json"
    if txt.is_file():
        raw = txt.read_text(encoding="utf-8", errors="replace").strip()
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"reward.txt holds {raw[:40]!r}, not a number") from None
    elif js.is_file():
        try:
            data = json.loads(js.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"reward.json is not JSON ({exc.msg})") from None
        if isinstance(data, dict):
            numbers = [v for v in data.values() if isinstance(v, int | float)]
            data = data.get("reward", numbers[0] if len(numbers) == 1 else None)
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError("reward.json has no numeric 'reward'")
        value = float(data)
    else:
        return None
    if not math.isfinite(value):
        raise ValueError(f"reward {value} is not finite")
    return value


_MISSING = (
    re.compile(r"(ModuleNotFoundError: No module named '[^']+')"),
    re.compile(r"(ImportError: [^\n]{0,160})"),
    re.compile(r"(skillyard sandbox: missing system packages: [^\n]+)"),
    re.compile(r"(?:^|\n)(?:[^\n]*: )?([\w.+-]+: command not found)"),
    re.compile(r"(No matching distribution found for [^\s]+)"),
    re.compile(r"((?:Could not resolve host|Temporary failure in name resolution|Network is "
               r"unreachable)[^\n]{0,80})"),
)
_FAILED_TEST = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.{0,200}))?$", re.MULTILINE)


def failure_reason(output: str, exit_code: int | None, reward: float | None,
                   limit: int = 3) -> str:
    """A short account of a failed verification: missing dependency, failed tests, last lines."""
    parts = [f"reward {reward:g}" if reward is not None else "no reward written",
             f"exit {exit_code}"]
    for pattern in _MISSING:
        match = pattern.search(output)
        if match:
            parts.append(f"missing dependency? {match.group(1).strip()}")
            break
    failed = _FAILED_TEST.findall(output)
    if failed:
        names = [f"{name.split('::')[-1]}" + (f" ({why.strip()})" if why else "")
                 for _, name, why in failed[:limit]]
        parts.append(f"{len(failed)} failed: " + "; ".join(names)
                     + (" …" if len(failed) > limit else ""))
    else:
        lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
        if lines:
            parts.append("last lines: " + " | ".join(lines[-limit:])[-400:])
    return "; ".join(parts)


def _verify_harbor(task: Task, dirs: TrialDirs, timeout: float) -> VerifyOutcome:
    stage_tests(task, dirs)
    if dirs.box is not None:
        res = dirs.box.run(["bash", "/tests/test.sh"], timeout=timeout,
                           env={"SKILLYARD_WORKDIR": dirs.box.workdir,
                                "SKILLYARD_REWARD_DIR": "/logs/verifier"})
    else:
        env = {"SKILLYARD_WORKDIR": str(dirs.work),
               "SKILLYARD_REWARD_DIR": str(dirs.reward_dir)}
        res = run_process(["bash", str(dirs.tests / "test.sh")], cwd=dirs.work,
                          timeout=timeout, env=env)
    output = tail(res.stdout + res.stderr)
    (dirs.logs / "verifier" / "test-output.txt").write_text(output, encoding="utf-8")
    if res.timed_out:
        return VerifyOutcome(False, None, "timeout", f"verifier timed out after {timeout:g}s",
                             reason=f"verifier timed out after {timeout:g}s")
    try:
        reward = read_reward(dirs.reward_dir)
    except ValueError as exc:
        return VerifyOutcome(False, None, "error", str(exc), reason=str(exc))
    checks = [{"verifier": "tests/test.sh", "exit": res.returncode}]
    if reward is None:
        reward = 1.0 if res.returncode == 0 else 0.0
        checks[0]["reward_from"] = "exit status"
    out = VerifyOutcome(reward >= 1.0, reward, checks=checks)
    if not out.passed:
        out.reason = failure_reason(output, res.returncode, reward)
        checks[0]["output_tail"] = output[-2000:]
    return out


def verify(task: Task, dirs: TrialDirs, answer: str, *, judge: Judge | None = None,
           timeout: float | None = None) -> VerifyOutcome:
    started = time.monotonic()
    if task.kind == "evals":
        out = _verify_evals(task, dirs, answer, judge)
    else:
        limit = timeout or task.verifier_timeout or DEFAULT_VERIFIER_TIMEOUT
        out = _verify_harbor(task, dirs, limit)
    out.seconds = time.monotonic() - started
    return out
