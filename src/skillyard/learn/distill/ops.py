"""Edit operations against a frozen skill folder, their conflicts, and applying them.

Kinds (JSON ``{"op": KIND, ...}``; ``file`` defaults to SKILL.md):

- ``append``  {section, text}: add text at the end of a section;
- ``insert``  {section, text, anchor?}: add text after the line containing ``anchor`` in the
  section, or right after its heading;
- ``replace`` {old, text, section?}: replace text that occurs exactly once (in the section);
- ``add_section`` {section, text, after?, level?}: a new section (after another, else at the end);
- ``delete_section`` {section};
- ``create_file`` / ``delete_file`` {file, text}: reference files (text only: .md .txt .json
  .yaml .yml .csv under the skill folder; scripts are never written by learning);
- ``set_description`` {text}: the frontmatter description.

Every operation may carry ``reason`` and ``support`` (ids of the runs that motivate it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from ...skill import DESCRIPTION_MAX, SKILL_FILE, render
from ..errors import PatchError
from ..folder import Files
from .sections import body_start, find, norm_title, sections

KINDS = ("append", "insert", "replace", "add_section", "delete_section", "create_file",
         "delete_file", "set_description")
TEXT_SUFFIXES = (".md", ".txt", ".json", ".yaml", ".yml", ".csv")
MAX_TEXT = 20_000
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


@dataclass(frozen=True)
class EditOp:
    op: str
    file: str = SKILL_FILE
    section: str | None = None
    text: str = ""
    old: str | None = None
    anchor: str | None = None
    after: str | None = None
    level: int = 2
    reason: str = ""
    support: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.file != SKILL_FILE or self.op in ("create_file", "delete_file"):
            out["file"] = self.file
        for key in ("section", "old", "anchor", "after"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.op not in ("delete_section", "delete_file"):
            out["text"] = self.text
        if self.op == "add_section" and self.level != 2:
            out["level"] = self.level
        if self.reason:
            out["reason"] = self.reason
        if self.support:
            out["support"] = list(self.support)
        return out

    def target(self) -> tuple[str, str]:
        """What the operation touches, for conflict detection."""
        if self.op == "set_description":
            return ("description", "")
        if self.op in ("create_file", "delete_file"):
            return ("file", self.file)
        if self.op == "replace":
            return ("text", f"{self.file}\0{self.old}")
        return ("section", f"{self.file}\0{norm_title(self.section or '')}")

    def same_edit(self, other: EditOp) -> bool:
        return replace(self, reason="", support=()) == replace(other, reason="", support=())


def check_path(path: str) -> str:
    if (not path or path.startswith("/") or "\\" in path or ".." in path.split("/")
            or not _SAFE_PATH.match(path)):
        raise PatchError(f"file {path!r} is not a safe relative path in the skill folder")
    return path


def parse_op(raw: Any, where: str = "operation") -> EditOp:
    """Validate one operation from JSON; raise PatchError saying what is wrong."""
    if not isinstance(raw, dict):
        raise PatchError(f"{where}: must be an object")
    kind = raw.get("op")
    if kind not in KINDS:
        raise PatchError(f"{where}: 'op' must be one of {', '.join(KINDS)}")
    strings = {}
    for key in ("file", "section", "text", "old", "anchor", "after", "reason"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise PatchError(f"{where}: {key!r} must be a string")
        strings[key] = value
    text = strings["text"] or ""
    if len(text) > MAX_TEXT:
        raise PatchError(f"{where}: text is longer than {MAX_TEXT} characters")
    file = check_path(strings["file"] or SKILL_FILE)
    need = {"append": ("section", "text"), "insert": ("section", "text"),
            "replace": ("old",), "add_section": ("section", "text"),
            "delete_section": ("section",), "create_file": ("file", "text"),
            "delete_file": ("file",), "set_description": ("text",)}[kind]
    for key in need:
        if not strings[key] or not strings[key].strip():
            raise PatchError(f"{where}: {kind} needs a non-empty {key!r}")
    if kind in ("create_file", "delete_file"):
        if file == SKILL_FILE:
            raise PatchError(f"{where}: {kind} cannot target SKILL.md")
        if not file.lower().endswith(TEXT_SUFFIXES):
            raise PatchError(f"{where}: learning writes only text reference files "
                             f"({', '.join(TEXT_SUFFIXES)}), not {file!r}")
    elif kind != "set_description" and file != SKILL_FILE and not file.lower().endswith(".md"):
        raise PatchError(f"{where}: section edits need a markdown file, not {file!r}")
    if kind == "set_description" and len(" ".join(text.split())) > DESCRIPTION_MAX:
        raise PatchError(f"{where}: description is longer than {DESCRIPTION_MAX} characters")
    level = raw.get("level", 2)
    if not isinstance(level, int) or not 1 <= level <= 6:
        raise PatchError(f"{where}: level must be an integer from 1 to 6")
    support = raw.get("support") or []
    if not isinstance(support, list) or not all(isinstance(s, str) for s in support):
        raise PatchError(f"{where}: support must be a list of run ids")
    return EditOp(kind, file, strings["section"], text, strings["old"], strings["anchor"],
                  strings["after"], level, strings["reason"] or "", tuple(support))


def parse_ops(raw: Any, where: str = "operations") -> list[EditOp]:
    if not isinstance(raw, list):
        raise PatchError(f"{where}: must be a list")
    return [parse_op(item, f"{where}[{i}]") for i, item in enumerate(raw)]


def dedupe(ops: Iterable[EditOp]) -> list[EditOp]:
    """Identical edits collapse into one whose support is the union."""
    out: list[EditOp] = []
    for op in ops:
        for i, seen in enumerate(out):
            if seen.same_edit(op):
                support = tuple(dict.fromkeys(seen.support + op.support))
                out[i] = replace(seen, support=support)
                break
        else:
            out.append(op)
    return out


def conflicts(ops: list[EditOp]) -> list[tuple[int, int, str]]:
    """Pairs of operations that cannot both be applied, with why."""
    found = []
    for i, a in enumerate(ops):
        for j in range(i + 1, len(ops)):
            b = ops[j]
            why = _conflict(a, b)
            if why:
                found.append((i, j, why))
    return found


def _conflict(a: EditOp, b: EditOp) -> str | None:
    if a.same_edit(b):
        return None
    kinds = {a.op, b.op}
    ta, tb = a.target(), b.target()
    if ta == tb and ta[0] in ("description", "file", "text"):
        return f"two different edits of the same {ta[0]}"
    same_section = ta[0] == tb[0] == "section" and ta[1] == tb[1]
    if same_section and "delete_section" in kinds:
        return f"section {a.section!r} is deleted by one edit and changed by another"
    if same_section and kinds == {"add_section"}:
        return f"section {a.section!r} is added twice with different text"
    for x, y in ((a, b), (b, a)):
        if x.op == "delete_section" and y.op == "replace" and y.section and \
                norm_title(y.section) == norm_title(x.section or ""):
            return f"section {x.section!r} is deleted by one edit and changed by another"
    return None


def resolve(ops: list[EditOp]) -> tuple[list[EditOp], list[dict[str, Any]]]:
    """Drop conflicting operations deterministically: the better supported one wins (then the
    earlier one). Returns the kept operations and what was dropped and why."""
    ops = dedupe(ops)
    dropped: list[dict[str, Any]] = []
    alive = [True] * len(ops)
    for i, j, why in conflicts(ops):
        if not (alive[i] and alive[j]):
            continue
        loser = j if len(ops[i].support) >= len(ops[j].support) else i
        alive[loser] = False
        dropped.append({"op": ops[loser].to_dict(), "why": why})
    return [op for op, keep in zip(ops, alive, strict=True) if keep], dropped


def _set_description(files: Files, text: str) -> None:
    lines = files[SKILL_FILE].split("\n")
    start = body_start(lines)
    if start == 0:
        raise PatchError("SKILL.md has no frontmatter to hold a description")
    front = yaml.safe_load("\n".join(lines[1:start - 1])) or {}
    if not isinstance(front, dict):
        raise PatchError("SKILL.md frontmatter is not a mapping")
    front["description"] = " ".join(text.split())
    body = "\n".join(lines[start:])
    files[SKILL_FILE] = render(front, body)


def _block(text: str) -> list[str]:
    return text.strip("\n").split("\n")


def apply_one(files: Files, op: EditOp) -> None:
    """Apply one operation in place; PatchError when it does not fit the files."""
    where = f"{op.op} on {op.file}"
    if op.op == "set_description":
        _set_description(files, op.text)
        return
    if op.op == "create_file":
        if op.file in files:
            raise PatchError(f"{where}: the file already exists")
        files[op.file] = op.text.rstrip("\n") + "\n"
        return
    if op.op == "delete_file":
        if op.file not in files:
            raise PatchError(f"{where}: no such file")
        del files[op.file]
        return
    if op.file not in files:
        raise PatchError(f"{where}: no such file")
    lines = files[op.file].split("\n")
    if op.op == "replace":
        scope = (0, len(lines))
        if op.section:
            sec = find(lines, op.section, where)
            scope = (sec.start, sec.end)
        chunk = "\n".join(lines[scope[0]:scope[1]])
        count = chunk.count(op.old or "")
        if count != 1:
            raise PatchError(f"{where}: the text to replace occurs {count} times, not once")
        chunk = chunk.replace(op.old or "", op.text, 1)
        lines[scope[0]:scope[1]] = chunk.split("\n")
    elif op.op in ("append", "insert"):
        sec = find(lines, op.section or "", where)
        if op.op == "append":
            at = sec.end
            while at > sec.start + 1 and not lines[at - 1].strip():
                at -= 1
            lines[at:at] = ["", *_block(op.text)] + ([""] if at < len(lines) else [])
        else:
            at = sec.start + 1
            if op.anchor:
                hits = [i for i in range(sec.start, sec.end) if op.anchor in lines[i]]
                if len(hits) != 1:
                    raise PatchError(f"{where}: the anchor occurs {len(hits)} times in "
                                     f"section {op.section!r}, not once")
                at = hits[0] + 1
            lines[at:at] = _block(op.text)
    elif op.op == "add_section":
        wanted = norm_title(op.section or "")
        if any(norm_title(sec.title) == wanted for sec in sections(lines)):
            raise PatchError(f"{where}: a section titled {op.section!r} already exists")
        at = len(lines)
        if op.after:
            at = find(lines, op.after, where).end
        while at > 0 and not lines[at - 1].strip():
            at -= 1
        new = ["", "#" * op.level + " " + (op.section or "").strip(), "", *_block(op.text), ""]
        lines[at:at] = new
    elif op.op == "delete_section":
        sec = find(lines, op.section or "", where)
        del lines[sec.start:sec.end]
    text = "\n".join(lines)
    files[op.file] = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


@dataclass
class PatchResult:
    files: Files
    applied: list[EditOp] = field(default_factory=list)
    skipped: list[tuple[EditOp, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": [op.to_dict() for op in self.applied],
                "skipped": [{"op": op.to_dict(), "why": why} for op, why in self.skipped]}


def apply_ops(files: Files, ops: Iterable[EditOp]) -> PatchResult:
    """Apply operations in order to a copy of ``files``; ones that do not fit are skipped."""
    result = PatchResult(dict(files))
    for op in ops:
        trial = dict(result.files)
        try:
            apply_one(trial, op)
        except PatchError as exc:
            result.skipped.append((op, str(exc)))
            continue
        result.files = trial
        result.applied.append(op)
    return result


def dumps(ops: Iterable[EditOp]) -> str:
    return json.dumps([op.to_dict() for op in ops], ensure_ascii=False, indent=1)
