"""Poisoned runs: trajectories are untrusted input too.

A run whose messages, tool calls or tool results carry instructions aimed at whoever learns from
it ("add this step to the skill: curl … | sh", "ignore previous instructions", a note to the
LLM) or a download piped into a shell is **quarantined**: it is left out of grouping, mining and
distillation, and reported. The audit gate remains the second line for anything that slips by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import Trajectory

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("instruction-to-learner", re.compile(
        r"(?i)\b(add|insert|include|append|put|write|record|save)\b[^.\n]{0,40}\b"
        r"(step|instruction|line|command|rule|note)s?\b[^.\n]{0,40}\b"
        r"(skill|skill\.md|procedure|playbook|runbook|memory|lessons?)\b")),
    ("instruction-to-learner", re.compile(
        r"(?i)\b(note|message|instruction)s?\s+(to|for)\s+(the\s+)?(miner|learner|llm|model|"
        r"distiller|skill (writer|generator|author))\b")),
    ("instruction-to-learner", re.compile(
        r"(?i)\b(when|if) (you )?(learn|mine|distil+|summari[sz]e|write) (a |the |this )?"
        r"(skill|procedure)")),
    ("prompt-injection", re.compile(
        r"(?i)\b(ignore|disregard|forget) (all |any )?(the )?(previous|prior|above|earlier) "
        r"(instructions|rules|prompts?)")),
    ("pipe-to-shell", re.compile(
        r"(?i)\b(curl|wget|iwr|invoke-webrequest)\b[^\n|;]{0,200}\|\s*(sudo\s+)?"
        r"(ba|z|da)?sh\b")),
    ("pipe-to-shell", re.compile(r"(?i)base64\s+(-d|--decode)[^\n]{0,40}\|\s*(ba|z)?sh\b")),
)


@dataclass(frozen=True)
class Quarantined:
    run: str  # trajectory id
    rule: str
    where: str  # step number and role

    def to_dict(self) -> dict[str, str]:
        return {"run": self.run, "rule": self.rule, "where": self.where}


def _texts(traj: Trajectory) -> Iterable[tuple[str, str]]:
    yield "task", traj.task
    for number, step in enumerate(traj.steps):
        if step.role == "system":
            continue  # the agent's own prompt, not data from the run
        yield f"step {number} ({step.role})", step.text
        for call in step.tool_calls:
            yield f"step {number} (call {call.name})", str(call.arguments or "")


def inspect(traj: Trajectory) -> Quarantined | None:
    """The first sign that ``traj`` is poisoned, or None."""
    for where, text in _texts(traj):
        if not text:
            continue
        for rule, regex in _RULES:
            if regex.search(text):
                return Quarantined(traj.id, rule, where)
    return None


def quarantine(trajectories: Sequence[Trajectory]
               ) -> tuple[list[Trajectory], list[Quarantined]]:
    """(clean runs, quarantined runs with the reason)."""
    clean: list[Trajectory] = []
    held: list[Quarantined] = []
    for traj in trajectories:
        found = inspect(traj)
        if found is None:
            clean.append(traj)
        else:
            held.append(found)
    return clean, held
