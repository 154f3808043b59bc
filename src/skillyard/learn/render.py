"""Render a mined procedure as a skill folder: SKILL.md plus two reference files.

SKILL.md holds when to use the skill, the procedure (with its optional steps, either-order
steps and choices), pitfalls learned from failures, and provenance; ``references/step-graph.md``
draws the full step graph (mermaid) and ``references/trajectories.md`` lists every source run.
Output is deterministic for a given input.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..skill import DESCRIPTION_MAX, NAME_MAX, SKILL_FILE, render
from .folder import Files
from .graph import END, START, StepGraph
from .lessons import Lesson
from .model import Trajectory
from .procedure import Stage

GRAPH_FILE = "references/step-graph.md"
RUNS_FILE = "references/trajectories.md"
LISTED_RUNS = 12
GENERATOR = "skillyard learn"
# one case of a procedure: (title, note, its step graph, its stages, option terms)
CaseText = tuple[str, str, StepGraph, Sequence[Stage], dict[str, list[str]]]


def slug(text: str, limit: int = NAME_MAX) -> str:
    """A spec-valid skill name: lowercase letters, digits and single hyphens."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    value = value[:limit].rstrip("-")
    return value or "learned-skill"


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _code(action: str) -> str:
    return "`" + action.replace("`", "'") + "`"


def _chain(actions: Sequence[str], graph: StepGraph) -> str:
    parts = []
    for action in actions:
        label = _code(action)
        if graph.repeats.get(action, 0.0) >= 0.3:
            label += " (repeat as needed)"
        parts.append(label)
    return " then ".join(parts)


def _stage_lines(number: int, stage: Stage, graph: StepGraph,
                 option_terms: dict[str, list[str]], of: str = "successful runs") -> list[str]:
    if stage.kind == "step":
        return [f"{number}. {_chain(stage.options[0], graph)}"]
    if stage.kind == "either-order":
        items = " and ".join(_chain(o, graph) for o in stage.options)
        return [f"{number}. {items}, in either order"]
    if stage.kind == "optional":
        how = "Usually" if stage.shares[0] >= 0.5 else "Optionally"
        return [f"{number}. {how} {_chain(stage.options[0], graph)} "
                f"(done in {_pct(stage.shares[0])} of {of})"]
    head = "Depending on the case, one of" if stage.required else "If needed, one of"
    lines = [f"{number}. {head}:"]
    for option, share in zip(stage.options, stage.shares, strict=True):
        hint = option_terms.get(option[0])
        when = f"; requests mentioning {', '.join(hint)}" if hint else ""
        lines.append(f"   - {_chain(option, graph)} ({_pct(share)} of {of}{when})")
    return lines


def describe(name_terms: Sequence[str], graph: StepGraph, stages: Sequence[Stage],
             runs: int, wins: int) -> str:
    backbone = [s.options[0][0].split("(")[0] for s in stages if s.kind == "step"][:4]
    about = ", ".join(name_terms[:4]) if name_terms else "this kind of task"
    steps = " -> ".join(backbone) if backbone else "the steps below"
    text = (f"Step-by-step procedure for tasks about {about}, learned from {runs} agent runs "
            f"({wins} successful): {steps}. Use when a request involves {about}.")
    return text[:DESCRIPTION_MAX]


def _mermaid(graph: StepGraph) -> list[str]:
    ids = {START: "start", END: "finish"}
    for index, node in enumerate(graph.order(), start=1):
        ids[node] = f"n{index}"
    lines = ["```mermaid", "flowchart TD", '  start(["start"])', '  finish(["end"])']
    for node in graph.order():
        label = node.replace('"', "'")
        lines.append(f'  {ids[node]}["{label} ({_pct(graph.nodes[node])})"]')
    for (a, b), count in sorted(graph.edges.items()):
        lines.append(f"  {ids[a]} -->|{count}| {ids[b]}")
    lines.append("```")
    return lines


def _graph_file(name: str, graph: StepGraph) -> str:
    lines = [f"# Step graph of {name}", "",
             f"Induced from {graph.runs} successful runs. Boxes show the share of runs that took "
             "each step; arrows show how many runs went directly from one step to the next.", ""]
    lines += _mermaid(graph)
    if graph.optional:
        lines += ["", "## Optional steps", ""]
        lines += [f"- {_code(n)} ({_pct(graph.nodes[n])} of runs)" for n in graph.optional]
    if graph.interchangeable:
        lines += ["", "## Interchangeable pairs", ""]
        lines += [f"- {_code(a)} and {_code(b)}" for a, b in graph.interchangeable]
    if graph.branches:
        lines += ["", "## Branch points", ""]
        for branch in graph.branches:
            at = "the start" if branch.at == START else _code(branch.at)
            options = ", ".join(f"{_code(o)} ({_pct(s)})"
                                for o, s in zip(branch.options, branch.shares, strict=True))
            lines.append(f"- after {at}: {options}")
    if graph.paths:
        lines += ["", "## Most frequent paths", ""]
        for path, count in graph.paths:
            lines.append(f"- {count} run(s): " + " → ".join(_code(a) for a in path))
    return "\n".join(lines) + "\n"


