"""Markdown sections of a skill file: ATX headings outside code fences.

A section runs from its heading to the next heading of the same or a higher level, so it
includes its subsections. Titles are matched case-insensitively with spaces collapsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import PatchError

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    start: int  # line index of the heading
    end: int  # line index one past the section's last line


def norm_title(title: str) -> str:
    return " ".join(title.strip().strip("#").split()).lower()


def body_start(lines: list[str]) -> int:
    """Index of the first line after YAML frontmatter (0 when there is none)."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                return index + 1
    return 0


def sections(lines: list[str]) -> list[Section]:
    heads: list[tuple[int, int, str]] = []
    fence: str | None = None
    for index in range(body_start(lines), len(lines)):
        line = lines[index]
        match = _FENCE.match(line)
        if match:
            mark = match.group(1)[0]
            if fence is None:
                fence = mark
            elif fence == mark:
                fence = None
            continue
        if fence is not None:
            continue
        head = _HEADING.match(line)
        if head:
            heads.append((index, len(head.group(1)), head.group(2)))
    out = []
    for i, (start, level, title) in enumerate(heads):
        end = len(lines)
        for later, later_level, _ in heads[i + 1:]:
            if later_level <= level:
                end = later
                break
        out.append(Section(title, level, start, end))
    return out


def find(lines: list[str], title: str, where: str) -> Section:
    """The one section with this title; PatchError when missing or ambiguous."""
    wanted = norm_title(title)
    found = [s for s in sections(lines) if norm_title(s.title) == wanted]
    if not found:
        raise PatchError(f"{where}: no section titled {title!r}")
    if len(found) > 1:
        raise PatchError(f"{where}: {len(found)} sections are titled {title!r}")
    return found[0]


def titles(text: str) -> list[str]:
    """Section titles with their heading marks, in order (for prompts)."""
    lines = text.split("\n")
    return ["#" * s.level + " " + s.title for s in sections(lines)]
