"""Turn a step graph into an ordered procedure: steps, optional steps, either-order groups and
choices between alternatives.

Steps that (almost) every successful run takes are the backbone, ordered by their mean position.
The rarer steps between two backbone steps form a region; inside it, steps that usually occur
together form one chain, and chains that never occur in the same run are alternatives of one
choice. A chain with no alternative is optional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graph import StepGraph

BACKBONE = 0.85
TOGETHER = 0.8  # steps that co-occur this often form one chain


@dataclass
class Stage:
    kind: str  # step | either-order | optional | choice
    options: list[list[str]]  # one chain per option (a step is one option of one action)
    shares: list[float] = field(default_factory=list)  # share of runs taking each option

    @property
    def required(self) -> bool:
        return self.kind in ("step", "either-order") or (
            self.kind == "choice" and sum(self.shares) >= BACKBONE)

    @property
    def actions(self) -> list[str]:
        return [a for option in self.options for a in option]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "options": self.options,
                "shares": [round(s, 3) for s in self.shares], "required": self.required}


def _components(nodes: list[str], graph: StepGraph) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if graph.bound(a, b) >= TOGETHER:
                parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for node in nodes:  # nodes are in position order, so chains are too
        groups.setdefault(find(node), []).append(node)
    return list(groups.values())


def _exclusive(a: list[str], b: list[str], graph: StepGraph, limit: float) -> bool:
    return all(graph.together(x, y) < limit for x in a for y in b)


def _region(nodes: list[str], graph: StepGraph, exclusive: float) -> list[Stage]:
    choices: list[list[list[str]]] = []
    for chain in _components(nodes, graph):
        for choice in choices:
            if all(_exclusive(chain, other, graph, exclusive) for other in choice):
                choice.append(chain)
                break
        else:
            choices.append([chain])
    stages = []
    for choice in choices:
        shares = [max(graph.nodes[a] for a in chain) for chain in choice]
        stages.append(Stage("choice" if len(choice) > 1 else "optional", choice, shares))
    return stages


def plan(graph: StepGraph, exclusive: float = 0.2) -> list[Stage]:
    """The procedure as an ordered list of stages."""
    pairs = {frozenset(p) for p in graph.interchangeable}
    stages: list[Stage] = []
    region: list[str] = []
    for node in graph.order():
        share = graph.nodes[node]
        if share < BACKBONE:
            region.append(node)
            continue
        if region:
            stages.extend(_region(region, graph, exclusive))
            region = []
        last = stages[-1] if stages else None
        if (last is not None and last.kind in ("step", "either-order")
                and any(frozenset((a, node)) in pairs for a in last.actions)):
            last.kind = "either-order"
            last.options.append([node])
            last.shares.append(share)
        else:
            stages.append(Stage("step", [[node]], [share]))
    if region:
        stages.extend(_region(region, graph, exclusive))
    return stages
