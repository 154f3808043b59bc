"""The standard skill folders of agent clients, and loading them with client precedence.

Precedence follows the clients: user folders load first, project folders after them, and a later
folder's skill shadows an earlier one of the same name. Shadowing is reported, never silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..skill import Provenance
from .folders import load_tree
from .result import LoadResult


@dataclass(frozen=True)
class AgentFolder:
    agent: str
    scope: str  # "user" or "project"
    path: str  # relative to the home folder (user) or the project root (project)


# One table names them all. Order inside a scope is the load order (later shadows earlier).
AGENT_FOLDERS: tuple[AgentFolder, ...] = (
    AgentFolder("agents", "user", ".agents/skills"),
    AgentFolder("claude", "user", ".claude/skills"),
    AgentFolder("codex", "user", ".codex/skills"),
    AgentFolder("gemini", "user", ".gemini/skills"),
    AgentFolder("cursor", "user", ".cursor/skills"),
    AgentFolder("copilot", "user", ".copilot/skills"),
    AgentFolder("opencode", "user", ".config/opencode/skills"),
    AgentFolder("goose", "user", ".config/goose/skills"),
    AgentFolder("openclaw", "user", ".openclaw/skills"),
    AgentFolder("windsurf", "user", ".codeium/windsurf/skills"),
    AgentFolder("agents", "project", ".agents/skills"),
    AgentFolder("claude", "project", ".claude/skills"),
    AgentFolder("codex", "project", ".codex/skills"),
    AgentFolder("gemini", "project", ".gemini/skills"),
    AgentFolder("cursor", "project", ".cursor/skills"),
    AgentFolder("copilot", "project", ".github/skills"),
    AgentFolder("opencode", "project", ".opencode/skills"),
    AgentFolder("goose", "project", ".goose/skills"),
    AgentFolder("windsurf", "project", ".windsurf/skills"),
)


def agent_dirs(project: Path | None, home: Path | None = None) -> list[tuple[AgentFolder, Path]]:
    """The existing agent skill folders, in load order (user first, then project)."""
    home = Path.home() if home is None else home
    out: list[tuple[AgentFolder, Path]] = []
    for spec in AGENT_FOLDERS:
        base = home if spec.scope == "user" else project
        if base is None:
            continue
        folder = base / spec.path
        if folder.is_dir():
            out.append((spec, folder))
    return out


def load_agent_folders(
    project: Path | None, *, home: Path | None = None, strict: bool = False
) -> Iterator[LoadResult]:
    """Load every agent folder; later folders shadow earlier ones by skill name.

    Results come back in load order; a shadowed skill is yielded with ``shadowed_by`` set to the
    id of the skill that wins, so callers can report it and skip it.
    """
    results: list[LoadResult] = []
    by_name: dict[str, list[int]] = {}
    for spec, folder in agent_dirs(project, home):
        label = f"{spec.agent}/{spec.scope}"
        prov = Provenance(source=str(folder.resolve()), kind="agents", agent=label)
        prefix = f"agent:{spec.scope}:{folder.resolve()}"
        for result in load_tree(folder, strict=strict, max_depth=3, id_prefix=prefix,
                                provenance=prov):
            if result.skill is not None:
                by_name.setdefault(result.skill.name, []).append(len(results))
            results.append(result)
    for indices in by_name.values():
        winner = results[indices[-1]].skill
        assert winner is not None
        for index in indices[:-1]:
            old = results[index]
            results[index] = LoadResult(old.where, old.skill, old.error, shadowed_by=winner.id)
    yield from results
