"""What is on this machine: every agent's skills (user and project scope) and every MCP server.

Nothing scanned is changed. Skills are audited with the current policy (analysis cached by
digest in the library when one is given); a folder or link that leaves its home or project is
reported and never read; a config that cannot be parsed is reported and the rest goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audit import Auditor, AuditResult, load_policy, load_rules
from ..audit.store import VerdictStore
from ..errors import SkillLoadError
from ..skill import SKILL_FILE, Provenance, Skill
from ..sources.agents import AGENT_FOLDERS
from ..sources.folders import load_skill_dir
from .mcp import McpServer, Problem, config_specs, read_config
from .risks import assess

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "dist", "build",
             "target", ".cache"}
MAX_ROOT_DEPTH = 6


@dataclass
class SkillRecord:
    agent: str
    scope: str
    path: str
    result: AuditResult

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "scope": self.scope, "path": self.path,
                "name": self.result.name, "id": self.result.skill,
                "digest": self.result.digest, "verdict": self.result.verdict,
                "tier": self.result.tier, "cached": self.result.cached,
                "findings": [f.to_dict() for f in self.result.findings]}


@dataclass
class Inventory:
    home: str
    projects: list[str] = field(default_factory=list)
    skills: list[SkillRecord] = field(default_factory=list)
    servers: list[McpServer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def verdicts(self) -> dict[str, int]:
        out = {"allow": 0, "warn": 0, "block": 0}
        for record in self.skills:
            out[record.result.verdict] = out.get(record.result.verdict, 0) + 1
        return out

    def risky_servers(self) -> list[McpServer]:
        return [s for s in self.servers if s.risks]

    @property
    def has_findings(self) -> bool:
        return bool(self.verdicts()["block"] or self.risky_servers() or self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {"home": self.home, "projects": self.projects,
                "counts": {"skills": len(self.skills), "verdicts": self.verdicts(),
                           "mcp_servers": len(self.servers),
                           "risky_mcp_servers": len(self.risky_servers()),
                           "problems": len(self.problems)},
                "skills": [s.to_dict() for s in self.skills],
                "mcp_servers": [s.to_dict() for s in self.servers],
                "problems": [p.to_dict() for p in self.problems]}


class _DigestCache(VerdictStore):
    """The library's analysis cache by digest, without recording machine skills as library
    verdicts (they are not library skills)."""

    def record(self, skill_id: str, digest: str, rules_digest: str, verdict: str,
               tier: int) -> None:
        return None


class _MemoryCache:
    """Within one inventory, a skill installed for several agents is analysed once."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[Any, Any, int]] = {}

    def get(self, digest: str, rules_digest: str) -> tuple[Any, Any, int] | None:
        return self.rows.get((digest, rules_digest))

    def put(self, digest: str, rules_digest: str, verdict: str, findings: Any, effects: Any,
            unseen_scripts: int) -> None:
        self.rows[(digest, rules_digest)] = (findings, effects, unseen_scripts)

    def record(self, *_args: object) -> None:
        return None


def project_roots(root: Path, max_depth: int = MAX_ROOT_DEPTH) -> list[Path]:
    """Folders under ``root`` that hold an agent's project folder or MCP config."""
    markers = {f.path for f in AGENT_FOLDERS if f.scope == "project"}
    markers |= {p for spec in config_specs() if spec.scope == "project" for p in spec.paths}
    tops = {m.split("/")[0] for m in markers}
    found: list[Path] = []
    base_depth = len(root.resolve().parts)
    for dirpath, dirnames, _files in os.walk(root.resolve(), followlinks=False):
        here = Path(dirpath)
        names = set(dirnames) | set(_files)
        if names & tops and any((here / m).exists() for m in markers):
            found.append(here)
        if len(here.parts) - base_depth >= max_depth:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
    return found


