"""Runners: how an agent attempts a trial. ``make_runner`` builds one from a spec string:

- ``scripted:POLICY`` (offline policies, see :mod:`.scripted`)
- ``llm`` (the built-in agent loop on the LLM from ``SKILLYARD_LLM_*``) or ``llm:MODEL``
- ``command:TEMPLATE`` (any agent CLI, see :mod:`.command`)
"""

from __future__ import annotations

from ...llm import LLMClient, LLMConfig
from ..errors import EvalError
from .base import AgentOutcome, Runner, TrialContext, run_process
from .command import CommandRunner
from .llm_agent import LLMAgentRunner
from .scripted import ScriptedRunner


def make_runner(spec: str, *, client: LLMClient | None = None, max_turns: int = 30) -> Runner:
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "scripted":
        return ScriptedRunner(arg)
    if kind == "command":
        return CommandRunner(arg)
    if kind == "llm":
        if client is None:
            config = LLMConfig.from_env(model=arg.strip() or None)
            client = LLMClient(config)
        return LLMAgentRunner(client, max_turns=max_turns)
    raise EvalError(f"unknown runner {spec!r}: use scripted:POLICY, llm[:MODEL] or "
                    "command:TEMPLATE")


__all__ = [
    "AgentOutcome", "CommandRunner", "LLMAgentRunner", "Runner", "ScriptedRunner",
    "TrialContext", "make_runner", "run_process",
]
