"""Real SkillsBench tasks under their own oracle: how many pass, and why the others do not.

Run: .venv/bin/python bench/skillsbench_oracle.py [TASKS] [--baseline] [--install-system-deps]
     [--workers 2] [--only a,b]

TASKS defaults to ../shared/data/eval-tasks/skillsbench. Every task runs ``scripted:oracle`` in
arm ``none`` (no skill) and arm ``bundled`` (the task's curated skills), sandboxed (bubblewrap,
environments built from PyPI once and cached). ``--baseline`` also runs the same trials the way
the harness did before the sandbox (``--sandbox none``: on the host, container paths
rewritten, skillyard's own Python) and prints both pass counts side by side.

The same numbers from the CLI::

    skillyard eval tasks ../shared/data/eval-tasks/skillsbench --check
    skillyard eval run ../shared/data/eval-tasks/skillsbench --arms none,bundled
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from skillyard import Library
from skillyard.evaluate import RunConfig, load_tasks, make_runner, run_experiment
from skillyard.evaluate.report import trial_reason
from skillyard.evaluate.taskenv import check_task

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval-tasks" / "skillsbench"


def run(tasks: list, sandbox: str, workers: int, system_deps: bool) -> tuple[dict, float]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-sb-") as tmp, \
            Library(Path(tmp) / "lib.db") as lib:
        exp = run_experiment(lib, tasks, runner=make_runner("scripted:oracle"),
                             arms="none,bundled",
                             config=RunConfig(workers=workers, sandbox=sandbox,
                                              install_system_deps=system_deps),
                             log=lambda line: print(f"  .. {line}", flush=True))
    return {(t.task_id, t.arm): t for t in exp.trials}, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--baseline", action="store_true",
                        help="also run with --sandbox none (the harness before the sandbox)")
    parser.add_argument("--install-system-deps", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated task ids")
    args = parser.parse_args()
    tasks = load_tasks(args.tasks).tasks
    if args.only:
        wanted = set(args.only.split(","))
        tasks = [t for t in tasks if t.id in wanted]
    checks = {t.id: check_task(t) for t in tasks}
    boxed, boxed_s = run(tasks, "bwrap", args.workers, args.install_system_deps)
    base, base_s = run(tasks, "none", args.workers, False) if args.baseline else ({}, 0.0)
    print(f"\n{'task':<34} {'faithful':>8} {'none':>5} {'bundled':>8}"
          + (f" {'no-sandbox bundled':>19}" if args.baseline else "") + "  why not")
    for task in tasks:
        env = checks[task.id]
        none, bundled = boxed[(task.id, "none")], boxed[(task.id, "bundled")]
        cells = f"{task.id:<34} {'yes' if env.faithful else 'no':>8} " \
                f"{'pass' if none.passed else 'fail':>5} {'pass' if bundled.passed else 'fail':>8}"
        if args.baseline:
            cells += f" {'pass' if base[(task.id, 'bundled')].passed else 'fail':>19}"
        why = "" if bundled.passed else trial_reason(bundled)[:160]
        if not env.faithful:
            why = (env.blockers[0][:120] + " | " + why)[:200]
        print(f"{cells}  {why}")
    faithful = [t.id for t in tasks if checks[t.id].faithful]
    passed = [t.id for t in tasks if boxed[(t.id, "bundled")].passed]
    needs_skill = [t for t in passed if not boxed[(t, "none")].passed]
    print(f"\nsandboxed oracle (bundled arm): {len(passed)} of {len(tasks)} tasks pass; "
          f"{len([t for t in passed if t in faithful])} of {len(faithful)} that can run "
          f"faithfully here ({boxed_s:.0f} s)")
    limits = {str(r.detail.get("limits", {}).get("mechanism")) for r in boxed.values()
              if r.detail.get("limits")}
    print(f"trial limits enforced by: {', '.join(sorted(limits)) or '-'}")
    print(f"tasks whose oracle needs the curated skill (pass with it, fail without): "
          f"{len(needs_skill)}: {', '.join(needs_skill) or '-'}")
    if args.baseline:
        base_passed = sum(base[(t.id, "bundled")].passed for t in tasks)
        print(f"baseline (--sandbox none, the earlier harness): {base_passed} of {len(tasks)} "
              f"pass ({base_s:.0f} s); sandboxed / baseline passes: "
              f"{len(passed)}/{base_passed}")


if __name__ == "__main__":
    main()
