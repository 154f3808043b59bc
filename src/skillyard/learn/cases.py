"""Cases of a procedure: the runs that made the change asked for, and the runs that could not.

Successful runs of one intent do not all end the same way. An agent asked to cancel a flight
cancels it when the policy allows, and otherwise hands the customer to a human or explains why
not; both count as success. Mined together, the write step (``cancel_reservation``) falls below
the backbone share and the procedure shrinks to the lookups every run makes, so a held-out run
that does cancel finds most of its steps missing from the skill.

So when the request's verb asks for a write action (see :mod:`.effects`), at least
:data:`MIN_CASE_RUNS` successful runs make one such write and at least as many make none, each
side is mined on its own: first the case that carries the request out (its runs alone decide
its required steps), then the case that could not (what those runs did instead). Runs that
carry it out by different writes (refund to the card, or issue a credit) stay in one case, as
a choice. Otherwise there is one procedure, as before. Deterministic for a given input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .actions import tool_of
from .effects import agreeing_effects
from .graph import GraphParams, StepGraph, induce
from .model import Trajectory
from .naming import Intent
from .procedure import Stage, plan

MIN_CASE_RUNS = 2  # successful runs each side needs to become a case
_HAND_OFF = ("transfer_to_human", "handoff", "hand_off", "escalate")


@dataclass
class Case:
    """One way the successful runs of a group went."""

    title: str  # a heading: "When the request can be carried out"
    note: str  # one sentence on which runs these are
    runs: list[Trajectory]
    graph: StepGraph
    stages: list[Stage]


def _tools(traj: Trajectory) -> set[str]:
    return {tool_of(k) for k in traj.action_keys()}


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def split_cases(intent: Intent, runs: Sequence[Trajectory], params: GraphParams,
                exclusive: float) -> list[Case]:
    """Two cases (carried out, not carried out) or none (one procedure fits all runs)."""
    writes = {e.tool for e in agreeing_effects(intent, runs)}
    if not writes:
        return []
    done = [t for t in runs if writes & _tools(t)]
    other = [t for t in runs if not writes & _tools(t)]
    if len(done) < MIN_CASE_RUNS or len(other) < MIN_CASE_RUNS:
        return []
    shown = [f"`{tool}`" for tool in sorted(writes)[:3]]
    named = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    cases = []
    for part, title, note in (
        (done, "When the request can be carried out",
         f"{_pct(len(done), len(runs))} of the successful runs made the change with {named}:"),
        (other, "When it cannot be carried out as asked",
         f"The other {_pct(len(other), len(runs))} made no such change{_instead(other)}:"),
    ):
        graph = induce([t.action_keys() for t in part], params)
        if not graph.nodes:
            return []
        cases.append(Case(title, note, list(part), graph, plan(graph, exclusive)))
    return cases


def _instead(runs: Sequence[Trajectory]) -> str:
    """", most handed the request to a person with `transfer_to_human_agents`" or ""."""
    ends = Counter(tool for t in runs for tool in _tools(t)
                   if tool.lower().startswith(_HAND_OFF))
    if ends:
        tool, count = ends.most_common(1)[0]
        if count * 2 >= len(runs):
            return f"; most handed the request to a person with `{tool}`"
    return "; they explained why the request could not be done as asked"


__all__ = ["MIN_CASE_RUNS", "Case", "split_cases"]
