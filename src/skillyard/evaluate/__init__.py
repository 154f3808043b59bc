"""Evaluation: does a skill help an agent on a set of tasks, by how much, and how sure are we?

Paired experiments (no skill / given skills / routed / another version) on Harbor task folders
or agentskills.io evals, run by any agent (command template, OpenAI-compatible loop, or scripted
policies), with per-task pass/fail statistics; trigger evaluation of the router; and Swiss
tournaments with Bradley-Terry scores for competing skills.
"""

from __future__ import annotations

from .analysis import Analysis, ArmSummary, Comparison, analyze
from .arms import ArmSpec, SkillBundle, SkillRef, parse_arms
from .engine import RunConfig, TrialResult, execute
from .errors import EvalError, RouterUnavailableError, TaskError
from .experiment import Experiment, compare_skills, load_experiment, run_experiment
from .judge import Judge
from .router import CallableRouter, Router, library_router
from .runners import (
    CommandRunner,
    LLMAgentRunner,
    Runner,
    ScriptedRunner,
    TrialContext,
    make_runner,
)
from .store import EvalStore
from .taskenv import TaskEnvironment, check_task
from .tasks import Task, TaskSet, load_tasks
from .tournament import Tournament, load_tournament, run_tournament
from .triggers import TriggerReport, load_trigger_cases, load_triggers, run_triggers

__all__ = [
    "Analysis", "ArmSpec", "ArmSummary", "CallableRouter", "CommandRunner", "Comparison",
    "EvalError", "EvalStore", "Experiment", "Judge", "LLMAgentRunner", "Router",
    "RouterUnavailableError", "RunConfig", "Runner", "ScriptedRunner", "SkillBundle",
    "SkillRef", "Task", "TaskEnvironment", "TaskError", "TaskSet", "Tournament",
    "TrialContext", "TrialResult", "TriggerReport", "analyze", "check_task", "compare_skills",
    "execute", "library_router", "load_experiment",
    "load_tasks", "load_tournament", "load_trigger_cases", "load_triggers", "make_runner",
    "parse_arms", "run_experiment", "run_tournament", "run_triggers",
]