def _runs_file(name: str, trajectories: Sequence[Trajectory]) -> str:
    lines = [f"# Source runs of {name}", "", "| run | outcome | source | task |",
             "|---|---|---|---|"]
    for traj in trajectories:
        task = _one_line(traj.task, 100).replace("|", "\\|")
        lines.append(f"| {traj.id} | {traj.outcome} | {traj.source} | {task} |")
    return "\n".join(lines) + "\n"


def render_files(
    name: str,
    trajectories: Sequence[Trajectory],
    terms: Sequence[str],
    graph: StepGraph,
    stages: Sequence[Stage],
    lessons: Sequence[Lesson],
    option_terms: dict[str, list[str]] | None = None,
    method: str = "offline",
    plain: tuple[str, Any] | None = None,
    cases: Sequence[CaseText] = (),
) -> Files:
    """The skill folder (path -> text) for one mined group. ``plain`` is (description,
    :class:`~skillyard.learn.naming.Intent`) for plain-words text; without it the older
    keyword description is written. With ``cases`` (title, note, graph, stages, option terms;
    see :mod:`.cases`) the procedure has one numbered subsection per case instead."""
    wins = sum(1 for t in trajectories if t.succeeded)
    losses = sum(1 for t in trajectories if t.failed)
    if plain is not None:
        description = plain[0]
    else:
        description = describe(terms, graph, stages, len(trajectories), wins)
    front = {
        "name": name,
        "description": description,
        "metadata": {"generated-by": GENERATOR, "method": method,
                     "runs": str(len(trajectories)), "successful-runs": str(wins)},
    }
    body: list[str] = ["", f"# {name.replace('-', ' ').capitalize()}", ""]
    body += ["## When to use", ""]
    if plain is not None:
        intent = plain[1]
        body += [f"Use this skill when someone asks to {intent.when()}."]
        if intent.examples:
            body += ["Requests like these:", ""]
            body += [f"- \"{_one_line(e)}\"" for e in intent.examples]
    else:
        about = ", ".join(terms[:6]) if terms else "the tasks in the examples below"
        body += [f"Use this skill for requests about {about}. Requests it was learned from:",
                 ""]
        examples = list(dict.fromkeys(_one_line(t.request) for t in trajectories
                                      if t.succeeded))
        examples = examples or list(dict.fromkeys(_one_line(t.request) for t in trajectories))
        body += [f"- \"{e}\"" for e in examples[:3]]
    body += ["", "## Procedure", ""]
    if cases:
        for title, note, case_graph, case_stages, terms_of in cases:
            body += [f"### {title}", "", note, ""]
            for number, stage in enumerate(case_stages, start=1):
                body += _stage_lines(number, stage, case_graph, terms_of, "these runs")
            body.append("")
        body.pop()
    elif stages:
        number = 1
        for stage in stages:
            body += _stage_lines(number, stage, graph, option_terms or {})
            number += 1
    else:
        body.append("No tool steps were common to the successful runs.")
    tools = Counter(a for t in trajectories for a in t.action_keys())
    if graph.nodes:
        body += ["", "Steps are tool calls written as `tool(argument names)`; see "
                 f"[the step graph]({GRAPH_FILE}) for every observed transition."]
    body += ["", "## Pitfalls", ""]
    if lessons:
        body += [f"- {les.text}" for les in lessons]
    else:
        body.append("- No failures with a clear cause were observed.")
    body += ["", "## Provenance", ""]
    sources = Counter(t.source.split("#", 1)[0] for t in trajectories)
    body.append(f"Mined by {GENERATOR} ({method}) from {len(trajectories)} runs: {wins} "
                f"successful, {losses} failed, {len(trajectories) - wins - losses} unlabelled; "
                f"{len(tools)} distinct actions.")
    body.append("")
    body += [f"- `{src}` ({count} runs)" for src, count in sorted(sources.items())]
    body += ["", "Runs: " + ", ".join(f"`{t.id}`" for t in trajectories[:LISTED_RUNS])
             + (f" and {len(trajectories) - LISTED_RUNS} more" if len(trajectories) > LISTED_RUNS
                else "") + f" (all listed in [{RUNS_FILE}]({RUNS_FILE}))."]
    skill_md = render(front, "\n".join(body) + "\n")
    return {SKILL_FILE: skill_md, GRAPH_FILE: _graph_file(name, graph),
            RUNS_FILE: _runs_file(name, trajectories)}
