"""``learn`` with the trajectory mining spread over Ray workers.

The driver loads the trajectories and decides, per group of runs, what to do (as ``learn``
does). Every group that becomes a candidate is then mined on a worker — step graph, procedure,
lessons and the rendered skill folder, the costly part per group — keyed by the group's content
(its trajectory ids, the skill name and id). The pipeline then runs as always and takes each
mined result from the table instead of mining again; a group the table does not know (none,
unless the library changed in between) is mined on the driver. The miner is deterministic, so
the candidates equal a single-process run's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..api import Library
from ..learn.evolve import Decision
from ..learn.gate import Gate
from ..learn.grouping import Group
from ..learn.miner import LEARNED_PREFIX, MinedSkill, MineOptions, mine_group
from ..learn.model import Trajectory
from ..learn.pipeline import Learner, LearnOptions, LearnReport, Progress, load_trajectories
from ..llm import LLMClient
from ..progress import counter
from .jobs import JobReport, StageProgress, chunk_size, run_job
from .runtime import RayRuntime

CHUNK_RUNS = 400  # trajectories per task (groups are not split)

Job = tuple[str, Group, str, str]  # key, group, skill name, skill id


def mine_key(group: Group, name: str, skill_id: str) -> str:
    """The content key of one mining job."""
    blob = json.dumps([name, skill_id, group.key, [t.id for t in group.trajectories]])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def mine_chunk(jobs: Sequence[Job], options: MineOptions) -> list[tuple[str, MinedSkill | None]]:
    """On a worker: mine groups. The runs are left out of the answer (the driver has them)."""
    out: list[tuple[str, MinedSkill | None]] = []
    for key, group, name, skill_id in jobs:
        mined = mine_group(group, name, options, skill_id=skill_id)
        if mined is not None:
            mined = replace(mined, group=Group(group.key, [], list(group.terms)))
        out.append((key, mined))
    return out


@dataclass
class MinedTable:
    """Mining results by content key; a MineFn for :class:`Learner`."""

    options: MineOptions
    found: dict[str, MinedSkill | None] = field(default_factory=dict)

    def __call__(self, group: Group, name: str, options: MineOptions | None,
                 skill_id: str | None) -> MinedSkill | None:
        key = mine_key(group, name, skill_id or LEARNED_PREFIX + name)
        if (options or MineOptions()) == self.options and key in self.found:
            mined = self.found[key]
            return None if mined is None else replace(mined, group=group)
        return mine_group(group, name, options, skill_id=skill_id)


def mining_jobs(library: Library, decisions: Sequence[Decision]) -> list[Job]:
    """The (group, name, id) each candidate will be mined with (as Learner.candidate does)."""
    jobs: dict[str, Job] = {}
    for decision in decisions:
        if decision.kind == "skip":
            continue
        if decision.skill_id is not None:
            name, skill_id = library.get(decision.skill_id).name, decision.skill_id
        else:
            name, skill_id = decision.name, LEARNED_PREFIX + decision.name
        key = mine_key(decision.group, name, skill_id)
        jobs.setdefault(key, (key, decision.group, name, skill_id))
    return list(jobs.values())


def _chunks(jobs: list[Job], runs: int) -> list[list[Job]]:
    out: list[list[Job]] = []
    size = 0
    for job in jobs:
        if out and size + len(job[1].trajectories) <= runs:
            out[-1].append(job)
            size += len(job[1].trajectories)
        else:
            out.append([job])
            size = len(job[1].trajectories)
    return out


def mine_on_ray(runtime: RayRuntime, jobs: list[Job], options: MineOptions, *,
                progress: StageProgress | None = None, chunk_runs: int = CHUNK_RUNS
                ) -> tuple[MinedTable, JobReport]:
    table = MinedTable(options)
    report = JobReport("mining", items=len(jobs))

    def keep(_part: Sequence[Job], mined: list[tuple[str, MinedSkill | None]]) -> None:
        table.found.update(mined)

    tick = None if progress is None else counter(progress, "mining on Ray", len(jobs))
    runs = chunk_size(sum(len(job[1].trajectories) for job in jobs),
                      runtime.parallelism(), chunk_runs) if jobs else 1
    run_job(runtime, mine_chunk, _chunks(jobs, runs), keep, report, shared=(options,),
            tick=tick)
    return table, report


def learn_ray(
    library: Library,
    sources: Iterable[str | Path] | Sequence[Trajectory],
    runtime: RayRuntime,
    options: LearnOptions | None = None,
    *,
    client: LLMClient | None = None,
    gate: Gate | None = None,
    progress: Progress | None = None,
    job_progress: StageProgress | None = None,
) -> tuple[LearnReport, JobReport]:
    """:func:`skillyard.learn.learn` with the mining done on Ray workers. ``progress`` is the
    pipeline's (as for ``learn``), ``job_progress`` the mining job's (stage, done, total)."""
    opts = options or LearnOptions()
    trajectories = load_trajectories(sources, opts.format, progress)
    learner = Learner(library, opts, client=client, gate=gate, progress=progress)
    decisions = learner.decisions(trajectories)
    table, report = mine_on_ray(runtime, mining_jobs(library, decisions), opts.evolve.mine,
                                progress=job_progress)
    learner.mine = table
    return learner.run(trajectories, decisions), report
