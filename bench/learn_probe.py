"""Privacy and naming probe for ``skillyard learn``: person names planted in free text, the
scrubbing pass's speed, and the names of the learned skills.

Run: .venv/bin/python bench/learn_probe.py [--repeat 3]

1. Planted names. Each real run (τ-bench and SWE-agent) gets one sentence in its first request
   that names a person in prose only ("My colleague Tomasz Brennagh travels with me."): no
   structured field holds the name, so the harvest pass cannot know it. The names are our own:
   half of the given names are in skillyard's first-name list, half are not (invented), so the
   figure says what the list buys and what it cannot catch. The runs are scrubbed and mined by
   the scrubber without the given-name pass (baseline: yesterday's scrubber, which found names
   only after "I am", "my name is" ...) and with it (skillyard), in the same run. Reported: planted
   names left in the scrubbed runs and in the learned skills' files, and words the given-name
   pass replaced in the unplanted runs that no structured field names (possible false hits).
2. Speed: reading the runs vs reading + scrubbing them (CPU seconds, best of ``--repeat``).
3. Names: every learned skill's name must read as verb + object (no ``change-manage``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAJ = ROOT.parent / "shared" / "data" / "trajectories"
sys.path.insert(0, str(ROOT / "src"))

from skillyard.learn import load_paths  # noqa: E402
from skillyard.learn import privacy as privacy_module  # noqa: E402
from skillyard.learn.effects import name_problem  # noqa: E402
from skillyard.learn.miner import mine  # noqa: E402
from skillyard.learn.model import Trajectory  # noqa: E402
from skillyard.learn.privacy import scrub  # noqa: E402

# our own probe names: given names from the list, and invented ones that no list holds
LISTED = ("Tomasz", "Amara", "Kenji", "Ingrid", "Rahul", "Lucia", "Kwame", "Svetlana")
INVENTED = ("Brannoc", "Ilvetta", "Quorin", "Marisk", "Tavenor", "Oduvane", "Selkie", "Parvith")
SURNAMES = {"listed": ("Okafor", "Lindqvist", "Mbeki"),  # surnames are never in the list
            "invented": ("Brennagh", "Vaszary-Lund", "Thornquil")}
TEMPLATES = (
    "My colleague {first} {last} travels with me.",
    "{first} {last} from our team asked me to do this.",
    "Please also let {first} know when it is done.",
    "Thanks, {first}.",
)


def plant(runs: list[Trajectory], seed: int = 5) -> tuple[list[Trajectory], dict[str, str]]:
    """Runs with one planted sentence each; planted value -> "listed" or "invented"."""
    rng = random.Random(seed)
    out, planted = [], {}
    for n, traj in enumerate(runs):
        kind = "listed" if n % 2 == 0 else "invented"
        pool = LISTED if kind == "listed" else INVENTED
        first, last = rng.choice(pool), rng.choice(SURNAMES[kind])
        sentence = rng.choice(TEMPLATES).format(first=first, last=last)
        planted[first] = kind
        if last in sentence:
            planted[last] = kind
        steps = list(traj.steps)
        for i, step in enumerate(steps):
            if step.role == "user":
                steps[i] = replace(step, text=f"{step.text} {sentence}")
                break
        out.append(replace(traj, task=f"{traj.task} {sentence}", steps=tuple(steps)))
    return out, planted


@contextmanager
def without_given_names() -> Iterator[None]:
    """The scrubber as it was before the first-name list (baseline)."""
    saved = privacy_module.first_names
    privacy_module.first_names = lambda: frozenset()  # type: ignore[assignment]
    try:
        yield
    finally:
        privacy_module.first_names = saved  # type: ignore[assignment]


def _left(texts: list[str], planted: dict[str, str], kind: str) -> tuple[int, int]:
    import re

    values = [v for v, k in planted.items() if k == kind]
    blob = "\n".join(texts)
    left = sum(1 for v in values if re.search(r"(?<!\w)" + re.escape(v) + r"(?!\w)", blob))
    return left, len(values)


def probe(name: str, runs: list[Trajectory]) -> None:
    planted_runs, planted = plant(runs)
    print(f"\n{name}: {len(runs)} runs, {len(planted)} planted values")
    head = (f"  {'arm':<10} {'listed left (runs)':>19} {'invented left':>14} "
            f"{'left in skills':>15} {'extra <name> hits':>18}")
    print(head)
    for arm in ("baseline", "skillyard"):
        context = without_given_names() if arm == "baseline" else _nothing()
        with context:
            scrubbed = scrub(planted_runs).trajectories
            texts = [t.to_json() for t in scrubbed]
            skills = mine(planted_runs)
            files = [text for m in skills for text in m.files.values()]
            plain = scrub(runs)
        with without_given_names():
            before = scrub(runs)
        extra = sorted(set(v for v, k in plain.private.values.items() if k == "name")
                       - set(v for v, k in before.private.values.items() if k == "name"))
        listed = _left(texts, planted, "listed")
        invented = _left(texts, planted, "invented")
        in_skills = _left(files, planted, "listed")[0] + _left(files, planted, "invented")[0]
        print(f"  {arm:<10} {f'{listed[0]}/{listed[1]}':>19} "
              f"{f'{invented[0]}/{invented[1]}':>14} {in_skills:>15} {len(extra):>18}")
        if arm == "skillyard" and extra:
            print(f"    names the given-name pass adds in the unplanted runs: {', '.join(extra)}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def speed(repeat: int) -> None:
    print(f"\nScrubbing speed (CPU seconds, best of {repeat}):")
    for name in ("tau-bench", "swe-agent"):
        read = scrubbing = float("inf")
        count = 0
        for _ in range(repeat):
            start = time.process_time()
            runs = load_paths([TRAJ / name])
            read = min(read, time.process_time() - start)
            start = time.process_time()
            scrub(load_paths([TRAJ / name]))
            scrubbing = min(scrubbing, time.process_time() - start)
            count = len(runs)
        print(f"  {name:<10} read {count / read:>6.0f} runs/s; read + scrub "
              f"{count / scrubbing:>5.0f} runs/s (ratio {read / scrubbing:.2f})")


def names() -> None:
    print("\nLearned names (verb + object; glued names like change-manage are a regression):")
    for name in ("tau-bench", "swe-agent"):
        mined = mine(load_paths([TRAJ / name]))
        bad = [m.name for m in mined if name_problem(m.name) is not None]
        print(f"  {name}: {', '.join(m.name for m in mined)}")
        listed = f" ({', '.join(bad)})" if bad else ""
        print(f"    glued or verb-less names: {len(bad)}{listed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="speed repetitions")
    args = parser.parse_args()
    print("Planted person names (left = still present after scrubbing; lower is better):")
    for name in ("tau-bench", "swe-agent"):
        probe(name, load_paths([TRAJ / name]))
    speed(args.repeat)
    names()


if __name__ == "__main__":
    main()
