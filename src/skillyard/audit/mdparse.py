"""Just enough markdown structure for the auditor: fenced code blocks, paragraphs, headings,
line numbers and whether a match is quoted (an example) rather than said.

Each code block and each prose paragraph is one *flow*: the unit within which a capability and
a threat are correlated.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*)$")
_EXAMPLE_WORDS = re.compile(
    r"\b(?:e\.g\.|for example|such as|examples?|patterns?|detect\w*|look(?:ing)? for|"
    r"watch for|red flags?|phrases?|attacks?|injection|malicious|suspicious|jailbreaks?|"
    r"adversarial|anti-patterns?|never do|don't do|signatures?|indicators?)\b",
    re.IGNORECASE,
)


class LineIndex:
    """Offset -> 1-based line number."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def start(self, line: int) -> int:
        """Offset where a 1-based line starts (clamped to the last line)."""
        return self._starts[min(max(line, 1), len(self._starts)) - 1]


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    kind: str  # "prose" | "code"
    lang: str
    flow: str
    heading: str  # nearest heading above (lowercased)


def segments(text: str, path: str) -> list[Segment]:
    """Split markdown into code blocks and prose paragraphs, in order."""
    out: list[Segment] = []
    pos = 0
    fence: str | None = None
    lang = ""
    block_start = 0
    para_start: int | None = None
    heading = ""
    counter = 0

    def close_para(end: int) -> None:
        nonlocal para_start, counter
        if para_start is not None and end > para_start:
            counter += 1
            out.append(Segment(para_start, end, "prose", "", f"{path}#p{counter}", heading))
        para_start = None

    for line in text.splitlines(keepends=True):
        end = pos + len(line)
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                counter += 1
                out.append(Segment(block_start, end, "code", lang, f"{path}#b{counter}",
                                   heading))
                fence = None
        else:
            match = _FENCE.match(line)
            if match:
                close_para(pos)
                fence, lang, block_start = match.group(1), match.group(2).lower(), pos
            elif not stripped:
                close_para(pos)
            else:
                head = _HEADING.match(line)
                if head:
                    close_para(pos)
                    heading = head.group(1).strip().lower()
                if para_start is None:
                    para_start = pos
        pos = end
    if fence is not None:  # unclosed fence runs to the end
        counter += 1
        out.append(Segment(block_start, pos, "code", lang, f"{path}#b{counter}", heading))
    close_para(pos)
    return out


def segment_at(segs: list[Segment], offset: int) -> Segment | None:
    starts = [s.start for s in segs]
    index = bisect.bisect_right(starts, offset) - 1
    if index >= 0 and segs[index].start <= offset < max(segs[index].end, segs[index].start + 1):
        return segs[index]
    return None


def is_quoted(text: str, start: int, end: int, segment: Segment | None) -> bool:
    """True when a match reads as quoted or as an example rather than an instruction."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start:start]
    line = text[line_start:line_end]
    if before.count("`") % 2 == 1:
        return True
    if before.count('"') % 2 == 1 or before.count("“") > before.count("”"):
        return True
    if before.count("'") - before.count("'s ") - before.count("n't") >= 1 and \
            "'" in text[end:line_end]:
        return True
    if line.lstrip().startswith((">", "|")):
        return True
    if _EXAMPLE_WORDS.search(line):
        return True
    return bool(segment is not None and _EXAMPLE_WORDS.search(segment.heading))