def _escapes(path: Path, base: Path) -> Path | None:
    """Where ``path`` really points when that is outside ``base`` (else None)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return path
    return None if real.is_relative_to(base.resolve()) else real


class _Collector:
    def __init__(self, inventory: Inventory, auditor: Auditor) -> None:
        self.inventory = inventory
        self.auditor = auditor
        self.pending: list[tuple[Skill, str, str, str]] = []  # skill, location, agent, scope
        self.failed: list[SkillRecord] = []
        self.seen: set[Path] = set()

    def problem(self, path: Path, rule: str, message: str) -> None:
        self.inventory.problems.append(Problem(str(path), rule, message))

    def skill_dirs(self, folder: Path, base: Path, depth: int = 0) -> Iterator[Path]:
        try:
            children = sorted(folder.iterdir())
        except OSError as exc:
            self.problem(folder, "unreadable", f"cannot list ({exc.strerror})")
            return
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_symlink():
                outside = _escapes(child, base)
                if outside is not None:
                    self.problem(child, "symlink-escape", f"links to {outside}, outside "
                                 f"{base}; not read")
                    continue
            if (child / SKILL_FILE).is_file():
                yield child
            elif child.is_dir() and depth < 1:
                yield from self.skill_dirs(child, base, depth + 1)

    def folder(self, agent: str, scope: str, folder: Path, base: Path) -> None:
        if not folder.is_dir():
            return
        outside = _escapes(folder, base)
        if outside is not None:
            self.problem(folder, "symlink-escape", f"links to {outside}, outside {base}; "
                         "not read")
            return
        real = folder.resolve()
        if real in self.seen:
            return
        self.seen.add(real)
        for skill_dir in self.skill_dirs(folder, base):
            prov = Provenance(source=str(folder), kind="agents", path=skill_dir.name,
                              agent=f"{agent}/{scope}")
            try:
                skill = load_skill_dir(skill_dir, provenance=prov)
            except SkillLoadError as exc:
                result = self.auditor.unloadable(str(skill_dir), str(exc))
                self.failed.append(SkillRecord(agent, scope, str(skill_dir), result))
                continue
            self.pending.append((skill, str(skill_dir), agent, scope))


def _mcp(inventory: Inventory, scope: str, base: Path, home: Path | None) -> None:
    for spec in config_specs():
        if spec.scope != scope:
            continue
        for path in spec.files(base, home):
            if not path.is_file():
                continue
            outside = _escapes(path, base) if path.is_symlink() else None
            if outside is not None:
                inventory.problems.append(Problem(str(path), "symlink-escape",
                                                  f"links to {outside}, outside {base}; "
                                                  "not read"))
                continue
            servers, problems = read_config(path, spec)
            inventory.problems += problems
            for server in servers:
                server.risks = assess(server)
                inventory.servers.append(server)


def scan(*, home: Path | None = None, projects: list[Path] | None = None,
         root: Path | None = None, user: bool = True, library: Any = None,
         policy: str | Path | None = None,
         progress: Callable[[Skill], None] | None = None) -> Inventory:
    """Inventory the user scope (``home``), each project and every project under ``root``."""
    explicit = home
    home_path = (home or Path.home()).resolve()
    roots = [p.resolve() for p in projects or []]
    if root is not None:
        roots += [p for p in project_roots(root) if p not in roots]
    inventory = Inventory(home=str(home_path), projects=[str(p) for p in roots])
    rules = load_rules()
    cache = _DigestCache(library.store) if library is not None else _MemoryCache()
    auditor = Auditor(policy=load_policy(policy, rules), rules=rules,
                      cache=cache)  # type: ignore[arg-type]
    collector = _Collector(inventory, auditor)
    if user:
        for spec in AGENT_FOLDERS:
            if spec.scope == "user":
                label = "shared" if spec.agent == "agents" else spec.agent
                collector.folder(label, "user", spec.resolve(home_path, explicit), home_path)
        _mcp(inventory, "user", home_path, explicit)
    for project in roots:
        for spec in AGENT_FOLDERS:
            if spec.scope == "project":
                label = "shared" if spec.agent == "agents" else spec.agent
                collector.folder(label, "project", spec.resolve(project), project)
        _mcp(inventory, "project", project, explicit)
    results = auditor.run([(s, loc) for s, loc, _a, _s in collector.pending], progress)
    for (_skill, location, agent, scope), result in zip(collector.pending, results,
                                                        strict=True):
        inventory.skills.append(SkillRecord(agent, scope, location, result))
    inventory.skills += collector.failed
    return inventory
