"""Step-graph induction from the action sequences of successful runs.

Nodes are normalised actions; an edge ``a -> b`` means *b may directly follow a*. The miner
(1) collapses immediate repeats (retries), (2) keeps actions seen in enough runs, (3) projects
every run onto the kept actions and counts direct-follows pairs, (4) keeps an edge when the
geometric mean of its share of the source's outgoing and the target's incoming transitions is
large enough, (5) when both ``a -> b`` and ``b -> a`` survive, keeps both only if they are
balanced (an interchangeable pair; a lopsided reverse edge is ordering noise), and (6) drops an
edge ``a -> c`` when some step almost always lies between ``a`` and ``c`` (a dropped or swapped
step, not a real shortcut).

On the resulting graph it names optional steps (a node with a bypass edge that not every run
visits), interchangeable pairs, branch points (a node whose successors never occur in the same
run) and the most frequent complete paths. Virtual nodes ``^`` and ``$`` mark start and end.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

START = "^"
END = "$"
Edge = tuple[str, str]


@dataclass(frozen=True)
class GraphParams:
    min_node_support: float = 0.15  # share of runs an action must appear in
    edge_share: float = 0.1  # geometric mean of the edge's share of out- and in-transitions
    reverse_ratio: float = 0.3  # minority/majority above which both directions are kept
    exclusive: float = 0.2  # co-occurrence share under which two steps are alternatives
    optional_below: float = 0.9  # coverage under which a bypassed step is optional
    bypass: float = 0.8  # an edge a->c is noise if some b lies between a and c this often
    backward_share: float = 0.3  # the stricter edge_share for edges that go back in the order


@dataclass(frozen=True)
class Branch:
    at: str
    options: tuple[str, ...]
    shares: tuple[float, ...]  # share of runs taking each option


@dataclass
class StepGraph:
    runs: int
    nodes: dict[str, float]  # action -> share of runs containing it
    positions: dict[str, float]  # action -> mean relative position of its first occurrence
    repeats: dict[str, float]  # action -> share of runs where it occurs more than once
    edges: dict[Edge, int]  # kept edges with their direct-follows counts
    cooccur: dict[Edge, int] = field(default_factory=dict)  # unordered pair -> runs with both
    optional: list[str] = field(default_factory=list)
    interchangeable: list[Edge] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    paths: list[tuple[tuple[str, ...], int]] = field(default_factory=list)

    def edge_set(self, terminals: bool = True) -> set[Edge]:
        if terminals:
            return set(self.edges)
        return {e for e in self.edges if START not in e and END not in e}

    def order(self) -> list[str]:
        return sorted(self.nodes, key=lambda n: (self.positions[n], n))

    def successors(self, node: str) -> list[str]:
        return sorted(b for a, b in self.edges if a == node)

    def together(self, a: str, b: str) -> float:
        """Share of the rarer step's runs in which both steps occur."""
        both = self.cooccur.get((a, b) if a < b else (b, a), 0)
        rarer = min(self.nodes.get(a, 0.0), self.nodes.get(b, 0.0)) * self.runs
        return both / rarer if rarer else 0.0

    def bound(self, a: str, b: str) -> float:
        """Share of the commoner step's runs in which both steps occur (symmetric: high only
        when each step nearly always comes with the other)."""
        both = self.cooccur.get((a, b) if a < b else (b, a), 0)
        commoner = max(self.nodes.get(a, 0.0), self.nodes.get(b, 0.0)) * self.runs
        return both / commoner if commoner else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "nodes": [{"action": n, "support": round(self.nodes[n], 3),
                       "position": round(self.positions[n], 3),
                       "repeats": round(self.repeats[n], 3)} for n in self.order()],
            "edges": [{"from": a, "to": b, "count": c} for (a, b), c in sorted(self.edges.items())],
            "optional": self.optional,
            "interchangeable": [list(p) for p in self.interchangeable],
            "branches": [{"at": b.at, "options": list(b.options),
                          "shares": [round(s, 3) for s in b.shares]} for b in self.branches],
            "paths": [{"path": list(p), "runs": c} for p, c in self.paths],
        }


def collapse(sequence: Sequence[str]) -> list[str]:
    """Drop immediate repeats (a retried step counts once)."""
    out: list[str] = []
    for item in sequence:
        if not out or out[-1] != item:
            out.append(item)
    return out


