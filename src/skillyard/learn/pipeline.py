"""``learn``: trajectories in, gated skill versions out.

For each decision (see :mod:`.evolve`) a candidate is built — mined offline, or distilled with
the LLM on top of the mined skill (create) or of the library skill (improve) — validated
against the specification, diffed against what the library holds, passed through the gate and,
unless this is a dry run, published as a new version (``Library.add``; versions are never
overwritten) or kept as a rejected candidate with the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..library.protocol import SkillLibrary
from ..llm import LLMClient
from ..skill import Provenance, Skill
from . import candidates
from .deepen import description_op, offline_ops
from .diff import diff_stats, folder_diff
from .distill import DistillOptions, distill, level_ops
from .distill.ops import EditOp, apply_ops
from .errors import DistillError, PatchError, TrajectoryError
from .evolve import Decision, EvolveOptions, decide
from .folder import Files, build_skill, files_of
from .gate import Gate, GatePolicy, GateReport
from .grouping import Group
from .importers import load_paths
from .miner import (
    LEARNED_PREFIX,
    MinedSkill,
    MineOptions,
    group_intent,
    key_steps,
    mine_group,
)
from .model import Trajectory
from .naming import Naming, llm_rewrite
from .poison import Quarantined, quarantine
from .privacy import PrivateValues, local_source, scrub

Progress = Callable[[str, int], None]
# mine_group's signature: (group, name, options, skill_id) -> candidate or None. A batch job
# passes one that returns what its workers mined (see skillyard.batch.learn).
MineFn = Callable[[Group, str, MineOptions | None, str | None], MinedSkill | None]


@dataclass(frozen=True)
class LearnOptions:
    into: str | None = None
    llm: bool = False
    dry_run: bool = False
    format: str = "auto"
    levels: bool = False
    privacy: bool = True  # scrub private data before anything is mined or sent to an LLM
    evolve: EvolveOptions = field(default_factory=EvolveOptions)
    distill: DistillOptions = field(default_factory=DistillOptions)
    gate: GatePolicy = field(default_factory=GatePolicy)


@dataclass
class Candidate:
    decision: str
    name: str
    skill_id: str
    reason: str
    status: str = "skipped"  # published | rejected | would-publish | would-reject | skipped
    runs: list[str] = field(default_factory=list)
    users: int = 0  # distinct users whose sessions the candidate learned from
    base_version: int | None = None
    version: int | None = None
    skill: Skill | None = None
    files: Files = field(default_factory=dict)
    diff: str = ""
    gate: GateReport | None = None
    reasons: list[str] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    distill: dict[str, Any] | None = None
    candidate_id: str | None = None
    naming: dict[str, Any] | None = None  # how the name and description were written

    def to_dict(self, with_diff: bool = True) -> dict[str, Any]:
        added, removed = diff_stats(self.diff)
        out: dict[str, Any] = {
            "decision": self.decision, "name": self.name, "skill_id": self.skill_id,
            "reason": self.reason, "status": self.status, "runs": len(self.runs),
            "users": self.users,
            "base_version": self.base_version, "version": self.version,
            "digest": self.skill.digest if self.skill else None,
            "reasons": self.reasons, "gate": self.gate.to_dict() if self.gate else None,
            "lines_added": added, "lines_removed": removed, "operations": self.operations,
            "candidate_id": self.candidate_id,
        }
        if self.distill is not None:
            out["distill"] = self.distill
        if self.naming is not None:
            out["naming"] = self.naming
        if with_diff:
            out["diff"] = self.diff
        return out


@dataclass
class LearnReport:
    trajectories: int
    method: str
    dry_run: bool
    candidates: list[Candidate] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): skipped
    quarantined: list[Quarantined] = field(default_factory=list)
    private_values: int = 0  # private values scrubbed from the runs

    def count(self, status: str) -> int:
        return sum(1 for c in self.candidates if c.status == status)

    def to_dict(self, with_diff: bool = True) -> dict[str, Any]:
        return {"trajectories": self.trajectories, "method": self.method,
                "dry_run": self.dry_run, "private_values_scrubbed": self.private_values,
                "quarantined": [q.to_dict() for q in self.quarantined],
                "published": self.count("published"), "rejected": self.count("rejected"),
                "skipped": self.count("skipped"),
                "candidates": [c.to_dict(with_diff) for c in self.candidates],
                "unreadable": [{"file": f, "reason": r} for f, r in self.unreadable]}


def _learned_provenance(decision: Decision, method: str, base: Skill | None,
                        extra: dict[str, Any]) -> Provenance:
    info = {"method": method, "decision": decision.kind,
            "trajectories": [t.id for t in decision.trajectories],
            "sources": sorted({local_source(t.source).split("#", 1)[0]
                               for t in decision.trajectories}),
            **extra}
    if base is None:
        return Provenance(source="skillyard learn", kind="learned", extra=info)
    return replace(base.provenance, extra={**base.provenance.extra, "learned": info})


class Learner:
    """Runs decisions into candidates against one library."""

    def __init__(self, library: SkillLibrary, options: LearnOptions, *,
                 client: LLMClient | None = None, gate: Gate | None = None,
                 progress: Progress | None = None, mine: MineFn | None = None) -> None:
        if options.llm and client is None:
            raise DistillError("LLM distillation needs an LLM client (configure an endpoint)")
        self.library = library
        self.options = options
        self.client = client
        self.gate = gate or Gate(options.gate, library=library)
        self.progress = progress
        self.method = "llm" if options.llm else "offline"
        self.mine: MineFn = mine or mine_group
        self.quarantined: list[Quarantined] = []
        self.private = PrivateValues()
        self._taken: set[str] = set()

    def prepare(self, trajectories: Sequence[Trajectory]) -> list[Trajectory]:
        """Poisoned runs quarantined, then private data scrubbed (before any mining or LLM
        call); the gate is told which values were private."""
        clean, self.quarantined = quarantine(trajectories)
        if not self.options.privacy:
            return clean
        scrubbed = scrub(clean)
        self.private = scrubbed.private
        self.gate.private = scrubbed.private
        return scrubbed.trajectories

    def decisions(self, trajectories: Sequence[Trajectory]) -> list[Decision]:
        """Decisions per group, on the runs after :meth:`prepare`."""
        runs = self.prepare(trajectories)
        out = decide(self.library, runs, into=self.options.into, options=self.options.evolve)
        self._taken = {d.name for d in out}
        return out

    def run(self, trajectories: Sequence[Trajectory],
            decisions: Sequence[Decision] | None = None) -> LearnReport:
        """Candidates for ``decisions`` (default: decided here from the trajectories)."""
        if decisions is None:
            decisions = self.decisions(trajectories)
        report = LearnReport(len(trajectories), self.method, self.options.dry_run,
                             quarantined=list(self.quarantined),
                             private_values=len(self.private))
        for decision in decisions:
            report.candidates.append(self.candidate(decision))
            if self.progress is not None:
                self.progress("candidate", 1)
        return report

    def _mine(self, decision: Decision, name: str, skill_id: str) -> MinedSkill | None:
        return self.mine(decision.group, name, self.options.evolve.mine, skill_id)

    def _edit(self, decision: Decision, base: Files, mined: MinedSkill | None,
              cand: Candidate) -> Files:
        """The candidate's files: base plus offline or distilled edits."""
        lessons = mined.lessons if mined else []
        if decision.kind == "description":
            skill = self.library.get(cand.skill_id)
            op = description_op(skill.description, decision.group.terms,
                                tuple(t.id for t in decision.trajectories))
            ops = [op] if op else []
        elif self.options.llm:
            assert self.client is not None
            result = distill(self.client, base, decision.trajectories,
                             replace(self.options.distill, levels=self.options.levels),
                             lessons=lessons, progress=self.progress)
            cand.distill = result.to_dict()
            cand.operations = [op.to_dict() for op in result.patch.applied]
            return result.files
        elif decision.kind == "improve":
            ops = offline_ops(base, mined) if mined else []
        else:
            ops = []
        if self.options.levels and decision.kind != "description":
            ops += level_ops(decision.trajectories, lessons)
        patch = apply_ops(base, ops)
        cand.operations = [op.to_dict() for op in patch.applied]
        return patch.files

    def candidate(self, decision: Decision) -> Candidate:
        skill_id = decision.skill_id or LEARNED_PREFIX + decision.name
        cand = Candidate(decision.kind, decision.name, skill_id, decision.reason,
                         runs=[t.id for t in decision.trajectories], users=decision.users)
        if decision.kind == "skip":
            return cand
        base_skill: Skill | None = None
        carried: list[Any] = []
        mined: MinedSkill | None
        try:
            if decision.skill_id is not None:
                base_skill = self.library.get(decision.skill_id)
                cand.base_version = max(v.version for v in self.library.versions(skill_id))
                base, carried = files_of(base_skill, self.library.store.read_blob)
                mined = self._mine(decision, base_skill.name, skill_id)
            else:
                mined = self._mine(decision, decision.name, skill_id)
                if mined is None:
                    cand.reasons.append("too few successful runs to mine a procedure from")
                    return cand
                mined = self._rename(decision, mined, cand)
                skill_id = cand.skill_id
                base = dict(mined.files)
            files = self._edit(decision, base, mined, cand)
        except PatchError as exc:
            return self._reject(cand, str(exc), {})
        before = base if base_skill is not None else {}
        cand.files = files
        cand.diff = folder_diff(before, files, decision.name)
        if base_skill is not None and files == base:
            cand.reasons.append("nothing new to add")
            return cand
        provenance = _learned_provenance(decision, self.method, base_skill,
                                         {"base_version": cand.base_version})
        try:
            skill = build_skill(files, skill_id=skill_id, provenance=provenance,
                                strict=base_skill is None, carried=carried)
        except PatchError as exc:
            return self._reject(cand, str(exc), files)
        cand.skill = skill
        if base_skill is not None:
            new = {d.code for d in skill.diagnostics} - {d.code for d in base_skill.diagnostics}
            if new:
                return self._reject(cand, "the edit introduced specification problems: "
                                    + ", ".join(sorted(new)), files)
        cand.gate = self.gate.check(skill, base_skill, _added(before, files))
        if not cand.gate.passed:
            return self._reject(cand, "; ".join(cand.gate.reasons), files)
        if self.options.dry_run:
            cand.status = "would-publish"
            return cand
        outcome = self.library.add([skill])[0]
        if outcome.status == "unchanged":
            cand.reasons.append("identical to the current version")
            return cand
        cand.status, cand.version = "published", outcome.version
        self._record(cand, files)
        return cand

    def _rename(self, decision: Decision, mined: MinedSkill, cand: Candidate) -> MinedSkill:
        """With ``--llm`` and the plain-words naming, let the model rewrite the new skill's
        name and description; the offline text stays when the answer does not pass."""
        if not self.options.llm or self.client is None or decision.kind != "create" \
                or self.options.evolve.mine.naming != "plain" or self.options.into:
            return mined
        offline = Naming(mined.name, mined.skill.description, "offline")
        steps = key_steps(mined.stages, mined.graph)
        taken = (self._taken | {s.name for s in self.library.list()}) - {mined.name}
        naming = llm_rewrite(self.client, offline, group_intent(decision.group), steps,
                             self.private, taken)
        cand.naming = naming.to_dict()
        if naming.source != "llm":
            return mined
        decision.group.description = naming.description
        self._taken.add(naming.name)
        decision.name = cand.name = naming.name
        cand.skill_id = LEARNED_PREFIX + naming.name
        again = self._mine(decision, naming.name, cand.skill_id)
        return again if again is not None else mined

    def _reject(self, cand: Candidate, reason: str, files: Files) -> Candidate:
        cand.reasons.append(reason)
        cand.status = "would-reject" if self.options.dry_run else "rejected"
        if not self.options.dry_run:
            self._record(cand, files)
        return cand

    def _record(self, cand: Candidate, files: Files) -> None:
        skill = cand.skill
        rec = candidates.record(
            self.library.store, skill_id=cand.skill_id, name=cand.name,
            decision=cand.decision, method=self.method, status=cand.status,
            base_version=cand.base_version, published_version=cand.version,
            digest=skill.digest if skill else "", reasons=cand.reasons,
            gate=cand.gate.to_dict() if cand.gate else {}, files=files,
            provenance=skill.provenance.to_dict() if skill else {"runs": cand.runs},
        )
        cand.candidate_id = rec.id


