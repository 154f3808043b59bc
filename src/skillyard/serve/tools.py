"""The three progressive-disclosure tools, as plain functions over a ServedLibrary.

``search_skills`` (catalog tier), ``activate_skill`` (the body wrapped with its resource
listing; tier >= 1) and ``read_skill_resource`` (references at tier >= 1, scripts at tier >= 2).
The MCP server registers these; tests and the benchmark's baseline call them directly.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..errors import AccessError
from ..library.disclosure import CatalogEntry, build_catalog
from ..library.files import file_role, is_text, required_tier
from .registry import ServedLibrary

MAX_K = 50


def search_skills(served: ServedLibrary, query: str, k: int = 5) -> dict[str, Any]:
    """Route a task to the best served skills: name, description, score, tier and URI."""
    if not query or not query.strip():
        raise ValueError("query must not be empty")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:  # as the CLI's -k
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
    k = min(k, MAX_K)  # more than MAX_K results are cut, as documented
    hits, abstain = served.route(query, k)
    results = [{**skill.summary(), "score": round(score, 4)} for skill, score in hits]
    out: dict[str, Any] = {"query": query, "results": results, "abstain": abstain}
    if abstain:
        out["note"] = "no skill fits this task well; consider working without one"
    return out


def activate_skill(served: ServedLibrary, name: str) -> str:
    """The skill's instructions wrapped with its resource listing (tier >= 1)."""
    skill = served.resolve(name)
    loaded = served.load(skill)
    lines = [
        f'<skill_content name="{escape(skill.name)}" id="{escape(skill.id)}" '
        f'tier="{skill.tier}" uri="{escape(skill.uri)}">',
        loaded.body.strip("\n"),
    ]
    resources = [f for f in skill.files if f.path != "SKILL.md"]
    if resources:
        lines.append("<skill_resources>")
        for entry in resources:
            note = ""
            need = required_tier(entry.path)
            if skill.tier < need:
                note = f", {file_role(entry.path)}: needs tier {need}"
            elif not entry.readable:
                note = ", not available"
            lines.append(f"- {entry.path} ({entry.size} bytes{note})")
        lines.append("</skill_resources>")
        lines.append(
            "Read a resource with read_skill_resource(name, path); paths are relative to "
            "the skill folder."
        )
    lines.append("</skill_content>")
    return "\n".join(lines) + "\n"


def read_skill_resource(served: ServedLibrary, name: str, path: str) -> str:
    """One text file of a served skill, verified against its digest."""
    skill = served.resolve(name)
    if skill.tier < 1:
        served.load(skill)  # raises the tier-0 refusal with its explanation
    data = served.read_file(skill, path)
    if not is_text(data):
        raise AccessError(
            f"{path!r} is binary ({len(data)} bytes); read it as the resource "
            f"{skill.file_uri(path)}"
        )
    return data.decode("utf-8")


def render_catalog(served: ServedLibrary, budget: int | None, fmt: str = "xml") -> str:
    """The served skills' names and descriptions within a character budget."""
    entries = [CatalogEntry(s.id, s.name, s.description) for s in served.skills.values()]
    return build_catalog(entries, fmt=fmt, budget=budget).text
