"""skillyard's generic trajectory JSONL: one run per line, easy to write from any agent.

Each line is an object::

    {"id": "run-1",                      # optional; default FILE#N
     "task": "Rename the column ...",    # optional; default the first user step
     "outcome": "success",               # success | failure | unknown (or give "reward")
     "reward": 1.0, "task_id": "t7", "agent": "my-agent", "user": "alice",
     "skills": ["csv-cleanup"],          # skills the agent loaded, if any
     "metadata": {...},
     "steps": [
       {"role": "user", "text": "..."},
       {"role": "assistant", "text": "...", "thought": "...",
        "tool_calls": [{"name": "read_file", "arguments": {"path": "a.csv"}, "id": "c1"}],
        "tokens": {"in": 812, "out": 40}},
       {"role": "tool", "tool_call_id": "c1", "text": "...", "error": "optional message"},
       {"action": "run_tests", "arguments": {"path": "tests"}, "observation": "2 failed",
        "error": "2 tests failed"}          # shorthand: one call and its result
     ]}

``Trajectory.to_dict()`` writes exactly this shape, so exported runs read back unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import OUTCOMES, ROLES, Step, ToolCall, Trajectory, outcome_from_reward
from ._read import decode_arguments, require, text_of

FORMAT = "generic"


def looks_like(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("steps"), list)


def _step(raw: Any, at: str, number: int) -> list[Step]:
    require(raw, dict, at, "a step")
    tokens = raw.get("tokens") if isinstance(raw.get("tokens"), dict) else {}
    try:
        tin, tout = int(tokens.get("in") or 0), int(tokens.get("out") or 0)
    except (TypeError, ValueError):
        raise TrajectoryError(f"{at}: tokens must be integers") from None
    error = raw.get("error")
    if error is not None and not isinstance(error, str):
        error = str(error)
    if "action" in raw:
        name = raw["action"]
        if not isinstance(name, str) or not name.strip():
            raise TrajectoryError(f"{at}: 'action' should be a tool name")
        call_id = str(raw.get("id") or f"s{number}")
        call = ToolCall(name, decode_arguments(raw.get("arguments")), call_id)
        return [
            Step("assistant", text_of(raw.get("text")), (call,), thought=str(raw.get("thought")
                 or ""), tokens_in=tin, tokens_out=tout, timestamp=raw.get("timestamp")),
            Step("tool", text_of(raw.get("observation")), tool_call_id=call_id, name=name,
                 error=error),
        ]
    role = raw.get("role")
    if role not in ROLES:
        raise TrajectoryError(f"{at}: role must be one of {', '.join(ROLES)} (or use 'action')")
    calls = []
    for index, call in enumerate(raw.get("tool_calls") or []):
        require(call, dict, f"{at} tool call {index}", "a tool call")
        if not isinstance(call.get("name"), str) or not call["name"]:
            raise TrajectoryError(f"{at} tool call {index}: has no name")
        calls.append(ToolCall(call["name"], decode_arguments(call.get("arguments")),
                              call.get("id")))
    return [Step(role, text_of(raw.get("text", raw.get("content"))), tuple(calls),
                 tool_call_id=raw.get("tool_call_id"), name=raw.get("name"), error=error,
                 thought=str(raw.get("thought") or ""), tokens_in=tin, tokens_out=tout,
                 timestamp=raw.get("timestamp"))]


def from_record(record: Any, path: Path, index: int, where: str) -> Trajectory:
    require(record, dict, where, "a trajectory")
    raw_steps = require(record.get("steps"), list, where, "'steps'")
    steps: list[Step] = []
    for number, raw in enumerate(raw_steps):
        steps.extend(_step(raw, f"{where} step {number}", number))
    reward = record.get("reward")
    if reward is not None and not isinstance(reward, (int, float)):
        raise TrajectoryError(f"{where}: reward should be a number, got {reward!r}")
    outcome = record.get("outcome")
    if outcome is None:
        outcome = outcome_from_reward(reward)
    elif outcome not in OUTCOMES:
        raise TrajectoryError(f"{where}: outcome must be one of {', '.join(OUTCOMES)}")
    task = record.get("task")
    if task is not None and not isinstance(task, str):
        raise TrajectoryError(f"{where}: task should be a string")
    if not task:
        task = next((s.text for s in steps if s.role == "user" and s.text), "")
    skills = record.get("skills") or []
    require(skills, list, where, "'skills'")
    meta = record.get("metadata") or {}
    require(meta, dict, where, "'metadata'")
    return Trajectory(
        id=str(record.get("id") or f"{path.name}#{index}"), source=f"{path}#{index}",
        format=FORMAT, task=task, steps=tuple(steps), outcome=outcome, reward=reward,
        task_id=None if record.get("task_id") is None else str(record["task_id"]),
        agent=record.get("agent"), user=record.get("user"),
        skills=tuple(str(s) for s in skills), metadata=dict(meta),
    )


def load_lines(path: Path, lines: list[tuple[int, Any]]) -> list[Trajectory]:
    return [from_record(record, path, index, f"{path}:{number}")
            for index, (number, record) in enumerate(lines)]


def load(path: Path, value: Any) -> list[Trajectory]:
    records = value if isinstance(value, list) else [value]
    return [from_record(record, path, index, f"{path}: record {index}")
            for index, record in enumerate(records)]