def _added(before: Files, after: Files) -> Files:
    """The text a candidate adds: whole new files, and new lines of changed ones."""
    out: Files = {}
    for path, text in after.items():
        old = before.get(path)
        if old is None:
            out[path] = text
        elif old != text:
            kept = set(old.splitlines())
            out[path] = "\n".join(ln for ln in text.splitlines() if ln not in kept)
    return out


def learn(
    library: SkillLibrary,
    sources: Iterable[str | Path] | Sequence[Trajectory],
    options: LearnOptions | None = None,
    *,
    client: LLMClient | None = None,
    gate: Gate | None = None,
    progress: Progress | None = None,
) -> LearnReport:
    """Learn from trajectory files (or already loaded trajectories) into ``library``."""
    opts = options or LearnOptions()
    unreadable: list[tuple[str, str]] = []  # one bad file is reported, the rest are learned
    trajectories = load_trajectories(sources, opts.format, progress, unreadable)
    report = Learner(library, opts, client=client, gate=gate, progress=progress).run(
        trajectories)
    report.unreadable = unreadable
    return report


def load_trajectories(sources: Iterable[str | Path] | Sequence[Trajectory], fmt: str = "auto",
                      progress: Progress | None = None,
                      unreadable: list[tuple[str, str]] | None = None) -> list[Trajectory]:
    """Trajectories from files and folders (or as given); an error when there are none."""
    items = list(sources)
    if items and all(isinstance(i, Trajectory) for i in items):
        trajectories: list[Trajectory] = items  # type: ignore[assignment]
    else:
        trajectories = load_paths(
            [str(i) for i in items], fmt,
            progress=(lambda _p, n: progress("load", n)) if progress is not None else None,
            unreadable=unreadable)
    if not trajectories:
        why = f" ({unreadable[0][1]})" if unreadable else ""
        raise TrajectoryError(f"no trajectories to learn from{why}")
    return trajectories


__all__ = ["Candidate", "EditOp", "LearnOptions", "LearnReport", "Learner", "learn",
           "load_trajectories"]
