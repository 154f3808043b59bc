"""Rank near-duplicate skills that claim the same job with a Swiss tournament.

Each player is one skill (``REF`` or ``REF@vN``). Every round pairs players of similar standing
who have not met; a match compares the two on a seeded sample of tasks, either by task outcome
(the better per-task pass rate over k trials wins the task) or by an LLM judge that reads both
answers in both orders. All task-level outcomes are fitted with Bradley-Terry into scores with
intervals. A skill's trials are run once per task and reused in every match it plays.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .arms import ArmSpec, PreparedArm, prepare_arms, short_label
from .engine import RunConfig, TrialResult, execute
from .errors import EvalError
from .experiment import as_task_set, resolve_skills
from .judge import Judge
from .ranking import Outcome, bradley_terry, bt_intervals, default_rounds, swiss_pairs
from .runners.base import Runner
from .store import EvalStore
from .tasks import Task, TaskSet
from .verify import check_assertions, needs_judge

COMPARE_MODES = ("outcome", "judge")


@dataclass
class Standing:
    player: str
    skill: str
    score: float
    lo: float
    hi: float
    wins: float
    losses: float
    ties: float
    points: float
    rank: int = 0


@dataclass
class Tournament:
    run_id: str | None
    spec: dict[str, Any]
    standings: list[Standing]
    matches: list[tuple[int, str, str, str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "spec": self.spec,
                "standings": [asdict(s) for s in self.standings],
                "matches": [{"round": r, "a": a, "b": b, "task": t, "outcome": o}
                            for r, a, b, t, o in self.matches]}


def standings(players: dict[str, str], matches: Sequence[tuple[int, str, str, str, float]],
              *, n_boot: int = 500, seed: int = 0, confidence: float = 0.95) -> list[Standing]:
    """Scores, intervals and win/loss/tie counts from stored match outcomes."""
    names = list(players)
    outcomes: list[Outcome] = [(a, b, t, o) for _r, a, b, t, o in matches]
    scores = bradley_terry(names, outcomes)
    intervals = bt_intervals(names, outcomes, n_boot=n_boot, seed=seed, confidence=confidence)
    tally: dict[str, list[float]] = {p: [0.0, 0.0, 0.0] for p in names}
    for a, b, _t, o in outcomes:
        for me, mine in ((a, o), (b, 1.0 - o)):
            tally[me][0 if mine == 1.0 else 1 if mine == 0.0 else 2] += 1
    points = _match_points(matches)
    rows = [Standing(p, players[p], scores[p], *intervals[p], *tally[p], points.get(p, 0.0))
            for p in names]
    rows.sort(key=lambda s: (-s.score, s.player))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows


def _match_points(matches: Sequence[tuple[int, str, str, str, float]]) -> dict[str, float]:
    per_match: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for rnd, a, b, _t, o in matches:
        per_match[(rnd, a, b)].append(o)
    points: dict[str, float] = defaultdict(float)
    for (_rnd, a, b), values in per_match.items():
        share = sum(values) / len(values)
        points[a] += 1.0 if share > 0.5 else 0.5 if share == 0.5 else 0.0
        points[b] += 1.0 if share < 0.5 else 0.5 if share == 0.5 else 0.0
    return dict(points)


def _task_outcome(a: list[TrialResult], b: list[TrialResult]) -> float:
    ra = sum(t.passed for t in a) / len(a)
    rb = sum(t.passed for t in b) / len(b)
    return 1.0 if ra > rb else 0.0 if ra < rb else 0.5


def run_tournament(
    lib: Any,
    tasks: TaskSet | Sequence[Task] | str | Path,
    skills: Sequence[str],
    *,
    runner: Runner,
    config: RunConfig | None = None,
    rounds: int | None = None,
    tasks_per_match: int | None = None,
    mode: str = "outcome",
    judge: Judge | None = None,
    n_boot: int = 500,
    store: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Tournament:
    config = config or RunConfig()
    config.check()
    if mode not in COMPARE_MODES:
        raise EvalError(f"compare mode must be one of {', '.join(COMPARE_MODES)}")
    if mode == "judge" and judge is None:
        raise EvalError("judge mode needs an LLM judge (set SKILLYARD_LLM_BASE_URL and "
                        "SKILLYARD_LLM_MODEL)")
    task_set = as_task_set(tasks)
    task_list = task_set.tasks
    if needs_judge(task_list) and judge is None:
        raise EvalError("some tasks have assertions only an LLM judge can check; pass --judge")
    check_assertions(task_list)
    refs = resolve_skills(lib, skills)
    if len(refs) < 2:
        raise EvalError("a tournament needs at least two skills")
    if len(set(refs)) != len(refs):
        raise EvalError("the same skill is listed twice")
    names: list[str] = []
    for ref in refs:
        base, n = short_label(ref), 2
        name = base
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    specs = [ArmSpec(n, "skills", (r,)) for n, r in zip(names, refs, strict=True)]
    prepared = {a.name: a for a in prepare_arms(lib, specs, task_list)}
    players = {n: f"{r.ref}@v{prepared[n].fixed[0].version}" for n, r in zip(names, refs,
                                                                            strict=True)}
    rounds = default_rounds(len(names)) if rounds is None else rounds
    if rounds < 1:
        raise EvalError("rounds must be 1 or more")
    per_match = min(tasks_per_match or len(task_list), len(task_list))
    if per_match < 1:
        raise EvalError("tasks per match must be 1 or more")
    spec = {"tasks_source": task_set.source, "players": players, "rounds": rounds,
            "tasks_per_match": per_match, "mode": mode, "runner": runner.describe(),
            "config": config.to_dict(), "judge": judge.model if judge else None,
            "tasks": [{"id": t.id, "digest": t.digest} for t in task_list]}
    evals = EvalStore(lib.store) if store else None
    run_id = evals.create_run("tournament", spec) if evals else None
    rng = random.Random(config.seed)
    cache: dict[tuple[str, str], list[TrialResult]] = {}
    matches: list[tuple[int, str, str, str, float]] = []
    played: set[frozenset[str]] = set()
    byes: set[str] = set()
    status = "failed"
    try:
        for rnd in range(1, rounds + 1):
            points = _match_points(matches)
            pairs, bye = swiss_pairs(names, points, played, byes, rng)
            if bye:
                byes.add(bye)
            chosen = {pair: rng.sample(task_list, per_match) for pair in pairs}
            _fill(cache, chosen, prepared, runner, config, judge, evals, run_id)
            new = []
            for (a, b), sample in chosen.items():
                played.add(frozenset((a, b)))
                for task in sample:
                    ta, tb = cache[(a, task.id)], cache[(b, task.id)]
                    if mode == "judge" and judge is not None:
                        outcome = judge.compare(task.instruction, ta[0].detail.get("answer", ""),
                                                tb[0].detail.get("answer", ""))
                    else:
                        outcome = _task_outcome(ta, tb)
                    new.append((rnd, a, b, task.id, outcome))
            matches.extend(new)
            if evals is not None and run_id is not None:
                evals.add_matches(run_id, new)
            if progress is not None:
                progress(f"round {rnd}/{rounds}: " + ", ".join(f"{a} vs {b}" for a, b in pairs)
                         + (f" (bye: {bye})" if bye else ""))
        status = "done"
    finally:
        if evals is not None and run_id is not None:
            evals.finish_run(run_id, status)
    table = standings(players, matches, n_boot=n_boot, seed=config.seed)
    return Tournament(run_id, spec, table, matches)


def _fill(cache: dict[tuple[str, str], list[TrialResult]],
          chosen: dict[tuple[str, str], list[Task]], prepared: dict[str, PreparedArm],
          runner: Runner, config: RunConfig, judge: Judge | None, evals: EvalStore | None,
          run_id: str | None) -> None:
    """Run the (player, task) trials this round needs that no earlier round ran."""
    needed: dict[str, dict[str, Task]] = defaultdict(dict)
    for (a, b), sample in chosen.items():
        for player in (a, b):
            for task in sample:
                if (player, task.id) not in cache:
                    needed[player][task.id] = task
    for player, tasks in needed.items():
        results = execute(list(tasks.values()), [prepared[player]], runner, config, judge=judge)
        for r in results:
            cache.setdefault((player, r.task_id), []).append(r)
        if evals is not None and run_id is not None:
            evals.add_trials(run_id, results)


def load_tournament(lib: Any, ref: str, *, n_boot: int = 500,
                    confidence: float = 0.95) -> Tournament:
    evals = EvalStore(lib.store)
    record = evals.run(ref)
    if record.kind != "tournament":
        raise EvalError(f"run {record.id} is a {record.kind} run, not a tournament")
    matches = evals.matches(record.id)
    spec = dict(record.spec)
    spec["id"], spec["status"] = record.id, record.status
    table = standings(spec["players"], matches, n_boot=n_boot,
                      seed=spec.get("config", {}).get("seed", 0), confidence=confidence)
    return Tournament(record.id, spec, table, matches)
