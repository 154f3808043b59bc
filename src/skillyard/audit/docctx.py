"""Documentation context: is a code block in a guide or reference an example, or an instruction?

Security guides, incident playbooks, pentest lessons and code-review checklists quote the very
commands the auditor looks for: to explain them, to list indicators, or to show what not to do.
Such a block is data: its findings are reported as warnings and never correlated. A block the
agent is told to run stays as it is, whatever the document around it says.

The judgement reads three things: the headings above the block, the prose that leads into it
(the paragraph just before), and the skill's stated purpose. A reference document (any markdown
that is not SKILL.md) needs less evidence than SKILL.md itself, where instructions live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .datablock import detection_item, output_block
from .mdparse import Segment

# Headings that open a section of examples, evidence or mistakes, not of steps to follow.
_EXAMPLE_HEADING = re.compile(
    r"\b(?:indicators?(?:\s+of\s+compromise)?|iocs?|what\s+not\s+to\s+do|anti-?patterns?|"
    r"never\s+do|don'?t\s+do|do\s+not\s+do|bad(?:\s+examples?)?|wrong|vulnerable|insecure|"
    r"dangerous|unsafe|red\s+flags?|malicious|malware|dropper|attacks?|attacker|exploit\w*|"
    r"payloads?|in\s+the\s+wild|evidence|(?:attack|threat)\s+examples?|techniques?|"
    r"how\s+(?:it|this|the\s+attack)\s+works|write-?up|foothold|lessons?|detections?|"
    r"what\s+a\s+malicious|common\s+mistakes|pitfalls)\b|❌|⚠",
    re.I,
)
# Headings strong enough on their own even in SKILL.md.
_STRONG_HEADING = re.compile(
    r"\b(?:indicators?\s+of\s+compromise|iocs?|what\s+not\s+to\s+do|anti-?patterns?|"
    r"never\s+do|don'?t\s+do|do\s+not\s+do|bad\s+examples?|vulnerable|insecure|red\s+flags?|"
    r"(?:example|sample)\s+(?:attacks?|payloads?|exploits?)|(?:attack|threat)\s+examples?|"
    r"what\s+(?:the|an)\s+attacker\s+(?:ran|runs|does)|what\s+a\s+malicious|"
    r"known\s+malicious|in\s+the\s+wild)\b|❌",
    re.I,
)
# The sentence leading into a block says what follows is an example, evidence or a mistake.
_EXAMPLE_LEAD = re.compile(
    r"\b(?:for\s+example|e\.g\.|looks?\s+like|lines?\s+like|such\s+as|typical|a\s+sample|"
    r"samples?\s+from|attackers?|adversar\w+|malicious|malware|payloads?|one-?liners?|"
    r"would\s+(?:run|use|look)|might\s+(?:run|see|use)|(?:may|might|will|would)\s+see|"
    r"evidence|in\s+the\s+wild|not\s+(?:commands\s+)?to\s+(?:be\s+)?run|never\s+run|"
    r"do\s+not\s+run|don'?t\s+run|never\s+runs|an\s+agent\s+never|vulnerable|insecure|"
    r"(?:bad|wrong|unsafe)\s*(?:example|way|:)|hides?\s+a\s+step|we\s+(?:uploaded|ran|used)|"
    r"caught\s+it)\b|❌",
    re.I,
)
# ... unless it tells the agent to run the block.
_INSTRUCTION_LEAD = re.compile(
    r"(?:^|[.:!]\s+|\n\s*(?:[-*]|\d+[.)])?\s*)(?:now\s+|then\s+|first,?\s+)?"
    r"(?:run|execute|paste|type|enter|invoke)\s+(?:this|these|the\s+following|it|them|"
    r"the\s+commands?|the\s+script|once|now)\b|\byou\s+(?:must|should)\s+(?:run|execute)\b",
    re.I,
)
# A skill whose stated purpose is security analysis, teaching or review quotes attacks.
_SECURITY_PURPOSE = re.compile(
    r"\b(?:security|secure|vet\w*|audit\w*|review\w*|triage|malware|threat\w*|incident\w*|"
    r"forensic\w*|pentest\w*|penetration|offensive|ctf|capture[- ]the[- ]flag|vulnerab\w+|"
    r"detect\w*|scanner|hardening|intrusion|red[- ]team|blue[- ]team|soc\b|dfir|"
    r"write-?ups?|course|tutor|lesson|malicious)",
    re.I,
)
_BLOCK_DISCLAIMER = re.compile(
    r"#\s*(?:do\s+not|don'?t|never)\s+run|#\s*(?:malicious|attacker|payload|example|"
    r"bad|vulnerable|insecure)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class DocContext:
    """What the engine needs to know about one markdown unit to judge its code blocks."""

    reference: bool  # a markdown file other than SKILL.md (references, docs, guides)
    security_purpose: bool  # the skill says it is about security analysis or teaching


def doc_context(path: str, intent: str) -> DocContext:
    name = PurePosixPath(path.rsplit("!", 1)[-1]).name.lower()
    return DocContext(reference=name != "skill.md",
                      security_purpose=bool(_SECURITY_PURPOSE.search(intent)))


def _lead(text: str, segs: list[Segment], seg: Segment) -> str:
    """The prose just before a code block (its last 400 characters), if it is in the same
    section: the sentence that introduces the block."""
    before = [s for s in segs if s.end <= seg.start + 1 and s is not seg]
    if not before:
        return ""
    prev = before[-1]
    if prev.kind != "prose" or prev.heading != seg.heading:
        return ""
    return text[max(prev.start, prev.end - 400):prev.end]


def _last_sentence(lead: str) -> str:
    return re.split(r"(?<=[.!?])\s+", lead.strip())[-1] if lead.strip() else ""


def data_lines(text: str, segs: list[Segment], seg: Segment, offset: int) -> str:
    """Why the line at ``offset`` in the code block ``seg`` is data (sample output, an item of
    a detection list) rather than something to run ('' when it is not, or when the prose before
    the block tells the agent to run it)."""
    last = _last_sentence(_lead(text, segs, seg))
    if last and _INSTRUCTION_LEAD.search(last) and not _EXAMPLE_LEAD.search(last):
        return ""
    block = text[seg.start:seg.end]
    return detection_item(block, offset - seg.start) or \
        output_block(block, seg.lang, seg.heading, last)


def example_block(text: str, segs: list[Segment], seg: Segment, headings: str,
                  ctx: DocContext) -> str:
    """Why the code block ``seg`` reads as an example rather than an instruction ('' when it
    does not). ``headings`` is the section path above the block."""
    last = _last_sentence(_lead(text, segs, seg))
    if last and _INSTRUCTION_LEAD.search(last) and not _EXAMPLE_LEAD.search(last):
        return ""
    body = text[seg.start:seg.end]
    if _BLOCK_DISCLAIMER.search(body[:400]):
        return "the block is marked as an example"
    if _STRONG_HEADING.search(headings):
        return "in a section of examples of what not to do"
    if last and _EXAMPLE_LEAD.search(last):
        if ctx.reference or ctx.security_purpose:
            return "introduced as an example"
        return ""
    if ctx.security_purpose and _EXAMPLE_HEADING.search(headings):
        return "in a security guide's section of examples"
    return ""


_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*)$", re.M)


def heading_marks(text: str, segs: list[Segment]) -> list[tuple[int, int, str]]:
    """(offset, level, title) of every markdown heading outside code blocks, in order."""
    code = [(s.start, s.end) for s in segs if s.kind == "code"]
    out = []
    for m in _HEADING.finditer(text):
        if not any(a <= m.start() < b for a, b in code):
            out.append((m.start(), len(m.group(1)), m.group(2).strip()))
    return out


def section_path(marks: list[tuple[int, int, str]], offset: int) -> str:
    """The titles of the sections that contain ``offset``, outermost first."""
    stack: list[tuple[int, str]] = []
    for start, level, title in marks:
        if start > offset:
            break
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
    return " / ".join(t for _l, t in stack)


_PUSH = re.compile(r"\bgit\s+push\s+(?P<args>[^\n;|&]*)")
_DROP = re.compile(r"\bDROP\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?[`\"']?(?P<db>[\w.-]+)|"
                   r"\bdropdb\s+(?:-\S+\s+)*(?P<db2>[\w.-]+)", re.I)


def _remote_of(args: str) -> str:
    words = [w for w in args.split() if not w.startswith("-")]
    return words[0] if words else ""


def recreated_target(evidence: str, block: str) -> str:
    """Why a destructive-looking command only replaces something new ('' when it does not):
    a force-push to a remote (or a repository) created in the same block, or a database
    dropped and created again (or restored) in the same block."""
    at = block.find(evidence[:40])
    if at < 0:
        return ""
    line_start = block.rfind("\n", 0, at) + 1
    line_end = block.find("\n", at)
    line = block[line_start:line_end if line_end >= 0 else len(block)]
    push = _PUSH.search(line)
    if push:
        remote = _remote_of(push.group("args"))
        if remote and re.search(rf"\bgit\s+remote\s+add\s+(?:-\S+\s+)*{re.escape(remote)}\s",
                                block):
            return "a force-push to a remote added in the same block (a new repository)"
        if re.search(r"\bgit\s+init\b", block[:at]):
            return "a force-push of a repository created in the same block"
        return ""
    drop = _DROP.search(line)
    if drop:
        db = re.escape(drop.group("db") or drop.group("db2") or "")
        rest = block[at:]
        if db and re.search(rf"\bCREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                            rf"[`\"']?{db}\b|\bcreatedb\s+(?:-\S+\s+)*{db}\b|"
                            rf"\bpg_restore\b[^\n]*\b{db}\b", rest, re.I):
            return "a database dropped and created again or restored in the same block"
    return ""
