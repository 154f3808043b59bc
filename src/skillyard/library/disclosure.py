"""Progressive disclosure: a catalog within a budget, activation, and safe resource reads.

The budget rule, applied to the rendered text: when the full catalog is longer than the budget,
every description is cut to one common length (the longest that fits, never below
``MIN_DESCRIPTION`` characters; a cut ends with "…"). If it still does not fit, entries are
dropped from the end of the name-sorted list and a last line says how many were left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import PurePosixPath
from typing import Literal

from ..errors import AccessError, NotFoundError
from ..skill import SKILL_FILE, Skill

Format = Literal["xml", "json", "md"]
FORMATS: tuple[str, ...] = ("xml", "json", "md")
MIN_DESCRIPTION = 40
DEFAULT_MAX_RESOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: str
    name: str
    description: str


def _cut(text: str, cap: int | None) -> str:
    if cap is None or len(text) <= cap:
        return text
    return text[: max(cap - 1, 0)].rstrip() + "…"


def _entry_text(entry: CatalogEntry, fmt: str, cap: int | None) -> str:
    desc = _cut(entry.description, cap)
    if fmt == "xml":
        return (
            f"<skill>\n<name>{escape(entry.name)}</name>\n"
            f"<description>{escape(desc)}</description>\n</skill>\n"
        )
    if fmt == "md":
        return f"- **{entry.name}**: {desc}\n"
    item = {"id": entry.id, "name": entry.name, "description": desc}
    return "  " + json.dumps(item, ensure_ascii=False) + ",\n"


_FRAME = {
    "xml": ("<available_skills>\n", "</available_skills>\n"),
    "md": ("# Available skills\n\n", ""),
    "json": ("[\n", "]\n"),
}


def _omitted_line(fmt: str, count: int) -> str:
    if not count:
        return ""
    if fmt == "xml":
        return f"<!-- {count} more skills not listed -->\n"
    if fmt == "md":
        return f"- … {count} more skills not listed\n"
    return ""  # JSON reports the count in its own field


@dataclass
class Catalog:
    entries: list[CatalogEntry]
    format: str = "xml"
    budget: int | None = None
    description_cap: int | None = None
    omitted: int = 0
    text: str = field(default="", repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "skills": [
                {"id": e.id, "name": e.name, "description": _cut(e.description,
                                                                  self.description_cap)}
                for e in self.entries
            ],
            "budget": self.budget,
            "description_cap": self.description_cap,
            "omitted": self.omitted,
            "chars": len(self.text),
        }


def _render(entries: list[CatalogEntry], fmt: str, cap: int | None, omitted: int) -> str:
    head, tail = _FRAME[fmt]
    body = "".join(_entry_text(e, fmt, cap) for e in entries)
    if fmt == "json" and body:
        body = body[:-2] + "\n"  # no trailing comma
    return head + body + _omitted_line(fmt, omitted) + tail


def build_catalog(
    entries: list[CatalogEntry], *, fmt: str = "xml", budget: int | None = None
) -> Catalog:
    """Render the catalog, applying the budget rule from the module docstring."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown catalog format {fmt!r}; use one of {', '.join(FORMATS)}")
    entries = sorted(entries, key=lambda e: (e.name, e.id))
    full = _render(entries, fmt, None, 0)
    if budget is None or len(full) <= budget:
        return Catalog(entries, fmt, budget, None, 0, full)
    if budget < 0:
        raise ValueError("budget must be a positive number of characters")
    longest = max((len(e.description) for e in entries), default=0)
    lo, hi = MIN_DESCRIPTION, max(longest, MIN_DESCRIPTION)
    if len(_render(entries, fmt, lo, 0)) <= budget:
        while lo < hi:  # largest cap that fits
            mid = (lo + hi + 1) // 2
            if len(_render(entries, fmt, mid, 0)) <= budget:
                lo = mid
            else:
                hi = mid - 1
        return Catalog(entries, fmt, budget, lo, 0, _render(entries, fmt, lo, 0))
    cap = MIN_DESCRIPTION
    count = len(entries)

    def fits(kept: int) -> bool:
        return len(_render(entries[:kept], fmt, cap, count - kept)) <= budget

    if not fits(0):
        raise ValueError(f"budget {budget} is too small for even an empty catalog")
    lo, hi = 0, count
    while lo < hi:  # most entries that fit
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    kept = lo
    shown = entries[:kept]
    text = _render(shown, fmt, cap, len(entries) - kept)
    return Catalog(shown, fmt, budget, cap, len(entries) - kept, text)


@dataclass(frozen=True)
class Activation:
    id: str
    name: str
    body: str
    resources: list[tuple[str, int]]

    def text(self) -> str:
        lines = [f'<skill_content name="{escape(self.name)}">', self.body.strip("\n")]
        if self.resources:
            lines.append("<skill_resources>")
            lines.extend(f"- {path} ({size} bytes)" for path, size in self.resources)
            lines.append("</skill_resources>")
        lines.append("</skill_content>")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "body": self.body,
            "resources": [{"path": p, "size": s} for p, s in self.resources],
        }


def activation(skill: Skill) -> Activation:
    resources = [(f.path, f.size) for f in skill.files if f.path != SKILL_FILE]
    return Activation(skill.id, skill.name, skill.body, resources)


def normalize_resource_path(path: str) -> str:
    """Check a requested resource path and return its canonical form, or raise AccessError."""
    if not path or "\0" in path:
        raise AccessError("empty or invalid resource path")
    if "\\" in path:
        raise AccessError(f"{path!r}: use forward slashes in resource paths")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise AccessError(f"{path!r}: path traversal is not allowed")
    return pure.as_posix()


def resource_entry(skill: Skill, path: str, max_bytes: int):  # noqa: ANN201 - SkillFile
    """Find a readable resource of a skill, refusing escapes, missing content and oversize."""
    clean = normalize_resource_path(path)
    entry = skill.file(clean)
    if entry is None:
        raise NotFoundError(f"skill {skill.name!r} has no file {clean!r}")
    if entry.kind == "symlink":
        raise AccessError(f"{clean!r} is a symlink that leaves the skill folder; refused")
    if entry.size > max_bytes:
        raise AccessError(f"{clean!r} is {entry.size} bytes; the cap is {max_bytes} bytes")
    if entry.note and entry.note.startswith("oversize"):
        raise AccessError(f"{clean!r} was too large to store; its content is not available")
    return entry
