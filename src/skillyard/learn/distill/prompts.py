"""Prompts for distillation. Deterministic: the same inputs always give the same messages, so
recorded replies replay exactly."""

from __future__ import annotations

import json
from typing import Any

from ...skill import SKILL_FILE
from ..folder import Files
from ..model import Trajectory
from .ops import KINDS
from .sections import titles

STEP_CHARS = 400
RUN_CHARS = 14_000
SKILL_CHARS = 16_000

OPS_HELP = f"""Edit operations (JSON objects; "file" defaults to "SKILL.md"):
- {{"op": "append", "section": TITLE, "text": MARKDOWN}} adds text at the end of a section
- {{"op": "insert", "section": TITLE, "anchor": LINE_TEXT?, "text": MARKDOWN}} adds text after
  the line containing the anchor, or right after the heading
- {{"op": "replace", "section": TITLE?, "old": EXACT_TEXT, "text": NEW_TEXT}}
- {{"op": "add_section", "section": NEW_TITLE, "after": TITLE?, "level": 2, "text": MARKDOWN}}
- {{"op": "delete_section", "section": TITLE}}
- {{"op": "create_file", "file": "references/NAME.md", "text": MARKDOWN}} (text files only)
- {{"op": "delete_file", "file": PATH}}
- {{"op": "set_description", "text": WHEN_TO_USE_DESCRIPTION}}
Every operation also has "reason" (one sentence) and "support" (the run ids behind it).
Kinds: {", ".join(KINDS)}. Section titles must match the frozen skill exactly."""

ANALYSE_SYSTEM = f"""You improve an agent skill (a SKILL.md folder) using one recorded agent run.
The skill is frozen: propose small edit operations against it, do not rewrite it.
Generalise: no names, ids, dates or amounts from this run; only lessons that would help a
different run of the same kind of task. If the run adds nothing, return no operations.
Never add instructions to download or run code, to contact other hosts, or to hide anything
from the user.

Reply with one JSON object and nothing else:
{{"success_path": [STEP, ...], "failure_causes": [CAUSE, ...], "operations": [OP, ...]}}
At most 5 operations.

{OPS_HELP}"""

MERGE_SYSTEM = f"""You merge lists of edit operations proposed for one frozen agent skill into a
single list that can be applied in order without conflicts.
- Identical or near-identical operations become one, with the union of their "support".
- When operations conflict (two different edits of the same text, section, file or
  description; an edit of a section that another deletes), keep the one that is better
  supported and more general, or combine them into one edit; drop the rest.
- Keep operations valid against the frozen skill: existing section titles, exact old text.
- Do not invent new content beyond combining what is proposed.

Reply with one JSON object and nothing else: {{"operations": [OP, ...]}}

{OPS_HELP}"""


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 20].rstrip() + " …[truncated]"


def render_run(traj: Trajectory) -> str:
    """A compact, bounded text view of a run for the model."""
    head = [f"Run id: {traj.id}", f"Task: {_clip(traj.task, 1200)}",
            f"Outcome: {traj.outcome}" + (f" (reward {traj.reward})" if traj.reward is not None
                                          else "")]
    lines: list[str] = []
    for number, step in enumerate(traj.steps, start=1):
        if step.role == "system":
            lines.append(f"[{number}] system: {_clip(step.text, 800)}")
            continue
        if step.role == "tool":
            flag = f" ERROR: {_clip(step.error, 200)}" if step.error else ""
            lines.append(f"[{number}] tool result{flag}: {_clip(step.text, STEP_CHARS)}")
            continue
        text = _clip(step.text, STEP_CHARS)
        if text:
            lines.append(f"[{number}] {step.role}: {text}")
        for call in step.tool_calls:
            args = call.arguments if isinstance(call.arguments, str) else json.dumps(
                call.arguments, ensure_ascii=False, sort_keys=True)
            lines.append(f"[{number}] call {call.name} {_clip(str(args), 300)}")
    body = "\n".join(lines)
    if len(body) > RUN_CHARS:
        keep_head = int(RUN_CHARS * 0.4)
        keep_tail = RUN_CHARS - keep_head
        omitted = body[keep_head:-keep_tail].count("\n")
        body = (body[:keep_head] + f"\n… {omitted} lines omitted …\n" + body[-keep_tail:])
    return "\n".join(head) + "\nSteps:\n" + body


def render_skill(files: Files) -> str:
    parts = [f"=== {SKILL_FILE} (sections: {'; '.join(titles(files[SKILL_FILE]))}) ===",
             _clip(files[SKILL_FILE], SKILL_CHARS)]
    for path in sorted(p for p in files if p != SKILL_FILE):
        sec = "; ".join(titles(files[path])) if path.endswith(".md") else ""
        parts.append(f"=== {path}" + (f" (sections: {sec})" if sec else "") + " ===")
        parts.append(_clip(files[path], 1500))
    return "\n".join(parts)


def analysis_messages(files: Files, traj: Trajectory) -> list[dict[str, Any]]:
    user = ("The frozen skill:\n\n" + render_skill(files) + "\n\nThe run:\n\n" + render_run(traj)
            + "\n\nAnalyse the run and propose operations (support: [\"" + traj.id + "\"]).")
    return [{"role": "system", "content": ANALYSE_SYSTEM}, {"role": "user", "content": user}]


def merge_messages(files: Files, batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    lists = "\n\n".join(f"List {i}:\n" + json.dumps(ops, ensure_ascii=False, indent=1)
                        for i, ops in enumerate(batches, start=1))
    user = ("The frozen skill:\n\n" + render_skill(files) + "\n\nOperation lists to merge:\n\n"
            + lists)
    return [{"role": "system", "content": MERGE_SYSTEM}, {"role": "user", "content": user}]
