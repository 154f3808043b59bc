"""One call that answers "does this skill help my agent on these tasks?": plan, run, store,
analyse. The CLI's ``skillyard eval run`` is a thin shell over :func:`run_experiment`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..skill import Skill
from .analysis import PER_TASK_RULES, Analysis, analyze
from .arms import (
    ArmSpec,
    PreparedArm,
    SkillRef,
    bundle_from_skill,
    parse_arms,
    parse_skill_ref,
    prepare_arms,
)
from .engine import RunConfig, TrialResult, execute, prepare_environments
from .errors import EvalError
from .judge import Judge
from .router import Router, library_router
from .runners.base import Runner
from .store import EvalStore
from .tasks import Task, TaskSet, load_tasks
from .verify import check_assertions, needs_judge

FLUSH_EVERY = 50
Progress = Callable[[int, int, TrialResult], None]


@dataclass
class Experiment:
    run_id: str | None
    spec: dict[str, Any]
    trials: list[TrialResult]
    analysis: Analysis


def resolve_skills(lib: Any, refs: Sequence[str]) -> list[SkillRef]:
    """Skill references; a path to a skill folder is indexed into the library first."""
    out: list[SkillRef] = []
    for text in refs:
        ref = parse_skill_ref(text)
        folder = Path(ref.ref).expanduser()
        if (folder / "SKILL.md").is_file():
            report = lib.index([str(folder)])
            if report.rejected:
                where, reason = report.rejected[0]
                raise EvalError(f"skill folder {folder} could not be loaded: {reason}")
            wanted = f"dir:{folder.resolve()}"
            ids = [i for i in report.ids if i == wanted] or report.ids[:1]
            if not ids:
                raise EvalError(f"skill folder {folder} holds no loadable skill")
            ref = SkillRef(ids[0], ref.version)
        else:
            ref = SkillRef(lib.resolve(ref.ref), ref.version)
        out.append(ref)
    return out


def _arm_record(arm: PreparedArm) -> dict[str, Any]:
    data = arm.spec.to_dict()
    if arm.per_task is None:
        data["bundles"] = [b.to_dict() for b in arm.fixed]
    else:
        data["routed"] = {task: [b.id for b in bundles] for task, bundles in arm.per_task.items()}
    return data


def as_task_set(tasks: TaskSet | Sequence[Task] | str | Path) -> TaskSet:
    if isinstance(tasks, TaskSet):
        return tasks
    if isinstance(tasks, str | Path):
        return load_tasks(tasks)
    return TaskSet("(given)", list(tasks))


def _check_grading(tasks: Sequence[Task], judge: Judge | None) -> None:
    judged = needs_judge(tasks)
    if judged and judge is None:
        raise EvalError(f"{len(judged)} task(s) have assertions only an LLM judge can check "
                        f"(first: {judged[0]}); configure an LLM (SKILLYARD_LLM_BASE_URL, "
                        "SKILLYARD_LLM_MODEL) and pass --judge")
    check_assertions(tasks)


def run_experiment(
    lib: Any,
    tasks: TaskSet | Sequence[Task] | str | Path,
    *,
    runner: Runner,
    skills: Sequence[str] = (),
    arms: str | Sequence[ArmSpec] = "none,skill",
    config: RunConfig | None = None,
    judge: Judge | None = None,
    router: Router | None = None,
    rule: str = "majority",
    n_boot: int = 2000,
    store: bool = True,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> Experiment:
    """Run every task under every arm k times, store the trials, and analyse them.

    ``skills`` are library refs (id, name, ``REF@vN``) or skill folders (indexed first);
    ``arms`` is an arm spec string (see :mod:`.arms`) or parsed specs.
    """
    config = config or RunConfig()
    config.check()
    task_set = as_task_set(tasks)
    if not task_set.tasks:
        raise EvalError("no tasks to run")
    skill_refs = resolve_skills(lib, skills)
    arm_specs = parse_arms(arms, skill_refs) if isinstance(arms, str) else list(arms)
    _check_grading(task_set.tasks, judge)
    runner.check(task_set.tasks)
    if router is None and any(a.kind == "routed" for a in arm_specs):
        router = library_router(lib)
    prepared = prepare_arms(lib, arm_specs, task_set.tasks, router)
    return run_prepared(task_set, prepared, runner=runner, config=config, judge=judge,
                        rule=rule, n_boot=n_boot, evals=EvalStore(lib.store) if store else None,
                        progress=progress, log=log)


def run_prepared(
    task_set: TaskSet,
    prepared: Sequence[PreparedArm],
    *,
    runner: Runner,
    config: RunConfig,
    judge: Judge | None = None,
    rule: str = "majority",
    n_boot: int = 2000,
    evals: EvalStore | None = None,
    baseline: str | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> Experiment:
    """Run arms whose skills are already loaded; store trials when ``evals`` is given.

    With a sandbox, each task's environment is checked and built first (``log`` hears about
    it); the run records each environment's hash (Dockerfile plus resolved packages)."""
    if rule not in PER_TASK_RULES:
        raise EvalError(f"unknown per-task rule {rule!r}; use one of {', '.join(PER_TASK_RULES)}")
    task_list = task_set.tasks
    config.check()
    environments = prepare_environments(task_list, config, log)
    spec: dict[str, Any] = {
        "tasks_source": task_set.source,
        "tasks": [{"id": t.id, "kind": t.kind, "digest": t.digest} for t in task_list],
        "skipped": task_set.skipped,
        "arms": [_arm_record(a) for a in prepared],
        "runner": runner.describe(),
        "config": config.to_dict(),
        "rule": rule,
        "baseline": baseline,
        "judge": judge.model if judge else None,
        "environments": {tid: {"hash": e.env_hash, "faithful": e.faithful,
                               "blockers": e.blockers, "notes": e.notes,
                               "python": e.python.version if e.python else None,
                               "packages": e.main.packages if e.main else {},
                               "image": e.image, "image_id": e.image_id}
                         for tid, e in environments.items()},
    }
    run_id = evals.create_run("experiment", spec) if evals else None
    total = len(task_list) * len(prepared) * config.trials
    results: list[TrialResult] = []
    buffer: list[TrialResult] = []

    def on_result(result: TrialResult) -> None:
        results.append(result)
        buffer.append(result)
        if evals is not None and run_id is not None and len(buffer) >= FLUSH_EVERY:
            evals.add_trials(run_id, buffer)
            buffer.clear()
        if progress is not None:
            progress(len(results), total, result)

    status = "failed"
    try:
        execute(task_list, prepared, runner, config, judge=judge, on_result=on_result,
                environments=environments)
        status = "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        if evals is not None and run_id is not None:
            evals.add_trials(run_id, buffer)
            evals.finish_run(run_id, status)
    trials = sorted(results, key=lambda r: (r.task_id, r.arm, r.trial))
    analysis = analyze(trials, baseline=baseline, rule=rule, seed=config.seed, n_boot=n_boot,
                       order=[a.name for a in prepared])
    return Experiment(run_id, spec, trials, analysis)


