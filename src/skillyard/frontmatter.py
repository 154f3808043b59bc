"""Split a SKILL.md into YAML frontmatter and body, strictly or leniently.

Lenient mode mirrors what real clients tolerate: unquoted colons in values, folded continuation
lines, a ```skill fence around the file, and as a last resort a line regex for name/description.
Every repair is reported as a warning so that nothing is fixed silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import safeyaml
from .diagnostics import Diagnostic, error, warning

_KEY_LINE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*):(?:[ \t]+(.*?))?[ \t]*$")
_RISKY_START = tuple("@`%*&!,>|[{")


@dataclass
class Frontmatter:
    """Result of splitting and parsing: the mapping, the body and what happened on the way."""

    data: dict[str, Any] | None
    body: str
    method: str  # yaml | yaml_requoted | fenced_yaml | regex | missing
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not any(d.level == "error" for d in self.diagnostics)


def _load_yaml(block: str) -> Any:
    """Untrusted YAML: plain values, bounded size, depth and alias expansion (see safeyaml)."""
    return safeyaml.load(block)


def split(text: str) -> tuple[str | None, str, bool]:
    """Return (frontmatter block or None, body, fenced) without parsing YAML.

    The opening ``---`` must be the first line; the block ends at the next ``---`` or ``...`` line.
    ``fenced`` is True when the whole file was wrapped in a ```skill / ```yaml code fence.
    """
    lines = text.splitlines(keepends=True)
    fenced = False
    start = 0
    if len(lines) > 1 and lines[0].strip().startswith("```") and lines[1].strip() == "---":
        fenced, start = True, 1
    if start >= len(lines) or lines[start].rstrip("\r\n").rstrip() != "---":
        return None, text, False
    for i in range(start + 1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            block = "".join(lines[start + 1 : i])
            body = "".join(lines[i + 1 :])
            if fenced and body.rstrip().endswith("```"):
                body = body.rstrip()[:-3].rstrip() + "\n"
            return block, body, fenced
    raise ValueError("frontmatter opened with '---' but never closed")


def _requote(block: str) -> str:
    """Quote risky plain scalars of top-level keys and fold their continuation lines."""
    out: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _KEY_LINE.match(line)
        value = match.group(2) if match else None
        if not match or not value or value[0] in "\"'" or value in ("|", ">", "|-", ">-"):
            out.append(line)
            i += 1
            continue
        parts = [value]
        j = i + 1
        while j < len(lines) and lines[j][:1] in (" ", "\t") and lines[j].strip():
            stripped = lines[j].strip()
            if stripped.startswith("- ") or _KEY_LINE.match(stripped):
                break
            parts.append(stripped)
            j += 1
        folded = " ".join(parts)
        continued = j > i + 1
        risky = ": " in folded or " #" in folded or folded.endswith(":") or (
            folded.startswith(_RISKY_START) and not folded.startswith(("[", "{"))
        )
        if risky or continued:
            escaped = folded.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'{match.group(1)}: "{escaped}"')
        else:
            out.append(line)
            out.extend(lines[i + 1 : j])
        i = j
    return "\n".join(out) + "\n"


def _regex_fallback(block: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for line in block.splitlines():
        match = _KEY_LINE.match(line)
        if match and match.group(1) in ("name", "description") and match.group(2):
            found.setdefault(match.group(1), match.group(2).strip().strip("\"'"))
    return found


def parse(text: str, *, strict: bool = False) -> Frontmatter:
    """Parse SKILL.md text. Never raises on bad content: problems become diagnostics."""
    diags: list[Diagnostic] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        diags.append(warning("bom", "SKILL.md starts with a UTF-8 byte order mark"))
    try:
        block, body, fenced = split(text)
    except ValueError as exc:
        diags.append(error("frontmatter-unclosed", str(exc)))
        return Frontmatter(None, text, "missing", diags)
    if block is None:
        level = error if strict else warning
        diags.append(level("frontmatter-missing", "SKILL.md has no '---' frontmatter block"))
        return Frontmatter(None if strict else {}, body, "missing", diags)
    method = "yaml"
    if fenced:
        if strict:
            diags.append(error("frontmatter-fenced", "SKILL.md is wrapped in a code fence"))
            return Frontmatter(None, body, "fenced_yaml", diags)
        diags.append(warning("frontmatter-fenced", "removed a code fence around SKILL.md"))
        method = "fenced_yaml"
    try:
        data = _load_yaml(block)
    except safeyaml.UnsafeYAMLError as exc:
        # never repaired: a tag, a bomb or a recursive alias is refused in both modes
        diags.append(error(exc.code, f"frontmatter refused: {exc.message}"))
        return Frontmatter(None, body, method, diags)
    except yaml.YAMLError as exc:
        first = _first_line(exc)
        if strict:
            diags.append(error("yaml-invalid", f"frontmatter is not valid YAML: {first}"))
            return Frontmatter(None, body, method, diags)
        try:
            data = _load_yaml(_requote(block))
            method = "yaml_requoted"
            diags.append(
                warning("yaml-requoted", f"frontmatter needed quoting to parse ({first})")
            )
        except safeyaml.UnsafeYAMLError as again:
            diags.append(error(again.code, f"frontmatter refused: {again.message}"))
            return Frontmatter(None, body, method, diags)
        except yaml.YAMLError:
            data = _regex_fallback(block)
            if not data:
                diags.append(error("yaml-invalid", f"frontmatter is not valid YAML: {first}"))
                return Frontmatter(None, body, method, diags)
            method = "regex"
            diags.append(
                warning("yaml-regex", f"frontmatter is not valid YAML ({first}); "
                        "read name/description line by line")
            )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        diags.append(
            error("frontmatter-not-mapping",
                  f"frontmatter must be a mapping of keys, got {type(data).__name__}")
        )
        return Frontmatter(None, body, method, diags)
    return Frontmatter(data, body, method, diags)


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200]
