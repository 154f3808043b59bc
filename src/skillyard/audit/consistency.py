"""Consistency analyzer: declared intent (name, description, ``allowed-tools``) against what the
scripts and instructions actually do."""

from __future__ import annotations

import re
from typing import Any

from ..skill import SKILL_FILE, Skill
from .model import Hit
from .rules import RuleSet

_NETWORK_INTENT = re.compile(
    r"\b(?:api|apis|http|https|web|online|internet|url|urls|fetch\w*|download\w*|upload\w*|"
    r"deploy\w*|publish\w*|release\w*|sync\w*|cloud|remote|server|service|endpoint|webhook|"
    r"github|gitlab|slack|discord|telegram|email|e-mail|mail|notion|jira|linear|search\w*|"
    r"scrap\w*|crawl\w*|browser|site|website|s3|aws|gcp|azure|vercel|supabase|database|"
    r"request|requests|rest|graphql|oauth|token|send\w*|post\w*|share|sharing|stream\w*|"
    r"monitor\w*|mcp|integrat\w*|connect\w*|network\w*|online|weather|news|translate\w*)\b",
    re.I)
_BROAD = re.compile(r"^(?:\*|Bash|Bash\(\*\)|Bash\(\*:\*\)|Shell|shell|Bash\(\s*\)|all)$")
_SHELLISH = re.compile(r"^(?:Bash|Shell|Terminal|run_terminal_cmd|execute|Exec)", re.I)
SEND_RULES = frozenset({"network-upload", "py-network", "js-network"})
EXEC_TAGS = frozenset({"exec", "remote-exec", "network", "upload", "dynamic-exec"})


def _tools(frontmatter: dict[str, Any]) -> list[str] | None:
    value = frontmatter.get("allowed-tools", frontmatter.get("allowed_tools"))
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    # Split on spaces or commas, but keep "Bash(git status:*)" together.
    return [t.strip() for t in re.findall(r"[\w.-]+(?:\([^)]*\))?|\*", text) if t.strip()]


def check_consistency(skill: Skill, hits: list[Hit], rules: RuleSet) -> list[Hit]:
    out: list[Hit] = []
    tools = _tools(skill.frontmatter)
    if tools is not None:
        broad = [t for t in tools if _BROAD.match(t)]
        if broad:
            out.append(Hit("broad-tools", SKILL_FILE, 1, f"allowed-tools: {', '.join(broad)}",
                           flow=f"{SKILL_FILE}#frontmatter", skill_scope=True))
        elif not any(_SHELLISH.match(t) for t in tools):
            acting = [h for h in hits if not h.inert
                      and rules.get(h.rule).tag in EXEC_TAGS and h.file != SKILL_FILE]
            if acting:
                first = acting[0]
                out.append(Hit("undeclared-tools", first.file, first.line,
                               f"allowed-tools: {' '.join(tools) or '(empty)'}; but "
                               f"{first.rule}: {first.evidence}", flow=first.flow))
    intent = f"{skill.name} {skill.description}".replace("-", " ").replace("_", " ")
    if not _NETWORK_INTENT.search(intent):
        senders = [h for h in hits if h.rule in SEND_RULES and h.file != SKILL_FILE
                   and not h.inert]
        if senders:
            first = senders[0]
            out.append(Hit("undeclared-network", first.file, first.line,
                           f"description: {skill.description[:80]!r}; but {first.evidence}",
                           flow=first.flow))
    return out
