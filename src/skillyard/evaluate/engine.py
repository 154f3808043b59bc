"""Run trials: every task x arm x k, in a seeded interleaved order, on parallel workers.

Each trial gets a fresh directory with its arm's skills injected, runs the agent with a
timeout, copies the verifier in, and verifies. Trial ``t`` of a task has the same seed in every
arm (common random numbers), so arms are compared on equal terms.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .arms import PreparedArm
from .errors import EvalError
from .judge import Judge
from .runners.base import AgentOutcome, Runner, TrialContext
from .tasks import Task
from .verify import verify
from .workspace import DEFAULT_SKILLS_DIR, check_skills_dir, make_sandboxed_trial, make_trial

if TYPE_CHECKING:
    from .offline import Offline
    from .taskenv import TaskEnvironment

DEFAULT_AGENT_TIMEOUT = 600.0
_SAFE = str.maketrans({c: "_" for c in "/\\:*?\"<>|# "})


@dataclass
class TrialResult:
    task_id: str
    arm: str
    trial: int
    passed: bool
    reward: float | None
    status: str  # ok | timeout | error (agent or verifier)
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    agent_seconds: float = 0.0
    verify_seconds: float = 0.0
    wall_seconds: float = 0.0
    skills: list[dict[str, Any]] = field(default_factory=list)  # what the arm injected
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task_id, "arm": self.arm, "trial": self.trial, "passed": self.passed,
            "reward": self.reward, "status": self.status, "error": self.error,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "agent_seconds": round(self.agent_seconds, 4),
            "verify_seconds": round(self.verify_seconds, 4),
            "wall_seconds": round(self.wall_seconds, 4), "skills": self.skills,
            "detail": self.detail,
        }


@dataclass
class RunConfig:
    trials: int = 1
    workers: int = 2
    timeout: float | None = None  # agent seconds per trial; default: the task's, else 600
    verifier_timeout: float | None = None
    seed: int = 0
    skills_dir: str = DEFAULT_SKILLS_DIR
    keep: bool = False  # keep trial folders (under root) for inspection
    root: Path | None = None
    sandbox: str = "bwrap"  # bwrap | docker | podman | none (host, container paths rewritten)
    allow_network: bool = False  # granted to tasks whose task.toml allows internet
    install_system_deps: bool = False  # apt-get install what a Dockerfile asks for (root)
    env_cache: Path | None = None  # virtualenv cache (default: SKILLYARD_ENV_CACHE)
    disk_mb: int | None = None  # total disk quota per trial (bwrap, tmpfs; see quota.py)
    no_index: bool = False  # build environments from the wheelhouse only (offline.py)
    wheelhouse: Path | None = None  # default: SKILLYARD_WHEELHOUSE

    def offline(self) -> Offline:
        from .offline import Offline

        return Offline.from_options(self.no_index, self.wheelhouse)

    def check(self) -> None:
        if self.trials < 1:
            raise EvalError("trials must be 1 or more")
        if self.workers < 1:
            raise EvalError("workers must be 1 or more")
        for name in ("timeout", "verifier_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise EvalError(f"{name.replace('_', ' ')} must be positive")
        check_skills_dir(self.skills_dir)
        self.offline()
        from .sandbox import require_sandbox

        require_sandbox(self.sandbox)
        if self.disk_mb is not None:
            if self.disk_mb < 1:
                raise EvalError("disk quota must be at least 1 MB")
            if self.sandbox != "bwrap":
                raise EvalError("--disk-mb needs --sandbox bwrap")
            from .quota import quota_problem

            problem = quota_problem()
            if problem:
                raise EvalError(f"--disk-mb unavailable: {problem}")

    def to_dict(self) -> dict[str, Any]:
        return {"trials": self.trials, "workers": self.workers, "timeout": self.timeout,
                "verifier_timeout": self.verifier_timeout, "seed": self.seed,
                "skills_dir": self.skills_dir, "sandbox": self.sandbox,
                "allow_network": self.allow_network, "disk_mb": self.disk_mb,
                **self.offline().to_dict()}


def prepare_environments(tasks: Sequence[Task], config: RunConfig,
                         log: Callable[[str], None] | None = None
                         ) -> dict[str, TaskEnvironment]:
    """Check every task and build its virtualenvs (cached) before any trial runs."""
    from .taskenv import prepare, prepare_container

    if config.sandbox == "none":
        return {}
    out = {}
    for task in tasks:
        if log is not None:
            log(f"environment of {task.id}")
        if config.sandbox in ("docker", "podman"):
            out[task.id] = prepare_container(task, config.sandbox,
                                             allow_network=config.allow_network,
                                             cache=config.env_cache, log=log)
            continue
        out[task.id] = prepare(task, allow_network=config.allow_network,
                               install_system_deps=config.install_system_deps,
                               cache=config.env_cache, log=log, offline=config.offline())
    return out


def trial_seed(seed: int, task_id: str, trial: int) -> int:
    digest = hashlib.sha256(f"{seed}\0{task_id}\0{trial}".encode("utf-8", "surrogatepass")
                            ).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True)
class TrialPlan:
    task: Task
    arm: PreparedArm
    trial: int
    index: int


def plan(tasks: Sequence[Task], arms: Sequence[PreparedArm], trials: int, seed: int,
         trial_numbers: Iterable[int] | None = None) -> list[TrialPlan]:
    """Every (task, arm, trial), shuffled with the seed so no arm always runs first."""
    numbers = list(trial_numbers) if trial_numbers is not None else list(range(trials))
    items = [(task, arm, t) for task in tasks for arm in arms for t in numbers]
    random.Random(seed).shuffle(items)
    return [TrialPlan(task, arm, t, i) for i, (task, arm, t) in enumerate(items)]


def _make(folder: Path, task: Task, bundles: Any, config: RunConfig,
          tenv: TaskEnvironment | None) -> tuple[Any, list[str]]:
    if tenv is None:
        return make_trial(folder, task, bundles, config.skills_dir)
    from .taskenv import make_box, task_limits

    limits = task_limits(task)
    if config.disk_mb:
        limits.disk_mb = config.disk_mb
    box = make_box(tenv, folder, kind=config.sandbox, limits=limits,
                   cache=config.env_cache, skills_dir=config.skills_dir)
    return make_sandboxed_trial(folder, task, bundles, tenv, box, config.skills_dir)


def run_trial(item: TrialPlan, runner: Runner, config: RunConfig, root: Path,
              judge: Judge | None, tenv: TaskEnvironment | None = None) -> TrialResult:
    started = time.monotonic()
    task, arm = item.task, item.arm
    bundles = arm.bundles_for(task.id)
    folder = root / f"{item.index:06d}-{task.id.translate(_SAFE)[:60]}"
    result = TrialResult(task.id, arm.name, item.trial, False, None, "ok",
                         skills=[b.to_dict() for b in bundles])
    if tenv is not None:
        result.detail["environment"] = {"hash": tenv.env_hash, "faithful": tenv.faithful,
                                        "blockers": tenv.blockers}
        if not tenv.ready:
            result.status, result.error = "error", "environment: " + "; ".join(tenv.blockers)
            result.wall_seconds = time.monotonic() - started
            return result
    dirs = None
    try:
        dirs, visible = _make(folder, task, bundles, config, tenv)
        if dirs.box is not None:
            result.detail["limits"] = dirs.box.limits_record()
        ctx = TrialContext(task, dirs, visible, config.skills_dir,
                           config.timeout or task.agent_timeout or DEFAULT_AGENT_TIMEOUT,
                           trial_seed(config.seed, task.id, item.trial), item.trial)
        try:
            outcome = runner.run(ctx)
        except EvalError:
            raise
        except Exception as exc:  # a broken agent is a failed trial, not a failed run
            outcome = AgentOutcome(status="error", error=f"runner crashed: {exc!r}")
        result.agent_seconds = time.monotonic() - ctx.started
        result.prompt_tokens, result.completion_tokens = (outcome.prompt_tokens,
                                                          outcome.completion_tokens)
        result.detail |= {"visible": visible, "skills_seen": outcome.skills_seen,
                         "turns": outcome.turns, "answer": outcome.answer[-2000:],
                         "agent_status": outcome.status}
        if outcome.log:
            result.detail["log"] = outcome.log[-4000:]
        checked = verify(task, dirs, outcome.answer, judge=judge,
                         timeout=config.verifier_timeout)
        result.verify_seconds = checked.seconds
        result.passed, result.reward = checked.passed, checked.reward
        result.detail["checks"] = checked.checks
        if not checked.passed:
            result.detail["reason"] = checked.reason or checked.error or "verifier said no"
            if outcome.status != "ok":
                result.detail["reason"] = f"agent {outcome.status}: {outcome.error}; " + \
                    result.detail["reason"]
        if outcome.status != "ok":
            result.status, result.error = outcome.status, outcome.error
        if checked.status != "ok":
            result.status = "error" if checked.status == "error" else "timeout"
            result.error = f"verifier: {checked.error}"
    except OSError as exc:
        result.status, result.error = "error", f"harness: {exc}"
    finally:
        if dirs is not None and dirs.box is not None:
            dirs.box.close()
        if not config.keep:
            shutil.rmtree(folder, ignore_errors=True)
    result.wall_seconds = time.monotonic() - started
    return result


def execute(
    tasks: Sequence[Task],
    arms: Sequence[PreparedArm],
    runner: Runner,
    config: RunConfig,
    *,
    judge: Judge | None = None,
    on_result: Callable[[TrialResult], None] | None = None,
    trial_numbers: Iterable[int] | None = None,
    environments: dict[str, TaskEnvironment] | None = None,
) -> list[TrialResult]:
    """Run every planned trial; ``on_result`` is called in this thread as each one ends.

    With a sandbox, ``environments`` (from :func:`prepare_environments`, built here when not
    given) says how each task's trials are set up."""
    config.check()
    runner.check(tasks)
    if environments is None:
        environments = prepare_environments(tasks, config)
    items = plan(tasks, arms, config.trials, config.seed, trial_numbers)
    own_root = config.root is None
    root = Path(tempfile.mkdtemp(prefix="skillyard-eval-")) if own_root else Path(config.root)
    root.mkdir(parents=True, exist_ok=True)
    run_root = Path(tempfile.mkdtemp(prefix="run-", dir=root))
    results: list[TrialResult] = []
    try:
        with ThreadPoolExecutor(max_workers=config.workers) as pool:
            pending: set[Future[TrialResult]] = set()
            queue = iter(items)
            for item in queue:
                pending.add(pool.submit(run_trial, item, runner, config, run_root, judge,
                                           environments.get(item.task.id)))
                if len(pending) >= config.workers * 2:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    results.append(result)
                    if on_result is not None:
                        on_result(result)
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(pool.submit(run_trial, nxt, runner, config, run_root, judge,
                                               environments.get(nxt.task.id)))
    finally:
        if not config.keep:
            shutil.rmtree(run_root, ignore_errors=True)
            if own_root:
                shutil.rmtree(root, ignore_errors=True)
    return sorted(results, key=lambda r: (r.task_id, r.arm, r.trial))
