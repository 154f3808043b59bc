"""The normalized trajectory model every importer produces.

A :class:`Trajectory` is one agent run: the task, the ordered :class:`Step` list (messages, tool
calls, tool results, errors, tokens) and the outcome. :meth:`Trajectory.actions` pairs each tool
call with its result, which is the view the miner and the distiller work on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from .actions import action_key, detect_error

Outcome = Literal["success", "failure", "unknown"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "unknown")
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool invocation. ``arguments`` is the decoded JSON value, or the raw text."""

    name: str
    arguments: Any = None
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "arguments": self.arguments}
        if self.id is not None:
            out["id"] = self.id
        return out


@dataclass(frozen=True, slots=True)
class Step:
    """One message or event of a run. Tool results have ``role == "tool"``."""

    role: str
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # for tool results: the call they answer
    name: str | None = None  # for tool results: the tool's name when the format says it
    error: str | None = None  # set when the format marks the step as failed
    thought: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    timestamp: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "text": self.text}
        if self.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        for key in ("tool_call_id", "name", "error", "timestamp"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.thought:
            out["thought"] = self.thought
        if self.tokens_in or self.tokens_out:
            out["tokens"] = {"in": self.tokens_in, "out": self.tokens_out}
        return out


@dataclass(frozen=True, slots=True)
class Action:
    """A tool call paired with what came back."""

    step: int  # index of the step holding the call
    call: ToolCall
    observation: str | None
    error: str | None
    key: str  # normalised action: tool name + argument shape

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class Trajectory:
    """One agent run, whatever format it came from."""

    id: str
    source: str  # file and record locator, e.g. ``runs.json#17``
    format: str
    task: str
    steps: tuple[Step, ...]
    outcome: Outcome = "unknown"
    reward: float | None = None
    task_id: str | None = None
    agent: str | None = None
    user: str | None = None
    skills: tuple[str, ...] = ()  # skills the agent loaded during the run
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.outcome == "success"

    @property
    def failed(self) -> bool:
        return self.outcome == "failure"

    @property
    def request(self) -> str:
        """The first user message (what the agent was asked), else the task."""
        for step in self.steps:
            if step.role == "user" and step.text.strip():
                return step.text
        return self.task

    @property
    def tokens(self) -> tuple[int, int]:
        """(input, output) tokens: summed over steps, else the run's totals in metadata."""
        tin = sum(s.tokens_in for s in self.steps)
        tout = sum(s.tokens_out for s in self.steps)
        if not tin and not tout:
            return (int(self.metadata.get("tokens_in") or 0),
                    int(self.metadata.get("tokens_out") or 0))
        return (tin, tout)

    def actions(self) -> list[Action]:
        """Tool calls in order, each with its result (matched by call id, else by order)."""
        return list(self._actions)

    def action_keys(self) -> list[str]:
        return [a.key for a in self._actions]

    @cached_property
    def _actions(self) -> tuple[Action, ...]:
        calls: list[tuple[int, ToolCall]] = []
        results: dict[int, Step] = {}
        by_id: dict[str, int] = {}
        pending: list[int] = []
        for index, step in enumerate(self.steps):
            for call in step.tool_calls:
                slot = len(calls)
                calls.append((index, call))
                if call.id:
                    by_id[call.id] = slot
                pending.append(slot)
            if step.role == "tool":
                slot = by_id.get(step.tool_call_id or "", -1)
                if slot < 0 or slot in results:
                    slot = next((p for p in pending if p not in results), -1)
                if slot >= 0:
                    results[slot] = step
        out = []
        for slot, (index, call) in enumerate(calls):
            result = results.get(slot)
            observation = result.text if result is not None else None
            error = None
            if result is not None:
                error = result.error or detect_error(result.text)
            out.append(Action(index, call, observation, error, action_key(call.name,
                                                                           call.arguments)))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The documented generic JSONL record for this trajectory (see importers.generic)."""
        out: dict[str, Any] = {
            "id": self.id, "task": self.task, "outcome": self.outcome,
            "steps": [s.to_dict() for s in self.steps],
        }
        for key in ("reward", "task_id", "agent", "user"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.skills:
            out["skills"] = list(self.skills)
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)


def outcome_from_reward(reward: float | None, threshold: float = 1.0) -> Outcome:
    """Map a numeric reward to an outcome: at or above ``threshold`` is a success."""
    if reward is None:
        return "unknown"
    return "success" if reward >= threshold else "failure"
