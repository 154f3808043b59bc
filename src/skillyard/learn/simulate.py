"""Simulated trajectories from known step graphs, for testing and benchmarking the miner.

A :class:`Script` is a ground-truth procedure made of blocks: a required step, an optional step,
an interchangeable pair (either order), or a choice between alternative sub-sequences. Its true
edge set is the direct-follows relation of every valid run (with ``^``/``$`` for start/end).
:func:`simulate` samples runs and adds noise at a given level: spurious actions (distractor tools
or a repeat of an earlier step), retried steps whose first attempt fails, dropped steps, swapped
neighbours, and failed runs that take a known pitfall action and stop on an error.

The linear baselines turn the same runs into a single script (the most frequent run, or the
frequent steps in mean-position order), as script-learning methods that ignore branches do.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .graph import END, START, Edge, collapse
from .model import Step, ToolCall, Trajectory

VERBS = ("fetch", "check", "update", "create", "verify", "list", "compute", "notify", "search",
         "approve", "archive", "lookup", "validate", "submit", "confirm", "transfer", "merge",
         "tag", "scan", "export")
NOUNS = ("order", "invoice", "account", "ticket", "shipment", "refund", "profile", "report",
         "payment", "booking", "record", "policy", "device", "license", "member", "schedule")
TOPICS = (
    ("refund", "damaged", "parcel", "return"), ("invoice", "overdue", "billing", "reminder"),
    ("password", "locked", "login", "reset"), ("flight", "rebook", "delay", "seat"),
    ("subscription", "upgrade", "plan", "tier"), ("warranty", "repair", "broken", "device"),
    ("payroll", "salary", "bonus", "employee"), ("shipping", "address", "change", "courier"),
)
FILLER = ("quickly", "today", "customer", "asked", "kindly", "needs", "help", "issue", "request")


@dataclass(frozen=True)
class Block:
    kind: str  # step | optional | swap | choice
    items: tuple[tuple[str, ...], ...]
    skip: float = 0.0  # optional: probability of skipping
    weights: tuple[float, ...] = ()  # choice: probability of each option

    def variants(self) -> list[tuple[str, ...]]:
        if self.kind == "step":
            return [self.items[0]]
        if self.kind == "optional":
            return [(), self.items[0]]
        if self.kind == "swap":
            return [tuple(itertools.chain(*perm)) for perm in itertools.permutations(self.items)]
        return list(self.items)

    def sample(self, rng: random.Random) -> tuple[str, ...]:
        if self.kind == "step":
            return self.items[0]
        if self.kind == "optional":
            return () if rng.random() < self.skip else self.items[0]
        if self.kind == "swap":
            order = list(self.items)
            rng.shuffle(order)
            return tuple(itertools.chain(*order))
        return rng.choices(self.items, weights=self.weights or None)[0]


@dataclass(frozen=True)
class Script:
    name: str
    blocks: tuple[Block, ...]
    topic: tuple[str, ...]
    pitfalls: tuple[str, ...] = ()

    def actions(self) -> list[str]:
        return sorted({a for b in self.blocks for item in b.items for a in item})

    def language(self) -> list[tuple[str, ...]]:
        """Every valid run (the product of each block's variants)."""
        runs = []
        for combo in itertools.product(*(b.variants() for b in self.blocks)):
            runs.append(tuple(itertools.chain(*combo)))
        return runs

    def true_edges(self) -> set[Edge]:
        edges: set[Edge] = set()
        for run in self.language():
            chain = [START, *run, END]
            edges.update(zip(chain, chain[1:], strict=False))
        return edges

    def sample(self, rng: random.Random) -> list[str]:
        return [a for b in self.blocks for a in b.sample(rng)]


def action_name(key: str) -> str:
    return key.split("(", 1)[0]


def random_script(rng: random.Random, n_blocks: int = 8, index: int = 0) -> Script:
    """A random procedure with steps, optional steps, swaps and choices (unique actions)."""
    names = [f"{v}_{n}" for v in VERBS for n in NOUNS]
    rng.shuffle(names)
    pool = iter(names)

    def fresh() -> str:
        return f"{next(pool)}(id)"

    blocks: list[Block] = [Block("step", ((fresh(),),))]
    kinds = ["step", "optional", "swap", "choice"]
    for _ in range(n_blocks - 2):
        kind = rng.choices(kinds, weights=(0.4, 0.2, 0.2, 0.2))[0]
        if kind == "step":
            blocks.append(Block("step", ((fresh(),),)))
        elif kind == "optional":
            blocks.append(Block("optional", ((fresh(),),), skip=rng.uniform(0.3, 0.5)))
        elif kind == "swap":
            blocks.append(Block("swap", ((fresh(),), (fresh(),))))
        else:
            count = rng.choice((2, 2, 3))
            options = tuple(tuple(fresh() for _ in range(rng.choice((1, 2))))
                            for _ in range(count))
            weights = tuple(rng.uniform(0.8, 1.2) for _ in range(count))
            blocks.append(Block("choice", options, weights=weights))
        if blocks[-1].kind != "step" and blocks[-2].kind != "step":
            blocks.append(Block("step", ((fresh(),),)))
    blocks.append(Block("step", ((fresh(),),)))
    topic = TOPICS[index % len(TOPICS)]
    pitfalls = (f"{next(pool)}(force)", f"{next(pool)}(force)")
    return Script(f"script-{index}", tuple(blocks), topic, pitfalls)


def noisy_run(script: Script, rng: random.Random, noise: float,
              distractors: int = 30) -> tuple[list[str], list[bool]]:
    """A sampled run with noise; returns actions and whether each attempt failed."""
    base = script.sample(rng)
    out: list[str] = []
    failed: list[bool] = []
    i = 0
    while i < len(base):
        action = base[i]
        if i > 0 and i < len(base) - 1 and rng.random() < noise / 3:
            i += 1  # dropped step
            continue
        if i < len(base) - 1 and rng.random() < noise / 3:
            base[i], base[i + 1] = base[i + 1], base[i]  # swapped neighbours
            action = base[i]
        if rng.random() < noise / 2:
            out.append(action)
            failed.append(True)  # a retried step: the first attempt fails
        out.append(action)
        failed.append(False)
        if rng.random() < noise:
            if rng.random() < 0.5 or len(out) < 2:
                out.append(f"noise_{rng.randrange(distractors)}(q)")
            else:
                out.append(rng.choice(out[:-1]))
            failed.append(False)
        i += 1
    return out, failed


def to_trajectory(script: Script, actions: Sequence[str], failed: Sequence[bool],
                  outcome: str, ident: str, rng: random.Random) -> Trajectory:
    words = list(script.topic) + rng.sample(FILLER, 3)
    rng.shuffle(words)
    steps = [Step("user", "Please handle this " + " ".join(words) + ".")]
    for number, (key, bad) in enumerate(zip(actions, failed, strict=True)):
        name, _, rest = key.partition("(")
        args = {arg: f"v{number}" for arg in rest.rstrip(")").split(",") if arg}
        call_id = f"c{number}"
        steps.append(Step("assistant", "", (ToolCall(name, args, call_id),)))
        text = f"Error: {name} rejected the request (code {number})" if bad else "ok"
        steps.append(Step("tool", text, tool_call_id=call_id, name=name))
    return Trajectory(
        id=ident, source=f"simulated:{script.name}", format="simulated", task=steps[0].text,
        steps=tuple(steps), outcome=outcome,  # type: ignore[arg-type]
        reward=1.0 if outcome == "success" else 0.0, task_id=None,
        metadata={"script": script.name},
    )


def simulate(script: Script, runs: int, noise: float, seed: int = 0,
             failure_rate: float = 0.2) -> list[Trajectory]:
    """``runs`` trajectories of ``script`` at a noise level; a share of them fail."""
    rng = random.Random(f"{script.name}:{seed}:{noise}")
    out = []
    for number in range(runs):
        actions, failed = noisy_run(script, rng, noise)
        outcome = "success"
        if rng.random() < failure_rate:
            cut = rng.randrange(1, max(len(actions), 2))
            actions = actions[:cut] + [rng.choice(script.pitfalls)]
            failed = list(failed[:cut]) + [True]
            outcome = "failure"
        out.append(to_trajectory(script, actions, failed, outcome,
                                 f"{script.name}-run{number}", rng))
    return out


def linear_mode(sequences: Sequence[Sequence[str]]) -> set[Edge]:
    """Baseline: the most frequent run, as one linear script."""
    if not sequences:
        return set()
    counts = Counter(tuple(collapse(s)) for s in sequences)
    best = min(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]
    chain = [START, *best, END]
    return set(zip(chain, chain[1:], strict=False))


def linear_consensus(sequences: Sequence[Sequence[str]], min_support: float = 0.5) -> set[Edge]:
    """Baseline: steps in at least half the runs, chained in mean-position order."""
    runs = [collapse(s) for s in sequences]
    if not runs:
        return set()
    support: Counter[str] = Counter()
    position: dict[str, float] = {}
    for run in runs:
        span = max(len(run) - 1, 1)
        for action in dict.fromkeys(run):
            support[action] += 1
            position[action] = position.get(action, 0.0) + run.index(action) / span
    keep = [a for a, c in support.items() if c / len(runs) >= min_support]
    keep.sort(key=lambda a: (position[a] / support[a], a))
    chain = [START, *keep, END]
    return set(zip(chain, chain[1:], strict=False))
