"""Lessons from failures: what went wrong, and what the agent did to recover.

Four kinds, each with the trajectories that show it:

- ``recovery``: a tool call failed and a later call of the same tool succeeded; the lesson names
  the error (ids and numbers blanked), the steps taken in between and the arguments changed;
- ``dead-end``: an error after which the tool was never called successfully again, in a run
  that failed;
- ``pitfall``: an action common in failed runs and (almost) absent from successful ones;
- ``skipped-step``: a step every successful run takes that failed runs left out although they
  went on past the point where it belongs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .actions import error_signature, tool_of
from .graph import StepGraph, collapse
from .model import Action, Trajectory

RECOVERY_WINDOW = 6
PITFALL_LIFT = 3.0  # a pitfall is this many times more common in failed runs


@dataclass
class Lesson:
    kind: str  # recovery | dead-end | pitfall | skipped-step
    action: str
    text: str
    evidence: list[str] = field(default_factory=list)  # trajectory ids

    @property
    def count(self) -> int:
        return len(self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action, "text": self.text,
                "count": self.count, "evidence": self.evidence}


def _changed_arguments(before: Action, after: Action) -> list[str]:
    a, b = before.call.arguments, after.call.arguments
    if not isinstance(a, dict) or not isinstance(b, dict):
        return [] if a == b else ["arguments"]
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _recoveries(trajectories: list[Trajectory]) -> tuple[list[Lesson], list[Lesson]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    dead: dict[tuple[str, str], dict[str, Any]] = {}
    for traj in trajectories:
        actions = traj.actions()
        for i, action in enumerate(actions):
            if not action.failed:
                continue
            tool = tool_of(action.key)
            signature = error_signature(action.error or "")
            fix = next((j for j in range(i + 1, min(len(actions), i + 1 + RECOVERY_WINDOW))
                        if tool_of(actions[j].key) == tool and not actions[j].failed), None)
            if fix is None:
                if not traj.failed:
                    continue
                retried = any(tool_of(a.key) == tool for a in actions[i + 1:])
                if retried:
                    continue
                entry = dead.setdefault((tool, signature), {"ids": [], "example": action.error})
                if traj.id not in entry["ids"]:
                    entry["ids"].append(traj.id)
                continue
            entry = found.setdefault((tool, signature), {
                "ids": [], "between": Counter(), "changed": Counter(), "example": action.error})
            if traj.id not in entry["ids"]:
                entry["ids"].append(traj.id)
            for between in sorted({tool_of(a.key) for a in actions[i + 1:fix]} - {tool}):
                entry["between"][between] += 1
            entry["changed"].update(_changed_arguments(action, actions[fix]))
    recoveries = []
    for (tool, signature), entry in found.items():
        parts = []
        if entry["between"]:
            best, n = entry["between"].most_common(1)[0]
            if n * 2 >= len(entry["ids"]):
                parts.append(f"calling `{best}` first")
        if entry["changed"]:
            names = [k for k, _ in entry["changed"].most_common(3)]
            parts.append("retrying with a different " + ", ".join(f"`{k}`" for k in names))
        how = " and ".join(parts) if parts else "retrying the call"
        recoveries.append(Lesson(
            "recovery", tool,
            f'If `{tool}` fails with "{_quote(signature)}", runs recovered by {how}.',
            entry["ids"]))
    dead_ends = [
        Lesson("dead-end", tool,
               f'`{tool}` failing with "{_quote(signature)}" was never recovered from in '
               f"{len(entry['ids'])} failed runs; check its preconditions before calling it.",
               entry["ids"])
        for (tool, signature), entry in dead.items()
        if len(entry["ids"]) >= 2 and (tool, signature) not in found
    ]
    return recoveries, dead_ends


def _quote(text: str) -> str:
    return text.replace('"', "'").replace("`", "'")


def _pitfalls(successes: list[Trajectory], failures: list[Trajectory]) -> list[Lesson]:
    if len(failures) < 2:
        return []
    in_fail: dict[str, list[str]] = {}
    for traj in failures:
        for key in set(traj.action_keys()):
            in_fail.setdefault(key, []).append(traj.id)
    in_success = Counter(k for t in successes for k in set(t.action_keys()))
    out = []
    for key, ids in in_fail.items():
        fail_share = len(ids) / len(failures)
        success_share = in_success[key] / len(successes) if successes else 0.0
        if len(ids) < 2 or fail_share < 0.25 or fail_share < PITFALL_LIFT * success_share:
            continue
        if in_success[key]:
            text = (f"Be careful with `{key}`: it appears in {len(ids)} of {len(failures)} "
                    f"failed runs but only {in_success[key]} of {len(successes)} successful "
                    "runs; check that the task really calls for it before using it.")
        else:
            text = (f"Avoid `{key}`: it appears in {len(ids)} of {len(failures)} failed runs "
                    f"and in none of the {len(successes)} successful runs.")
        out.append(Lesson("pitfall", key, text, sorted(ids)))
    return out


def _skipped(graph: StepGraph, failures: list[Trajectory]) -> list[Lesson]:
    out = []
    required = [n for n in graph.order() if graph.nodes[n] >= 0.9]
    for node in required:
        ids = []
        position = graph.positions[node]
        for traj in failures:
            run = collapse(traj.action_keys())
            if node in run:
                continue
            later = [a for a in run if a in graph.positions and graph.positions[a] > position]
            if later:
                ids.append(traj.id)
        if len(ids) >= 2 and len(ids) >= 0.3 * len(failures):
            out.append(Lesson(
                "skipped-step", node,
                f"Do not skip `{node}`: every successful run did it; {len(ids)} failed runs "
                "went past it without doing it.", ids))
    return out


def mine_lessons(trajectories: list[Trajectory], graph: StepGraph, limit: int = 10) -> list[Lesson]:
    """Lessons for one group of runs, the best supported first (at most ``limit``)."""
    successes = [t for t in trajectories if t.succeeded]
    failures = [t for t in trajectories if t.failed]
    recoveries, dead_ends = _recoveries(trajectories)
    lessons = recoveries + dead_ends + _pitfalls(successes, failures) + _skipped(graph, failures)
    rank = {"recovery": 0, "pitfall": 1, "skipped-step": 2, "dead-end": 3}
    lessons.sort(key=lambda les: (-les.count, rank[les.kind], les.action, les.text))
    return lessons[:limit]
