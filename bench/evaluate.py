"""Evaluation harness overhead: 100 tasks x 3 arms x 3 trials with a scripted policy.

Run: .venv/bin/python bench/evaluate.py [--tasks 100] [--trials 3] [--workers 1 2]
         [--sandbox bwrap none]

Baseline: the irreducible work of the same trials done by a bare loop - a fresh directory with
the task's files, the scripted agent (``bash solve.sh`` when the policy acts), then
``bash tests/test.sh`` and reading the reward. skillyard additionally plans and shuffles the
trials, injects each arm's skill from the library, enforces timeouts, records tokens and times,
stores every trial in SQLite and runs the statistics; with ``--sandbox bwrap`` (the default) it
also checks each task's environment (virtualenvs cached) and runs every process of a trial in
its own bubblewrap sandbox at the task's container paths; with ``none`` it rewrites container
paths on the host instead. The harness overhead per trial is (skillyard wall - baseline wall) /
trials, both measured in this run with the same number of workers. Targets: <= 50 ms per trial
without the sandbox, <= 100 ms with it, on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from skillyard import Library  # noqa: E402
from skillyard.evaluate import RunConfig, load_tasks, make_runner, run_experiment  # noqa: E402
from skillyard.evaluate.engine import prepare_environments  # noqa: E402
from skillyard.evaluate.workspace import rewrite_paths  # noqa: E402
from support.evaltasks import harbor_task, skill_folder  # noqa: E402

POLICY = "skill-gated@help-*,misled@hurt-*,oracle"
ARMS = "none,skill,v1=version:1"


def make_tasks(root: Path, n: int) -> None:
    for i in range(n):
        kind = "help" if i % 4 == 0 else "hurt" if i % 10 == 1 else "same"
        harbor_task(root, f"{kind}-{i:03d}")


def baseline(tasks_dir: Path, arms: int, trials: int, workers: int) -> float:
    """The same trials by a bare loop: copy files, maybe solve, verify, read the reward."""
    tasks = load_tasks(tasks_dir).tasks
    scratch = Path(tempfile.mkdtemp(prefix="bench-base-"))
    items = [(t, a, k) for t in tasks for a in range(arms) for k in range(trials)]

    def one(index: int) -> bool:
        task, arm, _k = items[index]
        trial = scratch / str(index)
        work = trial / "work"
        (trial / "logs" / "verifier").mkdir(parents=True)
        work.mkdir()
        shutil.copyfile(task.environment / "seed.txt", work / "seed.txt")
        if arm > 0:  # the with-skill arms see a skill
            skill = work / ".agents" / "skills" / "answer-writer"
            skill.mkdir(parents=True)
            (skill / "SKILL.md").write_text("---\nname: answer-writer\n---\nx\n")
        acts = (task.id.startswith("help") and arm > 0) or task.id.startswith("same") or (
            task.id.startswith("hurt") and arm == 0)
        mapping = [("/logs/verifier", str(trial / "logs" / "verifier")), ("/app", str(work))]
        if acts:
            solve = trial / "solve.sh"
            solve.write_text(rewrite_paths((task.solution / "solve.sh").read_text(), mapping))
            subprocess.run(["bash", str(solve)], cwd=work, check=True)
        test = trial / "test.sh"
        test.write_text(rewrite_paths((task.tests / "test.sh").read_text(), mapping))
        subprocess.run(["bash", str(test)], cwd=work, check=True)
        ok = (trial / "logs" / "verifier" / "reward.txt").read_text().strip() == "1"
        shutil.rmtree(trial)
        return ok

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        passed = sum(pool.map(one, range(len(items))))
    elapsed = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)
    assert passed > 0
    return elapsed


def skillyard_run(tasks_dir: Path, skill: Path, db: Path, trials: int, workers: int,
                  sandbox: str, cache: Path) -> tuple[float, object]:
    started = time.perf_counter()
    with Library(db) as lib:
        exp = run_experiment(lib, tasks_dir, runner=make_runner(f"scripted:{POLICY}"),
                             skills=["answer-writer"], arms=ARMS,
                             config=RunConfig(trials=trials, workers=workers, seed=1,
                                              sandbox=sandbox, env_cache=cache))
    return time.perf_counter() - started, exp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sandbox", nargs="+", default=["bwrap", "none"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    try:
        tasks_dir = tmp / "tasks"
        make_tasks(tasks_dir, args.tasks)
        folder = skill_folder(tmp / "skills", "answer-writer", body="First version.\n")
        with Library(tmp / "lib.db") as lib:
            lib.index([str(folder)])
            skill_folder(tmp / "skills", "answer-writer", body="Second version.\n")
            lib.index([str(folder)])
        n = args.tasks * 3 * args.trials
        print(f"{args.tasks} tasks x 3 arms ({ARMS}) x {args.trials} trials = {n} trials; "
              f"policy scripted:{POLICY}")
        print(f"{'sandbox':>7} {'workers':>7} {'baseline s':>11} {'skillyard s':>12} "
              f"{'ratio':>6} {'ms/trial':>9} {'overhead ms/trial':>18} "
              f"{'in-trial harness ms':>20}")
        cache = tmp / "envs"
        for sandbox in args.sandbox:
            if sandbox == "bwrap":  # build the (cached) environment once, before timing
                prepare_environments(load_tasks(tasks_dir).tasks[:1],
                                     RunConfig(env_cache=cache))
            for workers in args.workers:
                base = baseline(tasks_dir, 3, args.trials, workers)
                wall, exp = skillyard_run(tasks_dir, folder, tmp / "lib.db", args.trials,
                                          workers, sandbox, cache)
                inner = sum(t.wall_seconds - t.agent_seconds - t.verify_seconds
                            for t in exp.trials) / len(exp.trials)
                print(f"{sandbox:>7} {workers:>7} {base:>11.2f} {wall:>12.2f} "
                      f"{wall / base:>6.2f} {wall / n * 1000:>9.1f} "
                      f"{(wall - base) / n * 1000:>18.1f} {inner * 1000:>20.1f}")
        comps = {c.arm: c for c in exp.analysis.comparisons}
        for arm, c in comps.items():
            print(f"  {arm} vs none: helped {c.helped}, hurt {c.hurt}, p = {c.p_value:.3g}, "
                  f"difference {c.diff * 100:+.1f} pts [{c.diff_lo * 100:+.1f}, "
                  f"{c.diff_hi * 100:+.1f}], verdict: {c.verdict}")
        # the report is rebuilt from storage: time it too
        started = time.perf_counter()
        with Library(tmp / "lib.db") as lib:
            lib.evaluation("latest")
        print(f"report rebuilt from storage in {time.perf_counter() - started:.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
