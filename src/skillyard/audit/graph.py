"""Combination graph: what each skill collects into files and what it sends out, so that chains
of individually mild skills (one caches credentials to a file, another uploads that folder) are
found across a library (and across flows inside one skill)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import envchain
from .content import TextUnit
from .mdparse import segments
from .model import Hit

_P = (r"""["']?((?:~|\$HOME|\$\{HOME\}|/tmp|/var/tmp|\.{1,2}|/[\w.-]+)?/[\w.${}/~-]*[\w}]|"""
      r"""[\w.-]+\.(?:txt|json|log|tgz|tar|gz|zip|db|dat|cache))["']?""")
_WRITES = re.compile(
    rf"(?:>>?\s*|\btee\s+(?:-a\s+)?|\bcp\s+(?:-\w+\s+)*\S+\s+|\btar\s+-?c\w*f\s+|\bzip\s+(?:-\w+\s+)*)"
    rf"{_P}|open\(\s*{_P}\s*,\s*[\"'][wa]|Path\(\s*{_P}\s*\)\s*\.write_(?:text|bytes)")
_SENDS = re.compile(
    rf"(?:-F\s+\S+=@|--data(?:-binary)?\s+@|-T\s+|--upload-file\s+|@){_P}|"
    rf"\b(?:scp|rsync)\s+(?:-\w+\s+)*{_P}\s+\S+:|\btar\s+-?c\w*f\s+-\s+{_P}|"
    rf"open\(\s*{_P}\s*,\s*[\"']rb?[\"']")
COLLECT_TAGS = frozenset({"credential", "env-dump"})
SEND_TAGS = frozenset({"network", "upload"})


def normalize(path: str) -> str:
    path = path.strip("\"'")
    for home in ("$HOME", "${HOME}"):
        if path.startswith(home):
            path = "~" + path[len(home):]
    return path.rstrip("/")


def _paths(regex: re.Pattern[str], text: str) -> set[str]:
    out = set()
    for match in regex.finditer(text):
        value = next((g for g in match.groups() if g), None)
        if value and len(value) > 2:
            out.add(normalize(value))
    return out


@dataclass
class Effects:
    collects: dict[str, str]  # path written in a flow that reads credentials -> flow
    sends: dict[str, str]  # path read in a flow that talks to the network -> flow

    def to_dict(self) -> dict[str, list[str]]:
        return {"collects": sorted(self.collects), "sends": sorted(self.sends)}

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> Effects:
        return cls({p: "" for p in data.get("collects", [])},
                   {p: "" for p in data.get("sends", [])})


def effects_of(units: list[TextUnit], hits: list[Hit], tag_of: dict[str, str]) -> Effects:
    """Per flow: paths written where credentials are read, paths read where data is sent."""
    flow_tags: dict[str, set[str]] = {}
    for hit in hits:
        if not hit.inert and tag_of.get(hit.rule):
            flow_tags.setdefault(hit.flow, set()).add(tag_of[hit.rule])
    collects: dict[str, str] = {}
    sends: dict[str, str] = {}
    if not any(tags & (COLLECT_TAGS | SEND_TAGS) for tags in flow_tags.values()):
        return Effects(collects, sends)
    for unit in units:
        pieces = ([(unit.text[s.start:s.end], s.flow) for s in segments(unit.text, unit.path)]
                  if unit.lang == "markdown" and not unit.flow else
                  [(unit.text, unit.flow or unit.path)])
        for text, flow in pieces:
            tags_here = flow_tags.get(flow, set())
            if tags_here & COLLECT_TAGS:
                for path in _paths(_WRITES, text):
                    collects.setdefault(path, flow)
            if tags_here & SEND_TAGS:
                for path in _paths(_SENDS, text):
                    sends.setdefault(path, flow)
    return Effects(collects, sends)


def linked(collected: str, sent: str) -> bool:
    """The sent path is the collected file, a folder holding it, or a glob matching it."""
    import fnmatch

    if collected == sent or collected.startswith(sent.rstrip("/") + "/"):
        return True
    if any(c in sent for c in "*?["):
        return fnmatch.fnmatchcase(collected, sent) or fnmatch.fnmatchcase(
            collected, sent.rstrip("/*") + "/*") and collected.startswith(
            sent.split("*", 1)[0])
    return False


def chains(effects: dict[str, Effects]) -> list[tuple[str, str, str, str]]:
    """(collector skill, collected path, sender skill, sent path) for every linked pair.
    Variables (``env:NAME``) link by name through an index; paths pairwise (few skills
    collect files)."""
    out = []
    env_senders: dict[str, list[str]] = {}
    file_senders: list[tuple[str, str]] = []
    for sender, eff in effects.items():
        for path in eff.sends:
            if path.startswith(envchain.PREFIX):
                env_senders.setdefault(path, []).append(sender)
            else:
                file_senders.append((sender, path))
    for collector, eff_a in effects.items():
        for path_a in eff_a.collects:
            if path_a.startswith(envchain.PREFIX):
                out += [(collector, path_a, s, path_a) for s in env_senders.get(path_a, [])]
                continue
            for sender, path_b in file_senders:
                if linked(path_a, path_b):
                    out.append((collector, path_a, sender, path_b))
    return out


def chain_index(effects: dict[str, Effects]) -> dict[str, list[tuple[str, str, str, str]]]:
    """Every chain, listed under both of its skills (compute once per batch)."""
    index: dict[str, list[tuple[str, str, str, str]]] = {}
    for link in chains(effects):
        index.setdefault(link[0], []).append(link)
        if link[2] != link[0]:
            index.setdefault(link[2], []).append(link)
    return index


def chain_hits(skill_id: str, effects: dict[str, Effects],
               index: dict[str, list[tuple[str, str, str, str]]] | None = None) -> list[Hit]:
    """Chain findings for one skill, as collector or sender (self-chains across flows too)."""
    hits = []
    links = chains(effects) if index is None else index.get(skill_id, [])
    for collector, path_a, sender, path_b in links:
        if skill_id not in (collector, sender):
            continue
        if collector == sender and effects[collector].collects.get(path_a) == \
                effects[sender].sends.get(path_b):
            continue  # the same flow: already correlated by combine
        role = "collects" if skill_id == collector else "sends"
        other = sender if role == "collects" else collector
        if path_a.startswith(envchain.PREFIX):
            what = (f"{collector} exports a secret in {envchain.describe(path_a)}; "
                    f"{sender} sends {envchain.describe(path_b)}")
        else:
            what = f"{collector} writes {path_a}; {sender} sends {path_b}"
        evidence = (what
                    + ("" if other == skill_id else f" (this skill {role})"))
        hits.append(Hit("chain-exfiltration", "SKILL.md", None, evidence, flow="chain"))
    return hits[:5]
