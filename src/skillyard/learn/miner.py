"""The offline miner: trajectories -> groups -> step graphs + lessons -> candidate skills.

No LLM is involved; the result is deterministic for a given input. Groups whose runs carry no
outcome label at all (typical of raw agent logs) are mined as if every run succeeded; groups
with labels use only their successful runs for the procedure and their failed runs for lessons.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..skill import Provenance, Skill
from .actions import tool_of
from .cases import Case, split_cases
from .effects import effect_intent
from .folder import Files, build_skill
from .graph import GraphParams, StepGraph, induce
from .grouping import DEFAULT_THRESHOLD, Group, group_by_task
from .intent import group_by_intent, intent_text
from .lessons import Lesson, mine_lessons
from .model import Trajectory
from .naming import Intent, describe, infer_intent, unique_name
from .privacy import local_source, scrub
from .procedure import Stage, plan
from .render import render_files, slug
from .textsim import top_terms, words

LEARNED_PREFIX = "learned:"


@dataclass(frozen=True)
class MineOptions:
    min_runs: int = 3  # a group needs this many runs ...
    min_successes: int = 2  # ... and this many successful ones to become a skill
    group_threshold: float = DEFAULT_THRESHOLD
    graph: GraphParams = field(default_factory=GraphParams)
    max_lessons: int = 10
    grouping: str = "intent"  # "intent" (what was asked) or "task" (words + tools, older)
    naming: str = "plain"  # "plain" (verb + object, sentences) or "tools" (older)
    intent_threshold: float | None = None  # None: the embedder's default (see .intent)
    cases: bool = True  # mine "carried out" and "could not" runs apart (see .cases)


@dataclass
class MinedSkill:
    """One candidate skill with everything it was built from."""

    name: str
    group: Group
    graph: StepGraph
    stages: list[Stage]
    lessons: list[Lesson]
    files: Files
    skill: Skill
    cases: list[Case] = field(default_factory=list)  # empty: one procedure for every run

    @property
    def trajectories(self) -> list[Trajectory]:
        return self.group.trajectories

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "id": self.skill.id, "group": self.group.key,
            "terms": self.group.terms, "runs": len(self.trajectories),
            "successful": sum(1 for t in self.trajectories if t.succeeded),
            "graph": self.graph.to_dict(), "procedure": [s.to_dict() for s in self.stages],
            "cases": [{"title": c.title, "runs": [t.id for t in c.runs],
                       "procedure": [s.to_dict() for s in c.stages]} for c in self.cases],
            "lessons": [les.to_dict() for les in self.lessons],
            "trajectories": [t.id for t in self.trajectories],
        }


def learning_runs(trajectories: Sequence[Trajectory]) -> list[Trajectory]:
    """The runs a procedure is learned from: the successful ones, or all when none is labelled."""
    wins = [t for t in trajectories if t.succeeded]
    if wins:
        return wins
    if all(t.outcome == "unknown" for t in trajectories):
        return list(trajectories)
    return []


def _option_terms(stages: list[Stage], runs: list[Trajectory]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    docs = [(set(t.action_keys()), set(words(t.task))) for t in runs]
    for stage in stages:
        if stage.kind != "choice":
            continue
        for option in stage.options:
            inside: Counter[str] = Counter()
            outside: Counter[str] = Counter()
            n_in = n_out = 0
            for acts, terms in docs:
                if option[0] in acts:
                    inside.update(terms)
                    n_in += 1
                elif any(o[0] in acts for o in stage.options):
                    outside.update(terms)
                    n_out += 1
            found = top_terms(inside, outside, n_in, n_out, limit=3) if n_out else []
            if found:
                out[option[0]] = found
    return out


def group_runs(trajectories: Sequence[Trajectory], options: MineOptions | None = None
               ) -> list[Group]:
    """Groups to learn from: by intent (default) or by task words and tools."""
    opts = options or MineOptions()
    if opts.grouping == "task":
        return group_by_task(list(trajectories), threshold=opts.group_threshold)
    return group_by_intent(trajectories, threshold=opts.intent_threshold)


def key_steps(stages: Sequence[Stage], graph: StepGraph) -> list[str]:
    """The steps a description names: the required ones, else those most runs took."""
    required = [s.options[0][0] for s in stages if s.required]
    if required:
        return required
    common = [n for n in graph.order() if graph.nodes[n] >= 0.4]
    return common or sorted(graph.nodes, key=lambda n: (-graph.nodes[n], n))[:1]


def group_intent(group: Group) -> Intent:
    """What the group's requests ask for, named by what its runs change when the request verb
    does not say it (see :mod:`skillyard.learn.effects`)."""
    requests = group.requests or list(dict.fromkeys(intent_text(t) for t in group.trajectories))
    intent = infer_intent(requests, group.terms)
    return effect_intent(intent, learning_runs(group.trajectories) or group.trajectories)


def name_group(group: Group, everyone: Sequence[Trajectory], taken: set[str],
               options: MineOptions | None = None) -> str:
    """A unique skill name: verb + object from the requests, or (older) from the tools."""
    opts = options or MineOptions()
    if opts.naming == "tools":
        return skill_name(group, everyone, taken)
    intent = group_intent(group)
    if intent.name in taken:  # another group makes the same change: its requests tell apart
        requests = group.requests or list(dict.fromkeys(
            intent_text(t) for t in group.trajectories))
        asked = infer_intent(requests, group.terms)
        if asked.name not in taken:
            return asked.name
    return unique_name(intent, taken, group.terms)


def skill_name(group: Group, everyone: Sequence[Trajectory], taken: set[str]) -> str:
    """A name from the tool most specific to the group (or its words), unique among ``taken``."""
    runs = learning_runs(group.trajectories) or group.trajectories
    inside = Counter(tool for t in runs for tool in {tool_of(k) for k in t.action_keys()})
    total = Counter(tool for t in everyone for tool in {tool_of(k) for k in t.action_keys()})
    best, best_score = None, 0.0
    for tool, count in sorted(inside.items()):
        p_in = count / len(runs)
        p_all = total[tool] / max(len(everyone), 1)
        if p_in < 0.3 or p_in < 1.5 * p_all:
            continue
        score = p_in * math.log(1.0 + p_in / max(p_all, 1e-9))
        if score > best_score:
            best, best_score = tool, score
    specific = best is not None and re.search(r"[a-z][_-]?[A-Z_-][a-z]", best) is not None
    if best is not None and (specific or not group.terms):
        base = slug(best)
    else:
        base = slug("-".join(group.terms[:3]))
    name, number = base, 2
    while name in taken:
        suffix = f"-{number}"
        name = base[: 64 - len(suffix)] + suffix
        number += 1
    return name


def mine_group(group: Group, name: str, options: MineOptions | None = None,
               skill_id: str | None = None) -> MinedSkill | None:
    """A candidate skill for one group, or None when it has too little to learn from."""
    opts = options or MineOptions()
    runs = learning_runs(group.trajectories)
    if len(group.trajectories) < opts.min_runs or len(runs) < opts.min_successes:
        return None
    graph = induce([t.action_keys() for t in runs], opts.graph)
    if not graph.nodes:
        return None
    stages = plan(graph, opts.graph.exclusive)
    lessons = mine_lessons(group.trajectories, graph, opts.max_lessons)
    intent = group_intent(group)
    cases = split_cases(intent, runs, opts.graph, opts.graph.exclusive) if opts.cases else []
    if cases:  # the skill does what was asked: its main steps are those of the runs that did
        stages = cases[0].stages
    plain = None
    if opts.naming == "plain":
        steps = key_steps(stages, cases[0].graph if cases else graph)
        plain = (group.description or describe(intent, steps), intent)
    shown = [(c.title, c.note, c.graph, c.stages, _option_terms(c.stages, c.runs))
             for c in cases]
    files = render_files(name, group.trajectories, group.terms, graph, stages, lessons,
                         _option_terms(stages, runs), plain=plain, cases=shown)
    provenance = Provenance(
        source="skillyard learn", kind="learned",
        extra={"method": "offline", "group": group.key,
               "trajectories": [t.id for t in group.trajectories],
               "sources": sorted({local_source(t.source).split("#", 1)[0]
                                  for t in group.trajectories})},
    )
    skill = build_skill(files, skill_id=skill_id or LEARNED_PREFIX + name, provenance=provenance)
    return MinedSkill(name, group, graph, stages, lessons, files, skill, cases)


def mine(
    trajectories: Sequence[Trajectory],
    options: MineOptions | None = None,
    *,
    taken: Iterable[str] = (),
    private: bool = True,
) -> list[MinedSkill]:
    """Group trajectories by intent and mine one candidate skill per group with enough runs.
    With ``private`` (the default) the runs are scrubbed of private data first."""
    opts = options or MineOptions()
    if private:
        trajectories = scrub(trajectories).trajectories
    used = set(taken)
    out = []
    for group in group_runs(trajectories, opts):
        name = name_group(group, trajectories, used, opts)
        mined = mine_group(group, name, opts)
        if mined is not None:
            used.add(name)
            out.append(mined)
    return out


def with_name(mined: MinedSkill, name: str, skill_id: str,
              options: MineOptions | None = None) -> MinedSkill:
    """Re-render a mined skill under another name and id."""
    again = mine_group(mined.group, name, options, skill_id=skill_id)
    return again if again is not None else replace(mined, name=name)