def compare_skills(
    tasks: TaskSet | Sequence[Task] | str | Path,
    candidate: Skill,
    baseline: Skill | None,
    *,
    runner: Runner,
    config: RunConfig | None = None,
    judge: Judge | None = None,
    rule: str = "majority",
    lib: Any = None,
) -> Experiment:
    """Paired comparison of two Skill values (stored or not): arm ``candidate`` against arm
    ``baseline`` (that skill, or no skill when None). Stores the run when ``lib`` is given."""
    config = config or RunConfig()
    config.check()
    task_set = as_task_set(tasks)
    _check_grading(task_set.tasks, judge)
    runner.check(task_set.tasks)
    read = lib.store.read_blob if lib is not None else None
    base = (PreparedArm(ArmSpec("baseline", "none")) if baseline is None else
            PreparedArm(ArmSpec("baseline", "skills"), fixed=(bundle_from_skill(baseline, 0,
                                                                                read),)))
    cand = PreparedArm(ArmSpec("candidate", "skills"),
                       fixed=(bundle_from_skill(candidate, 0, read),))
    return run_prepared(task_set, [base, cand], runner=runner, config=config, judge=judge,
                        rule=rule, evals=EvalStore(lib.store) if lib is not None else None,
                        baseline="baseline")


def load_experiment(lib: Any, ref: str, *, baseline: str | None = None,
                    rule: str | None = None, pairs: str = "baseline", n_boot: int = 2000,
                    confidence: float = 0.95, seed: int | None = None) -> Experiment:
    """Rebuild an experiment's analysis from its stored trials (nothing is rerun)."""
    evals = EvalStore(lib.store)
    record = evals.run(ref)
    if record.kind != "experiment":
        raise EvalError(f"run {record.id} is a {record.kind} run, not an experiment")
    trials = evals.trials(record.id)
    if not trials:
        raise EvalError(f"run {record.id} has no stored trials (status: {record.status})")
    spec = dict(record.spec)
    spec["id"], spec["status"], spec["created_at"] = record.id, record.status, record.created_at
    analysis = analyze(
        trials, baseline=baseline or spec.get("baseline"),
        rule=rule or spec.get("rule", "majority"),
        seed=spec.get("config", {}).get("seed", 0) if seed is None else seed,
        n_boot=n_boot, confidence=confidence, pairs=pairs,
        order=[a["name"] for a in spec.get("arms", [])],
    )
    return Experiment(record.id, spec, trials, analysis)
