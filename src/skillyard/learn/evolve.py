"""Evolution across users (SkillClaw-style): group sessions by the skill they used and decide,
per group, whether to improve the skill, improve only its description, create a new skill, or
skip.

- Sessions that loaded a skill in the library form that skill's group. With fewer than
  ``min_runs`` sessions the group is skipped. With failures that teach lessons, or a successful
  procedure whose steps the skill never mentions, the skill is **improved**. When it works but
  its description misses the words users' requests use, only the **description** changes.
  Otherwise it is **skipped** (it already covers what the sessions did).
- Sessions without a skill (or with one the library does not hold) are grouped by task; each
  group with enough successful runs **creates** a skill, or improves the skill an earlier
  ``learn`` run created for the same kind of task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import AmbiguousNameError, NotFoundError
from ..library.protocol import SkillLibrary
from .deepen import description_gap, missing_steps
from .grouping import Group, group_by_task
from .miner import LEARNED_PREFIX, MineOptions, group_runs, learning_runs, mine_group, name_group
from .model import Trajectory
from .render import slug


@dataclass
class Decision:
    kind: str  # create | improve | description | skip
    name: str
    reason: str
    group: Group
    skill_id: str | None = None  # the library skill to change (improve / description)

    @property
    def trajectories(self) -> list[Trajectory]:
        return self.group.trajectories

    @property
    def users(self) -> int:
        return len({t.user for t in self.trajectories if t.user})

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.kind, "name": self.name, "skill_id": self.skill_id,
                "reason": self.reason, "runs": len(self.trajectories), "users": self.users}


@dataclass(frozen=True)
class EvolveOptions:
    min_runs: int = 3
    coverage: float = 0.5  # description covers at least this share of the group's words
    mine: MineOptions = field(default_factory=MineOptions)


def _resolve(library: SkillLibrary, name: str) -> str | None:
    try:
        return library.resolve(name)
    except (NotFoundError, AmbiguousNameError):
        return None


def decide_for_skill(library: SkillLibrary, skill_id: str, runs: list[Trajectory], key: str,
                     options: EvolveOptions) -> Decision:
    """improve / description / skip for the sessions that used one library skill."""
    skill = library.get(skill_id)
    group = Group(key, runs)
    group.terms = group_by_task(runs, threshold=0.0)[0].terms if runs else []
    if len(runs) < options.min_runs:
        return Decision("skip", skill.name, f"only {len(runs)} session(s) used it; need "
                        f"{options.min_runs}", group, skill_id)
    wins = sum(1 for t in runs if t.succeeded)
    fails = sum(1 for t in runs if t.failed)
    mined = mine_group(group, skill.name, options.mine, skill_id=skill_id)
    lessons = mined.lessons if mined else []
    missing = missing_steps(skill.skill_md, mined) if mined else []
    if fails and lessons:
        return Decision("improve", skill.name, f"{fails} of {len(runs)} sessions failed; "
                        f"{len(lessons)} lesson(s) to add", group, skill_id)
    if missing and wins >= options.mine.min_successes:
        return Decision("improve", skill.name, "successful sessions used steps the skill does "
                        f"not mention: {', '.join(missing[:5])}", group, skill_id)
    gap = description_gap(skill.description, group.terms)
    if group.terms and len(gap) / len(group.terms) > 1.0 - options.coverage:
        return Decision("description", skill.name, "the description misses request words "
                        f"users used: {', '.join(gap[:6])}", group, skill_id)
    rate = f"{wins}/{wins + fails} succeeded" if wins + fails else "no outcome labels"
    return Decision("skip", skill.name, f"sessions went well ({rate}) and the skill already "
                    "covers what they did", group, skill_id)


def decide(library: SkillLibrary, trajectories: Sequence[Trajectory], *, into: str | None = None,
           options: EvolveOptions | None = None) -> list[Decision]:
    """One decision per group of sessions."""
    opts = options or EvolveOptions()
    everything = list(trajectories)
    if into is not None:
        group = Group("into", everything, group_by_task(everything, threshold=0.0)[0].terms
                      if everything else [])
        skill_id = _resolve(library, into) or _resolve(library, slug(into)) \
            or _resolve(library, LEARNED_PREFIX + slug(into))
        if skill_id is None:
            return [Decision("create", slug(into), f"--into {into}: no such skill yet, so "
                             "create it", group)]
        return [Decision("improve", library.get(skill_id).name, f"--into {into}", group,
                         skill_id)]
    by_skill: dict[str, list[Trajectory]] = {}
    free: list[Trajectory] = []
    for traj in everything:
        ids = [i for i in (_resolve(library, s) for s in traj.skills) if i]
        for skill_id in dict.fromkeys(ids):
            by_skill.setdefault(skill_id, []).append(traj)
        if not ids:
            free.append(traj)
    decisions = [decide_for_skill(library, sid, runs, f"skill:{sid}", opts)
                 for sid, runs in sorted(by_skill.items())]
    taken = {s.name for s in library.list() if not s.id.startswith(LEARNED_PREFIX)}
    used: set[str] = set()
    for group in group_runs(free, opts.mine) if free else []:
        name = name_group(group, everything, taken | used, opts.mine)
        used.add(name)
        wins = len(learning_runs(group.trajectories))
        if len(group.trajectories) < opts.min_runs or wins < opts.mine.min_successes:
            decisions.append(Decision(
                "skip", name, f"{len(group.trajectories)} run(s), {wins} usable as examples; "
                f"need {opts.min_runs} runs and {opts.mine.min_successes} successful", group))
            continue
        existing = LEARNED_PREFIX + name
        if library.store.has_id(existing):
            decisions.append(Decision("improve", name, "more runs of a task an earlier learn "
                                      "run made a skill for", group, existing))
        else:
            decisions.append(Decision("create", name, f"{len(group.trajectories)} runs without "
                                      f"a skill, {wins} successful", group))
    return decisions
