"""Learning benchmark: step-graph recovery and offline mining throughput.

Run: .venv/bin/python bench/learn.py [--scripts 30] [--runs 60] [--repeat 5]

1. Graph recovery. Random ground-truth procedures (required, optional, either-order and
   alternative steps) are sampled into runs with noise at several levels (spurious and
   repeated actions, retries, dropped and swapped steps, failed runs). The miner's edge set is
   scored against the true one (precision / recall / F1, start and end edges included) next to
   two linear-script baselines on the same runs: the most frequent run, and the frequent steps
   chained in mean-position order. Targets: F1 >= 0.9 at moderate noise (0.1) while the
   baselines stay below 0.7.
2. Throughput on the real τ-bench file (200 runs): the baseline only reads the file (JSON
   parse + import into Trajectory values); skillyard reads, groups, induces graphs, mines
   lessons, renders and strictly validates SKILL.md candidates (today it also scrubs private
   data and embeds the requests to group them by intent). Was >= 200 trajectories/s before
   scrubbing; scrubbing is the price of sharing skills safely.
3. Held-out (``bench/learn_heldout.py``; skip with ``--no-heldout``): grouping purity on
   τ-bench, then 70/30 by task, learned by today's miner and by skillyard in the same run:
   routing top-3 against the 11K corpus + learned skills, step agreement, private values and
   poisoned steps in the emitted skills; ``--llm`` adds the same run through a local
   OpenAI-compatible test server (plumbing only).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from skillyard import Library
from skillyard.learn import load_file, mine
from skillyard.learn.graph import induce, prf
from skillyard.learn.simulate import linear_consensus, linear_mode, random_script, simulate

TAU = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trajectories" / \
    "tau-bench" / "gpt-4o-airline.json"
NOISE = (0.0, 0.05, 0.1, 0.2, 0.3)


def recovery(scripts: int, runs: int) -> list[tuple[float, dict[str, tuple[float, ...]]]]:
    rows = []
    for noise in NOISE:
        scores: dict[str, list[tuple[float, float, float]]] = {
            "miner": [], "mode": [], "consensus": []}
        for k in range(scripts):
            script = random_script(random.Random(k), n_blocks=8, index=k)
            seqs = [t.action_keys() for t in simulate(script, runs, noise, seed=k)
                    if t.succeeded]
            truth = script.true_edges()
            scores["miner"].append(prf(induce(seqs).edge_set(), truth))
            scores["mode"].append(prf(linear_mode(seqs), truth))
            scores["consensus"].append(prf(linear_consensus(seqs), truth))
        means = {name: tuple(statistics.mean(s[i] for s in values) for i in range(3))
                 for name, values in scores.items()}
        rows.append((noise, means))
    return rows


def throughput(repeat: int) -> tuple[int, float, float, int]:
    read_times, mine_times = [], []
    count = skills = 0
    for _ in range(repeat):
        start = time.perf_counter()
        runs = load_file(TAU)
        read_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        runs = load_file(TAU)
        mined = mine(runs)
        mine_times.append(time.perf_counter() - start)
        count, skills = len(runs), len(mined)
    return count, statistics.median(read_times), statistics.median(mine_times), skills


def end_to_end(repeat: int) -> tuple[int, float, list[str]]:
    """``Library.learn`` on the τ-bench file: mining plus the gate (the real auditor) and
    publishing into a fresh SQLite library each time."""
    times: list[float] = []
    statuses: list[str] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "lib.db") as lib:
            start = time.perf_counter()
            report = lib.learn([TAU])
            times.append(time.perf_counter() - start)
            statuses = [c.status for c in report.candidates if c.decision != "skip"]
    return 200, statistics.median(times), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=30, help="random procedures per level")
    parser.add_argument("--runs", type=int, default=60, help="runs sampled per procedure")
    parser.add_argument("--repeat", type=int, default=5, help="throughput repetitions")
    parser.add_argument("--heldout", action=argparse.BooleanOptionalAction, default=True,
                        help="run the held-out measurement (builds the corpus library once)")
    parser.add_argument("--llm", action="store_true", help="held-out: add an --llm run")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir())
                        / "skillyard-bench-learn", help="held-out: corpus library cache")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    print(f"\nGraph recovery: {args.scripts} random procedures x {args.runs} runs per noise "
          "level (mean edge precision / recall / F1)")
    header = (f"{'noise':>5}  {'miner P/R/F1':>18}  {'linear: mode run':>18}  "
              f"{'linear: consensus':>18}  {'F1 ratio':>8}")
    print(header)
    print("-" * len(header))
    for noise, means in recovery(args.scripts, args.runs):
        best = max(means["mode"][2], means["consensus"][2])
        cells = ["/".join(f"{v:.2f}" for v in means[k]) for k in ("miner", "mode", "consensus")]
        print(f"{noise:>5.2f}  {cells[0]:>18}  {cells[1]:>18}  {cells[2]:>18}  "
              f"{means['miner'][2] / best:>8.2f}")
    print("F1 ratio = miner F1 / the better baseline's F1")
    count, read, mined, skills = throughput(args.repeat)
    print(f"\nThroughput on {TAU.name} ({count} runs, median of {args.repeat}):")
    print(f"  baseline (read + import only): {count / read:>8.0f} trajectories/s")
    print(f"  skillyard learn --offline core: {count / mined:>7.0f} trajectories/s "
          f"({skills} skills mined)")
    print(f"  ratio skillyard/baseline: {(count / mined) / (count / read):.2f} "
          "(the share of time spent reading)")
    count, full, statuses = end_to_end(args.repeat)
    print(f"  Library.learn (mine + audit gate + SQLite): {count / full:>5.0f} trajectories/s "
          f"(candidates: {', '.join(statuses)})")
    if args.heldout:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import learn_heldout

        print()
        learn_heldout.print_grouping()
        print("\nHeld-out (70/30 by task) against the 11K corpus + learned skills:")
        rows = learn_heldout.run(args.cache, False)
        if args.llm:
            rows += learn_heldout.run(args.cache, True)
        learn_heldout.report(rows)


if __name__ == "__main__":
    main()
