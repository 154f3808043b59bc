"""The standard skill folders of agent clients, and loading them with client precedence.

Precedence follows the clients: user folders load first, project folders after them, and a later
folder's skill shadows an earlier one of the same name. Shadowing is reported, never silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..skill import Provenance
from .agenttable import SHARED, agents, expand
from .folders import load_tree
from .result import LoadResult


@dataclass(frozen=True)
class AgentFolder:
    agent: str
    scope: str  # "user" or "project"
    path: str  # project: relative to the root; user: a template (~/..., {config}/...)

    def resolve(self, base: Path, home: Path | None = None) -> Path:
        if self.scope == "project":
            return base / self.path
        return expand(self.path, base, explicit=home is not None)


def _folders() -> tuple[AgentFolder, ...]:
    """Every agent's folders from agents.toml, user scope first, then project; in each scope
    the shared .agents/skills comes first and each folder is listed once (first agent wins)."""
    out: list[AgentFolder] = []
    for scope in ("user", "project"):
        seen = {SHARED if scope == "project" else f"~/{SHARED}"}
        out.append(AgentFolder("agents", scope, SHARED if scope == "project" else f"~/{SHARED}"))
        for agent in agents():
            paths = agent.project if scope == "project" else agent.user_templates()
            for path in paths:
                if path not in seen:
                    seen.add(path)
                    out.append(AgentFolder(agent.name, scope, path))
    return tuple(out)


# One table names them all (from agents.toml). Order inside a scope is the load order.
AGENT_FOLDERS: tuple[AgentFolder, ...] = _folders()


def agent_dirs(project: Path | None, home: Path | None = None) -> list[tuple[AgentFolder, Path]]:
    """The existing agent skill folders, in load order (user first, then project)."""
    explicit = home
    home = Path.home() if home is None else home
    out: list[tuple[AgentFolder, Path]] = []
    seen: set[Path] = set()
    for spec in AGENT_FOLDERS:
        base = home if spec.scope == "user" else project
        if base is None:
            continue
        folder = spec.resolve(base, explicit)
        if folder.is_dir() and folder not in seen:
            seen.add(folder)
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
