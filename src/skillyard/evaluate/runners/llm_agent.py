"""A minimal agent loop over any OpenAI-compatible endpoint (through ``skillyard.llm``).

The model gets the instruction, a catalog of the skills in its skill folder (name and
description only: progressive disclosure), and four tools that act inside the trial's work dir:
``read_file``, ``write_file``, ``run_shell`` and ``load_skill`` (returns a skill's SKILL.md).
The loop ends when the model answers without a tool call, after ``max_turns`` model calls, or
at the trial's timeout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from ...llm import LLMClient, LLMError
from ..tasks import Task
from ..workspace import visible_skills
from .base import AgentOutcome, TrialContext, run_process, tail

MAX_TOOL_OUTPUT = 16 * 1024
MAX_READ_BYTES = 256 * 1024
SHELL_TIMEOUT = 120.0
_DESC = re.compile(r"^description:\s*(.+)$", re.MULTILINE)

SYSTEM = (
    "You are a capable software agent. You work in a directory on a computer and complete the "
    "user's task by calling tools. Paths are relative to your working directory. When the task "
    "is done, reply with a short final answer and no tool call."
)


def _tool(tool: str, description: str, **props: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool, "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": "string", "description": v} for k, v in props.items()},
                "required": list(props),
            },
        },
    }


TOOLS = [
    _tool("read_file", "Read a text file.", path="File path"),
    _tool("write_file", "Create or overwrite a text file.", path="File path",
          content="The full new content"),
    _tool("run_shell", "Run a bash command in the working directory; returns exit status "
          "and output.", command="The command"),
    _tool("load_skill", "Load the full instructions of one available skill by name.",
          name="Skill name from the catalog"),
]


def skill_catalog(skills: dict[str, str]) -> str:
    """The system-prompt block listing visible skills (empty when there are none)."""
    if not skills:
        return ""
    lines = ["<available_skills>"]
    for folder, text in skills.items():
        head = text.split("\n---", 1)[0] if text.startswith("---") else ""
        match = _DESC.search(head)
        desc = match.group(1).strip().strip("'\"") if match else ""
        lines.append(f"<skill><name>{escape(folder)}</name>"
                     f"<description>{escape(desc)}</description></skill>")
    lines.append("</available_skills>")
    return ("\n\nSkills are folders of instructions for specific jobs. When one fits the task, "
            "call load_skill with its name before starting.\n" + "\n".join(lines))


class LLMAgentRunner:
    """An OpenAI-compatible tool-calling agent."""

    def __init__(self, client: LLMClient, *, max_turns: int = 30,
                 temperature: float = 0.0) -> None:
        self.client = client
        self.max_turns = max_turns
        self.temperature = temperature
        self.name = f"llm:{client.model}"

    def check(self, tasks: Sequence[Task]) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"runner": "llm", "model": self.client.model, "max_turns": self.max_turns,
                "temperature": self.temperature}

    def run(self, ctx: TrialContext) -> AgentOutcome:
        skills = visible_skills(ctx.dirs.skills)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM + skill_catalog(skills)},
            {"role": "user", "content": ctx.instruction},
        ]
        outcome = AgentOutcome()
        log: list[str] = []
        for _ in range(self.max_turns):
            if ctx.remaining() <= 0:
                outcome.status = "timeout"
                outcome.error = f"agent timed out after {ctx.timeout:g}s"
                break
            try:
                reply = self.client.chat(messages, tools=TOOLS, temperature=self.temperature)
            except LLMError as exc:
                outcome.status, outcome.error = "error", str(exc)
                break
            outcome.turns += 1
            outcome.prompt_tokens += reply.prompt_tokens
            outcome.completion_tokens += reply.completion_tokens
            if not reply.tool_calls:
                outcome.answer = reply.content
                break
            messages.append({
                "role": "assistant", "content": reply.content or None,
                "tool_calls": [{"id": c["id"], "type": "function",
                                "function": {"name": c["name"], "arguments": c["arguments"]}}
                               for c in reply.tool_calls],
            })
            for call in reply.tool_calls:
                result = self._call_tool(ctx, skills, call, outcome)
                log.append(f"{call['name']}({tail(str(call['arguments']), 200)}) -> "
                           f"{tail(result, 200)}")
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        else:
            outcome.status, outcome.error = "error", f"no final answer in {self.max_turns} turns"
        outcome.log = tail("\n".join(log))
        return outcome

    def _call_tool(self, ctx: TrialContext, skills: dict[str, str], call: dict[str, Any],
                   outcome: AgentOutcome) -> str:
        try:
            args = json.loads(call["arguments"] or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except (ValueError, TypeError) as exc:
            return f"error: bad arguments ({exc})"
        name = call["name"]
        try:
            if name == "read_file":
                path = _inside(ctx.dirs.work, args.get("path"))
                data = path.read_bytes()[:MAX_READ_BYTES]
                return data.decode("utf-8", errors="replace")
            if name == "write_file":
                path = _inside(ctx.dirs.work, args.get("path"))
                path.parent.mkdir(parents=True, exist_ok=True)
                content = args.get("content")
                path.write_text(content if isinstance(content, str) else "", encoding="utf-8")
                return f"wrote {path.relative_to(ctx.dirs.work).as_posix()}"
            if name == "run_shell":
                command = args.get("command")
                if not isinstance(command, str) or not command.strip():
                    return "error: 'command' must be a non-empty string"
                budget = min(SHELL_TIMEOUT, max(ctx.remaining(), 0.001))
                if ctx.dirs.box is not None:  # the agent's commands run in the trial's sandbox
                    res = ctx.dirs.box.run(["bash", "-c", command], timeout=budget)
                else:
                    res = run_process(["bash", "-c", command], cwd=ctx.dirs.work,
                                      timeout=budget)
                status = "timed out" if res.timed_out else f"exit status {res.returncode}"
                return tail(f"{status}\n{res.stdout}{res.stderr}", MAX_TOOL_OUTPUT)
            if name == "load_skill":
                wanted = args.get("name")
                if wanted not in skills:
                    names = ", ".join(skills) or "none"
                    return f"error: no skill named {wanted!r}; available: {names}"
                if wanted not in outcome.skills_seen:
                    outcome.skills_seen.append(wanted)
                return skills[wanted]
        except (OSError, ValueError) as exc:
            return f"error: {exc}"
        return f"error: unknown tool {name!r}"


def _inside(work: Path, rel: Any) -> Path:
    if not isinstance(rel, str) or not rel.strip():
        raise ValueError("'path' must be a non-empty string")
    target = (work / rel).resolve()
    if not target.is_relative_to(work.resolve()):
        raise ValueError(f"path {rel!r} is outside the working directory")
    return target
