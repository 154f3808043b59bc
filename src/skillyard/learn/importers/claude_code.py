"""Claude Code session transcripts (``~/.claude/projects/<project>/<session>.jsonl``).

Each line is an event ``{type, uuid, parentUuid, sessionId, timestamp, cwd, message, ...}``.
``user`` events carry the prompt (string content) or ``tool_result`` blocks; ``assistant``
events carry ``text``, ``thinking`` and ``tool_use`` blocks plus token ``usage`` (Claude Code
writes one line per content block, repeating the message id and usage, so usage is counted once
per message id). Other event types (summary, system, snapshots, progress) are kept as metadata
or skipped; sub-agent side chains are skipped. A file may hold several sessions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import Step, ToolCall, Trajectory
from ._read import require, text_of

FORMAT = "claude-code"
EVENT_TYPES = frozenset({"user", "assistant"})
_SKILL_PATH = re.compile(r"(?:^|/)skills/([^/]+)/SKILL\.md$")


def looks_like(first: Any) -> bool:
    return (
        isinstance(first, dict)
        and isinstance(first.get("type"), str)
        and ("sessionId" in first or "parentUuid" in first or "leafUuid" in first
             or first.get("type") in ("summary", "permission-mode", "file-history-snapshot"))
    )


def _skill_used(name: str, arguments: Any) -> str | None:
    if not isinstance(arguments, dict):
        return None
    if name == "Skill":
        for key in ("skill", "name", "command"):
            if isinstance(arguments.get(key), str) and arguments[key].strip():
                return arguments[key].strip().lstrip("/")
    if name == "Read" and isinstance(arguments.get("file_path"), str):
        match = _SKILL_PATH.search(arguments["file_path"])
        if match:
            return match.group(1)
    return None


class _Session:
    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.steps: list[Step] = []
        self.seen_usage: set[str] = set()
        self.model: str | None = None
        self.summary: str | None = None
        self.cwd: str | None = None
        self.skills: list[str] = []


def _assistant(event: dict[str, Any], message: dict[str, Any], where: str,
               session: _Session) -> list[Step]:
    content = message.get("content")
    blocks = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
    text, thought, calls = [], [], []
    for number, block in enumerate(blocks):
        require(block, dict, f"{where} block {number}", "a content block")
        kind = block.get("type")
        if kind == "text":
            text.append(str(block.get("text") or ""))
        elif kind in ("thinking", "redacted_thinking"):
            thought.append(str(block.get("thinking") or ""))
        elif kind in ("tool_use", "server_tool_use"):
            name = block.get("name")
            if not isinstance(name, str) or not name:
                raise TrajectoryError(f"{where} block {number}: tool_use has no name")
            calls.append(ToolCall(name, block.get("input"), block.get("id")))
            skill = _skill_used(name, block.get("input"))
            if skill and skill not in session.skills:
                session.skills.append(skill)
    usage = message.get("usage") if isinstance(message.get("usage"), dict) else {}
    key = str(message.get("id") or event.get("uuid") or len(session.steps))
    tokens_in = tokens_out = 0
    if usage and key not in session.seen_usage:
        session.seen_usage.add(key)
        tokens_in = sum(int(usage.get(k) or 0) for k in (
            "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
        tokens_out = int(usage.get("output_tokens") or 0)
    if isinstance(message.get("model"), str):
        session.model = message["model"]
    return [Step("assistant", "\n".join(t for t in text if t), tuple(calls),
                 thought="\n".join(t for t in thought if t), tokens_in=tokens_in,
                 tokens_out=tokens_out, timestamp=event.get("timestamp"))]


def _user(event: dict[str, Any], message: dict[str, Any], where: str) -> list[Step]:
    content = message.get("content")
    stamp = event.get("timestamp")
    if isinstance(content, str) or content is None:
        role = "system" if event.get("isMeta") else "user"
        return [Step(role, content or "", timestamp=stamp)]
    require(content, list, where, "message content")
    steps, text = [], []
    for number, block in enumerate(content):
        require(block, dict, f"{where} block {number}", "a content block")
        if block.get("type") == "tool_result":
            body = text_of(block.get("content"))
            error = (body.strip().splitlines() or ["tool error"])[0][:200] \
                if block.get("is_error") else None
            steps.append(Step("tool", body, tool_call_id=block.get("tool_use_id"), error=error,
                              timestamp=stamp))
        elif block.get("type") == "text":
            text.append(str(block.get("text") or ""))
    if text:
        role = "system" if event.get("isMeta") else "user"
        steps.insert(0, Step(role, "\n".join(text), timestamp=stamp))
    return steps


def load_lines(path: Path, lines: list[tuple[int, Any]]) -> list[Trajectory]:
    sessions: dict[str, _Session] = {}
    for number, event in lines:
        where = f"{path}:{number}"
        require(event, dict, where, "an event")
        kind = event.get("type")
        if not isinstance(kind, str):
            raise TrajectoryError(f"{where}: event has no 'type'")
        session_id = str(event.get("sessionId") or path.stem)
        if kind == "summary":
            session = sessions.setdefault(session_id, _Session(session_id))
            session.summary = session.summary or event.get("summary")
            continue
        if kind not in EVENT_TYPES or event.get("isSidechain"):
            continue
        message = require(event.get("message"), dict, where, "'message'")
        session = sessions.setdefault(session_id, _Session(session_id))
        session.cwd = session.cwd or event.get("cwd")
        if kind == "assistant":
            session.steps.extend(_assistant(event, message, where, session))
        else:
            session.steps.extend(_user(event, message, where))
    out = []
    for session in sessions.values():
        if not session.steps:
            continue
        task = next((s.text for s in session.steps if s.role == "user" and s.text.strip()),
                    session.summary or "")
        out.append(Trajectory(
            id=f"claude:{session.id}", source=f"{path}#{session.id}", format=FORMAT,
            task=task, steps=tuple(session.steps), agent=session.model or "claude-code",
            skills=tuple(session.skills),
            metadata={k: v for k, v in (("summary", session.summary), ("cwd", session.cwd))
                      if v},
        ))
    if not out:
        raise TrajectoryError(f"{path}: no user or assistant events in this Claude Code session")
    return out