def induce(sequences: Sequence[Sequence[str]], params: GraphParams | None = None) -> StepGraph:
    """Induce the step graph of a set of (successful) runs."""
    p = params or GraphParams()
    runs = [list(s) for s in sequences]
    n = len(runs)
    if n == 0:
        return StepGraph(0, {}, {}, {}, {})
    support: Counter[str] = Counter()
    multi: Counter[str] = Counter()
    for run in runs:
        counts = Counter(run)
        support.update(counts.keys())
        multi.update(k for k, c in counts.items() if c > 1)
    floor = max(1, math.ceil(p.min_node_support * n))
    if n >= 3:
        floor = max(floor, 2)
    kept = {a for a, c in support.items() if c >= floor}
    projected = [collapse([a for a in run if a in kept]) for run in runs]

    follows: Counter[Edge] = Counter()
    first_pos: dict[str, list[float]] = {a: [] for a in kept}
    co: Counter[Edge] = Counter()
    for run in projected:
        chain = [START, *run, END]
        follows.update(zip(chain, chain[1:], strict=False))
        span = max(len(run) - 1, 1)
        seen: dict[str, int] = {}
        for index, action in enumerate(run):
            seen.setdefault(action, index)
        for action, index in seen.items():
            first_pos[action].append(index / span if len(run) > 1 else 0.5)
        present = sorted(seen)
        for i, a in enumerate(present):
            for b in present[i + 1:]:
                co[(a, b)] += 1

    out_total: Counter[str] = Counter()
    in_total: Counter[str] = Counter()
    for (a, b), c in follows.items():
        out_total[a] += c
        in_total[b] += c
    min_count = 2 if n >= 3 else 1
    edges = {
        (a, b): c for (a, b), c in follows.items()
        if a != b and c >= min_count
        and math.sqrt(c / out_total[a] * c / in_total[b]) >= p.edge_share
    }
    pairs: list[Edge] = []
    for (a, b) in list(edges):
        if (a, b) not in edges or (b, a) not in edges or a > b:
            continue
        fwd, back = edges[(a, b)], edges[(b, a)]
        if min(fwd, back) / max(fwd, back) < p.reverse_ratio:
            del edges[(a, b) if fwd < back else (b, a)]
        else:
            pairs.append((a, b))

    for edge in _bypasses(edges, projected, p.bypass):
        del edges[edge]
    positions = {a: sum(v) / len(v) if v else 0.5 for a, v in first_pos.items()}
    paired = {frozenset(pair) for pair in pairs}
    for (a, b), c in list(edges.items()):
        backward = a not in (START, END) and b not in (START, END) \
            and positions[b] < positions[a] and frozenset((a, b)) not in paired
        if backward and math.sqrt(c / out_total[a] * c / in_total[b]) < p.backward_share:
            del edges[(a, b)]  # a step repeated out of order, not a loop the runs follow
    nodes = {a: support[a] / n for a in kept}
    graph = StepGraph(
        runs=n, nodes=nodes, positions=positions,
        repeats={a: multi[a] / max(support[a], 1) for a in kept},
        edges=edges, cooccur=dict(co), interchangeable=sorted(pairs),
    )
    graph.optional = _optional(graph, p)
    graph.branches = _branches(graph, p)
    graph.paths = Counter(tuple(r) for r in projected).most_common(5)
    return graph


def _bypasses(edges: dict[Edge, int], runs: list[list[str]], share: float) -> list[Edge]:
    """Edges that skip a step which almost always lies between their ends (dropped-step or
    swapped-step noise rather than a real shortcut)."""
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    where = []
    for run in runs:
        chain = [START, *run, END]
        index: dict[str, list[int]] = {}
        for i, action in enumerate(chain):
            index.setdefault(action, []).append(i)
        where.append(index)
    out = []
    for (a, c) in edges:
        middles = [b for b in succ.get(a, ()) if b != c and c in succ.get(b, ())]
        if not middles:
            continue
        spans = []
        for index in where:
            if a not in index or c not in index:
                continue
            start = index[a][0]
            after = [i for i in index[c] if i > start]
            if after:
                spans.append((index, start, after[0]))
        if not spans:
            continue
        for b in middles:
            inside = sum(1 for index, lo, hi in spans
                         if any(lo < i < hi for i in index.get(b, ())))
            if inside / len(spans) >= share:
                out.append((a, c))
                break
    return out


def _optional(graph: StepGraph, p: GraphParams) -> list[str]:
    partners = {x for pair in graph.interchangeable for x in pair}
    out = []
    for node in graph.order():
        if graph.nodes[node] >= p.optional_below:
            continue
        preds = {a for a, b in graph.edges if b == node}
        succs = {b for a, b in graph.edges if a == node}
        if any((a, b) in graph.edges for a in preds for b in succs
               if a != b and not ({a, b} <= partners and (a, b) in graph.interchangeable)):
            out.append(node)
    return out


def _branches(graph: StepGraph, p: GraphParams) -> list[Branch]:
    out = []
    for node in [START, *graph.order()]:
        succs = [s for s in graph.successors(node) if s != END]
        options = [
            s for s in succs
            if any(graph.together(s, t) < p.exclusive for t in succs if t != s)
        ]
        if len(options) >= 2:
            shares = tuple(graph.nodes[s] for s in options)
            out.append(Branch(node, tuple(options), shares))
    return out


def prf(found: set[Edge], truth: set[Edge]) -> tuple[float, float, float]:
    """Precision, recall and F1 of a recovered edge set against the true one."""
    hit = len(found & truth)
    precision = hit / len(found) if found else 0.0
    recall = hit / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
