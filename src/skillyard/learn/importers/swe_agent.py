"""SWE-agent ``.traj`` files.

A ``.traj`` is one JSON object ``{environment, trajectory: [{action, observation, thought,
response, execution_time, state}], history: [chat messages], info{exit_status, submission,
model_stats}, replay_config}``. The action text is SWE-agent's command line (``create x.py``,
``edit 1:3 ... end_of_edit``, ``python reproduce.py``), so a step's tool is its first word and
the rest is kept as raw arguments. Files without ``trajectory`` (older function-calling demos)
are read from ``history``.

SWE-agent files carry no success label: ``exit_status == "submitted"`` (the agent finished and
submitted a patch) is mapped to success, any other ``exit_*`` status to failure, none to unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import Step, ToolCall, Trajectory
from ._read import require, text_of

FORMAT = "swe-agent"


def looks_like(value: Any) -> bool:
    return isinstance(value, dict) and (
        isinstance(value.get("trajectory"), list)
        or (isinstance(value.get("history"), list) and "info" in value)
        or (isinstance(value.get("history"), list)
            and any(isinstance(h, dict) and "message_type" in h for h in value["history"][:3]))
    )


def split_action(action: str) -> ToolCall:
    """``edit 1:3\n...`` -> tool ``edit`` with the rest of the text as raw arguments."""
    first, _, rest = action.strip().partition("\n")
    word, _, args = first.strip().partition(" ")
    if rest:
        args = f"{args}\n{rest}" if args else rest
    return ToolCall(word or "noop", args or None)


def _task(history: list[Any], replay: Any) -> str:
    for message in history:
        if isinstance(message, dict) and message.get("role") == "user":
            text = text_of(message.get("content"))
            text = text.split("\n\nINSTRUCTIONS:", 1)[0]
            if "ISSUE:\n" in text:
                text = text.split("ISSUE:\n", 1)[1]
            return text.strip()
    if isinstance(replay, dict):
        statement = replay.get("problem_statement")
        if isinstance(statement, dict) and isinstance(statement.get("text"), str):
            return statement["text"]
    return ""


def _outcome(info: dict[str, Any]) -> str:
    status = info.get("exit_status")
    if not isinstance(status, str) or not status:
        return "unknown"
    return "success" if status.strip() == "submitted" else "failure"


def _from_trajectory(entries: list[Any], where: str) -> list[Step]:
    steps: list[Step] = []
    for number, entry in enumerate(entries):
        at = f"{where} step {number}"
        require(entry, dict, at, "a trajectory step")
        action = entry.get("action")
        if not isinstance(action, str):
            raise TrajectoryError(f"{at}: 'action' should be a string")
        call = split_action(action) if action.strip() else None
        call_id = f"step-{number}"
        thought = entry.get("thought") if isinstance(entry.get("thought"), str) else ""
        if call is not None:
            call = ToolCall(call.name, call.arguments, call_id)
        steps.append(Step("assistant", str(entry.get("response") or ""),
                          (call,) if call else (), thought=thought or ""))
        if call is not None:
            observation = entry.get("observation")
            steps.append(Step("tool", text_of(observation), tool_call_id=call_id,
                              name=call.name))
    return steps


def _from_history(history: list[Any], where: str) -> list[Step]:
    steps: list[Step] = []
    for number, message in enumerate(history):
        at = f"{where} history {number}"
        require(message, dict, at, "a message")
        role = message.get("role")
        text = text_of(message.get("content"))
        if role == "assistant":
            action = message.get("action")
            call_id = f"history-{number}"
            calls: tuple[ToolCall, ...] = ()
            if isinstance(action, str) and action.strip():
                parsed = split_action(action)
                calls = (ToolCall(parsed.name, parsed.arguments, call_id),)
            steps.append(Step("assistant", text, calls,
                              thought=str(message.get("thought") or "")))
        elif role == "tool" or message.get("message_type") == "observation":
            ids = message.get("tool_call_ids") or []
            previous = next((s for s in reversed(steps) if s.tool_calls), None)
            call_id = previous.tool_calls[0].id if previous else (ids[0] if ids else None)
            steps.append(Step("tool", text, tool_call_id=call_id))
        elif role in ("system", "user"):
            steps.append(Step(role, text))
        else:
            raise TrajectoryError(f"{at}: unknown role {role!r}")
    return steps


def load(path: Path, value: Any) -> list[Trajectory]:
    where = str(path)
    require(value, dict, where, "the document")
    history = value.get("history") or []
    require(history, list, where, "'history'")
    entries = value.get("trajectory")
    if entries:
        require(entries, list, where, "'trajectory'")
        steps = [Step(m.get("role", "user"), text_of(m.get("content"))) for m in history[:2]
                 if isinstance(m, dict) and m.get("role") in ("system", "user")]
        steps += _from_trajectory(entries, where)
    elif history:
        steps = _from_history(history, where)
    else:
        raise TrajectoryError(f"{where}: neither 'trajectory' nor 'history' holds any step")
    info = value.get("info") if isinstance(value.get("info"), dict) else {}
    replay = value.get("replay_config")
    if isinstance(replay, str):
        try:
            replay = json.loads(replay)
        except json.JSONDecodeError:
            replay = None
    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    model = None
    if isinstance(replay, dict):
        model = (((replay.get("agent") or {}).get("model") or {}).get("name"))
    meta: dict[str, Any] = {"exit_status": info.get("exit_status")}
    if stats.get("tokens_sent") or stats.get("tokens_received"):
        meta["tokens_in"] = int(stats.get("tokens_sent") or 0)
        meta["tokens_out"] = int(stats.get("tokens_received") or 0)
    if isinstance(value.get("environment"), str):
        meta["environment"] = value["environment"]
    return [Trajectory(
        id=path.name, source=str(path), format=FORMAT, task=_task(history, replay),
        steps=tuple(steps), outcome=_outcome(info),  # type: ignore[arg-type]
        agent=f"swe-agent/{model}" if model else "swe-agent", metadata=meta,
    )]
