"""Learning: new and better skills from agent trajectories, gated so they never make agents
worse.

- :func:`load_paths` / :func:`load_file` read trajectories (OpenAI chat / τ-bench, Claude Code,
  SWE-agent, OpenTelemetry GenAI spans, generic JSONL) into :class:`Trajectory` values;
- :func:`scrub` replaces private data with typed placeholders and :func:`quarantine` holds
  back poisoned runs, before anything is mined or sent to an LLM;
- :func:`mine` groups them by intent (:func:`group_by_intent`) and mines step graphs, lessons
  and SKILL.md candidates offline, named and described in plain words;
- :func:`distill` improves a frozen skill with LLM-proposed edit operations;
- :func:`learn` runs the whole loop into a library: decide per group (create / improve /
  description / skip), build candidates, gate them (audit, paired evaluation), publish new
  versions or keep rejected candidates.
"""

from .candidates import CandidateRecord, get_candidate, list_candidates
from .distill import DistillOptions, distill
from .errors import DistillError, PatchError, TrajectoryError
from .gate import Evaluation, Gate, GatePolicy, GateReport
from .graph import GraphParams, StepGraph, induce
from .grouping import Group, group_by_task
from .importers import FORMATS, load_file, load_paths
from .intent import group_by_intent
from .miner import MinedSkill, MineOptions, mine
from .model import Action, Step, ToolCall, Trajectory
from .pipeline import Candidate, LearnOptions, LearnReport, learn
from .poison import quarantine
from .privacy import PrivateValues, scrub

__all__ = [
    "FORMATS", "Action", "Candidate", "CandidateRecord", "DistillError", "DistillOptions",
    "Evaluation", "Gate", "GatePolicy", "GateReport", "GraphParams", "Group", "LearnOptions",
    "LearnReport", "MineOptions", "MinedSkill", "PatchError", "PrivateValues", "Step",
    "StepGraph", "ToolCall", "Trajectory", "TrajectoryError", "distill", "get_candidate",
    "group_by_intent", "group_by_task", "induce", "learn", "list_candidates", "load_file",
    "load_paths", "mine", "quarantine", "scrub",
]
