"""OpenAI chat messages with tool calls, including τ-bench's historical trajectories.

Accepted shapes (``.json`` or ``.jsonl``):

- τ-bench: a list of ``{task_id, trial, reward, info{task{instruction, user_id}}, traj}`` where
  ``traj`` is a list of chat messages;
- a conversation ``{"messages": [...], "task"?, "reward"?, "outcome"?, "id"?, "user"?, ...}``,
  a list of those, or one per line in JSONL;
- a bare list of chat messages (one conversation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import OUTCOMES, Step, ToolCall, Trajectory, outcome_from_reward
from ._read import decode_arguments, require, text_of

FORMAT = "openai"


def is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str)


def looks_like_tau(value: Any) -> bool:
    return isinstance(value, dict) and "traj" in value and ("task_id" in value or "info" in value)


def messages_to_steps(messages: list[Any], where: str) -> tuple[Step, ...]:
    steps = []
    for number, message in enumerate(messages):
        at = f"{where} message {number}"
        require(message, dict, at, "a message")
        role = message.get("role")
        if role == "function":
            role = "tool"
        if role not in ("system", "user", "assistant", "tool", "developer"):
            raise TrajectoryError(f"{at}: unknown role {role!r}")
        if role == "developer":
            role = "system"
        calls = []
        for index, raw in enumerate(message.get("tool_calls") or []):
            require(raw, dict, f"{at} tool call {index}", "a tool call")
            function = raw.get("function") if isinstance(raw.get("function"), dict) else raw
            name = function.get("name")
            if not isinstance(name, str) or not name:
                raise TrajectoryError(f"{at} tool call {index}: has no function name")
            calls.append(ToolCall(name, decode_arguments(function.get("arguments")),
                                  raw.get("id")))
        legacy = message.get("function_call")
        if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
            calls.append(ToolCall(legacy["name"], decode_arguments(legacy.get("arguments"))))
        steps.append(Step(
            role=role,
            text=text_of(message.get("content")),
            tool_calls=tuple(calls),
            tool_call_id=message.get("tool_call_id"),
            name=message.get("name") if role == "tool" else None,
        ))
    return tuple(steps)


def _outcome(record: dict[str, Any], where: str) -> tuple[str, float | None]:
    reward = record.get("reward")
    if reward is not None and not isinstance(reward, (int, float)):
        raise TrajectoryError(f"{where}: reward should be a number, got {reward!r}")
    outcome = record.get("outcome")
    if outcome is None and isinstance(record.get("success"), bool):
        outcome = "success" if record["success"] else "failure"
    if outcome is not None:
        if outcome not in OUTCOMES:
            raise TrajectoryError(f"{where}: outcome must be one of {', '.join(OUTCOMES)}")
        return outcome, reward
    return outcome_from_reward(reward), reward


def from_tau(record: Any, path: Path, index: int) -> Trajectory:
    where = f"{path}: record {index}"
    require(record, dict, where, "a record")
    traj = require(record.get("traj"), list, where, "'traj'")
    info = record.get("info") if isinstance(record.get("info"), dict) else {}
    task = info.get("task") if isinstance(info.get("task"), dict) else {}
    outcome, reward = _outcome(record, where)
    steps = messages_to_steps(traj, where)
    instruction = task.get("instruction") if isinstance(task.get("instruction"), str) else ""
    task_id = record.get("task_id")
    first_user = next((s.text for s in steps if s.role == "user" and s.text), "")
    meta: dict[str, Any] = {"trial": record.get("trial")}
    if isinstance(task.get("actions"), list):
        meta["gold_actions"] = [a.get("name") for a in task["actions"] if isinstance(a, dict)]
    return Trajectory(
        id=f"{path.name}#{index}", source=f"{path}#{index}", format="tau-bench",
        task=instruction or first_user, steps=steps, outcome=outcome, reward=reward,  # type: ignore[arg-type]
        task_id=None if task_id is None else str(task_id),
        user=task.get("user_id") if isinstance(task.get("user_id"), str) else None,
        metadata=meta,
    )


def from_conversation(record: Any, path: Path, index: int, locator: str) -> Trajectory:
    where = f"{path}: {locator}"
    if isinstance(record, list):
        record = {"messages": record}
    require(record, dict, where, "a conversation")
    messages = require(record.get("messages"), list, where, "'messages'")
    steps = messages_to_steps(messages, where)
    outcome, reward = _outcome(record, where)
    task = record.get("task")
    if not isinstance(task, str) or not task.strip():
        task = next((s.text for s in steps if s.role == "user" and s.text), "")
    skills = record.get("skills") or ()
    return Trajectory(
        id=str(record.get("id") or f"{path.name}#{index}"), source=f"{path}#{index}",
        format=FORMAT, task=task, steps=steps, outcome=outcome, reward=reward,  # type: ignore[arg-type]
        task_id=None if record.get("task_id") is None else str(record["task_id"]),
        agent=record.get("agent") or record.get("model"),
        user=record.get("user"),
        skills=tuple(str(s) for s in skills) if isinstance(skills, list) else (),
    )


def load(path: Path, value: Any) -> list[Trajectory]:
    """Trajectories from an already parsed JSON value."""
    if isinstance(value, list) and value and all(is_message(v) for v in value[:5]):
        return [from_conversation(value, path, 0, "conversation")]
    if isinstance(value, dict):
        value = [value]
    require(value, list, str(path), "the document")
    out = []
    for index, record in enumerate(value):
        if looks_like_tau(record):
            out.append(from_tau(record, path, index))
        else:
            out.append(from_conversation(record, path, index, f"record {index}"))
    return out


def load_lines(path: Path, lines: list[tuple[int, Any]]) -> list[Trajectory]:
    out = []
    for index, (number, record) in enumerate(lines):
        if looks_like_tau(record):
            out.append(from_tau(record, path, index))
        else:
            out.append(from_conversation(record, path, index, f"line {number}"))
    return out
