"""Offline edits that deepen an existing skill with what mining found (no LLM).

Lessons go into the skill's pitfalls section (or a new one), a procedure learned from runs is
added when the skill does not already mention its steps, the step graph and the list of source
runs are written as reference files, and a description edit can add the request words the
skill's description is missing.
"""

from __future__ import annotations

import re

from ..skill import DESCRIPTION_MAX, SKILL_FILE
from .distill.ops import EditOp
from .distill.sections import sections
from .folder import Files
from .miner import MinedSkill
from .render import GRAPH_FILE, RUNS_FILE
from .textsim import words

PITFALL_TITLES = ("pitfalls", "gotchas", "common mistakes", "common pitfalls", "troubleshooting",
                  "pitfalls learned from runs")
LEARNED_PROCEDURE = "Procedure learned from runs"
LEARNED_PITFALLS = "Pitfalls learned from runs"


def _section_text(text: str, title: str) -> str:
    lines = text.split("\n")
    for sec in sections(lines):
        if sec.title.strip().lower() == title.lower():
            return "\n".join(lines[sec.start + 1:sec.end]).strip()
    return ""


def missing_steps(base_md: str, mined: MinedSkill) -> list[str]:
    """Backbone tools of the mined procedure that the skill text never mentions."""
    tools = []
    for stage in mined.stages:
        if stage.kind in ("step", "either-order"):
            tools += [a.split("(")[0].split(":")[0] for a in stage.actions]
    text = base_md.lower()
    return [t for t in dict.fromkeys(tools) if t.lower() not in text]


def description_gap(description: str, terms: list[str]) -> list[str]:
    """Group terms the description does not contain."""
    have = set(words(description))
    return [t for t in terms if t not in have]


def offline_ops(base: Files, mined: MinedSkill) -> list[EditOp]:
    """Edits that add mined lessons, procedure and references to ``base``."""
    support = tuple(t.id for t in mined.trajectories)
    md = base[SKILL_FILE]
    ops: list[EditOp] = []
    titles = {s.title.strip().lower(): s.title for s in sections(md.split("\n"))}
    new_lessons = [les.text for les in mined.lessons if les.text not in md]
    if new_lessons:
        items = "\n".join(f"- {text}" for text in new_lessons)
        target = next((titles[t] for t in PITFALL_TITLES if t in titles), None)
        if target:
            ops.append(EditOp("append", section=target, text=items,
                              reason="lessons from failed and recovered runs", support=support))
        else:
            ops.append(EditOp("add_section", section=LEARNED_PITFALLS, text=items,
                              reason="lessons from failed and recovered runs", support=support))
    procedure = _section_text(mined.files[SKILL_FILE], "Procedure")
    if missing_steps(md, mined) and procedure:
        text = (f"Successful runs ({sum(1 for t in mined.trajectories if t.succeeded)} of "
                f"{len(mined.trajectories)}) followed this procedure:\n\n{procedure}")
        if LEARNED_PROCEDURE.lower() in titles:
            old = _section_text(md, LEARNED_PROCEDURE)
            if old and old != text.strip():
                ops.append(EditOp("replace", section=titles[LEARNED_PROCEDURE.lower()], old=old,
                                  text=text, reason="procedure re-mined", support=support))
        else:
            ops.append(EditOp("add_section", section=LEARNED_PROCEDURE, text=text,
                              reason="steps the skill did not mention", support=support))
    for path in (GRAPH_FILE, RUNS_FILE):
        new = mined.files[path]
        if path not in base:
            ops.append(EditOp("create_file", file=path, text=new, support=support))
        elif base[path].strip() != new.strip():
            ops.append(EditOp("replace", file=path, old=base[path].rstrip("\n"),
                              text=new.rstrip("\n"), support=support))
    return ops


def description_op(description: str, terms: list[str], support: tuple[str, ...]) -> EditOp | None:
    """Extend a description with the request words it lacks (within the length limit)."""
    gap = description_gap(description, terms)[:6]
    if not gap:
        return None
    base = re.sub(r"\s+", " ", description).strip().rstrip(".")
    addition = f". Also use for requests about {', '.join(gap)}."
    text = (base[: DESCRIPTION_MAX - len(addition)].rstrip() + addition).strip()
    return EditOp("set_description", text=text, reason="requests the description missed",
                  support=support)
