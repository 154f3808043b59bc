"""SkillX-style levels: a strategic plan, functional skills and atomic skills.

Built from the shortest successful run of each task (the least detoured demonstration):

- functional skills are contiguous action sequences shared by the shortest runs of at least
  two tasks; near-duplicates (one contained in another) are merged into the longer one;
- the strategic plan orders the functional skills by where they occur in those runs;
- atomic skills describe each tool: its argument names, how often calls failed, and the
  lessons about it.

The result is a list of edit operations (a "Plan" section in SKILL.md and two reference
files), so it goes through the same apply / validate / gate path as every other edit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..actions import argument_shape, tool_of
from ..graph import collapse
from ..lessons import Lesson
from ..model import Trajectory
from .ops import EditOp

FUNCTIONS_FILE = "references/functional-skills.md"
ATOMIC_FILE = "references/atomic-skills.md"
MAX_FUNCTIONS = 8


def shortest_runs(trajectories: Sequence[Trajectory]) -> list[Trajectory]:
    """The shortest successful run of each task (by task id, else task text)."""
    best: dict[str, Trajectory] = {}
    for traj in trajectories:
        if not traj.succeeded and any(t.succeeded for t in trajectories):
            continue
        key = traj.task_id or " ".join(traj.task.split()).lower()
        current = best.get(key)
        if current is None or (len(traj.actions()), traj.id) < (len(current.actions()), current.id):
            best[key] = traj
    return [best[k] for k in sorted(best)]


def functional_segments(runs: Sequence[Trajectory], min_tasks: int = 2) -> list[tuple[str, ...]]:
    """Shared contiguous action sequences (length 2-5), longest and most shared first."""
    seqs = [collapse(r.action_keys()) for r in runs]
    counts: Counter[tuple[str, ...]] = Counter()
    for seq in seqs:
        grams = {tuple(seq[i:i + n]) for n in range(2, 6) for i in range(len(seq) - n + 1)}
        counts.update(grams)
    candidates = [g for g, c in counts.items() if c >= min_tasks]
    candidates.sort(key=lambda g: (-counts[g] * len(g), -len(g), g))
    chosen: list[tuple[str, ...]] = []
    for gram in candidates:
        if any(_contains(big, gram) or len(set(big) & set(gram)) * 2 > len(gram)
               for big in chosen):
            continue
        chosen.append(gram)
        if len(chosen) >= MAX_FUNCTIONS:
            break
    position: dict[tuple[str, ...], float] = {}
    for gram in chosen:
        spots = []
        for seq in seqs:
            for i in range(len(seq) - len(gram) + 1):
                if tuple(seq[i:i + len(gram)]) == gram:
                    spots.append(i / max(len(seq) - 1, 1))
                    break
        position[gram] = sum(spots) / len(spots) if spots else 1.0
    return sorted(chosen, key=lambda g: (position[g], g))


def _contains(big: tuple[str, ...], small: tuple[str, ...]) -> bool:
    return any(big[i:i + len(small)] == small for i in range(len(big) - len(small) + 1))


def _label(gram: tuple[str, ...]) -> str:
    return " → ".join(tool_of(a) for a in gram)


def level_ops(trajectories: Sequence[Trajectory], lessons: Sequence[Lesson] = ()) -> list[EditOp]:
    """Edit operations that add the three levels to a skill."""
    runs = shortest_runs(trajectories)
    grams = functional_segments(runs)
    support = tuple(t.id for t in runs)
    ops: list[EditOp] = []
    plan = ["Learned from the shortest successful run of each of "
            f"{len(runs)} tasks. Work through these functions in order, skipping those the "
            f"task does not need (details in [{FUNCTIONS_FILE}]({FUNCTIONS_FILE}); per-tool "
            f"notes in [{ATOMIC_FILE}]({ATOMIC_FILE})):", ""]
    if grams:
        plan += [f"{i}. F{i}: {_label(g)}" for i, g in enumerate(grams, start=1)]
    else:
        plan.append("1. No action sequence was shared by two tasks; follow the procedure.")
    ops.append(EditOp("add_section", section="Plan", text="\n".join(plan),
                      reason="strategic level (SkillX)", support=support))
    functions = ["# Functional skills", "",
                 "Action sequences shared by the shortest successful runs of several tasks.", ""]
    seqs = [collapse(r.action_keys()) for r in runs]
    for i, gram in enumerate(grams, start=1):
        used = sum(1 for s in seqs if any(tuple(s[j:j + len(gram)]) == gram
                                          for j in range(len(s) - len(gram) + 1)))
        functions += [f"## F{i}: {_label(gram)}", "", f"Used by {used} of {len(runs)} tasks.", ""]
        functions += [f"{n}. `{a}`" for n, a in enumerate(gram, start=1)] + [""]
    ops.append(EditOp("create_file", file=FUNCTIONS_FILE, text="\n".join(functions),
                      reason="functional level (SkillX)", support=support))
    ops.append(EditOp("create_file", file=ATOMIC_FILE, text=_atomic(trajectories, lessons),
                      reason="atomic level (SkillX)", support=support))
    return ops


def _atomic(trajectories: Sequence[Trajectory], lessons: Sequence[Lesson]) -> str:
    calls: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    shapes: dict[str, Counter[str]] = {}
    for traj in trajectories:
        for action in traj.actions():
            tool = tool_of(action.key)
            calls[tool] += 1
            failed[tool] += action.failed
            shapes.setdefault(tool, Counter())[argument_shape(action.call.arguments)] += 1
    lines = ["# Atomic skills", "", "One entry per tool seen in the runs.", ""]
    for tool in sorted(calls):
        shape = shapes[tool].most_common(1)[0][0] or "(free text)"
        lines += [f"## {tool}", "", f"- arguments: `{shape}`",
                  f"- calls: {calls[tool]}, failed: {failed[tool]}"]
        lines += [f"- {les.text}" for les in lessons if les.action.split("(")[0] == tool]
        lines.append("")
    return "\n".join(lines)
