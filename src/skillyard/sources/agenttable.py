"""Agent clients as data: ``agents.toml`` names each agent's skill folders and how to detect it.

The table is read once and validated; a malformed entry is a clear error naming it. Paths in the
user scope start with ``~/`` (the home folder), ``{config}/`` ($XDG_CONFIG_HOME, default
``~/.config``) or ``{appdata}/`` (%APPDATA%, default ``~/AppData/Roaming``). When a caller passes
its own ``home`` (tests, ``--home``), the environment variables are ignored so that nothing
outside that home is read.
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SkillyardError
from ..skill import SKILL_FILE

SHARED = ".agents/skills"  # the cross-agent folder (project: ./.agents/skills, user: ~/...)
_PREFIXES = ("~/", "{config}/", "{appdata}/")


class AgentTableError(SkillyardError):
    """agents.toml is malformed."""


@dataclass(frozen=True)
class Agent:
    name: str
    display: str
    aliases: tuple[str, ...]
    project: tuple[str, ...]
    user: tuple[str, ...]
    shared: bool
    detect: tuple[str, ...]
    commands: tuple[str, ...]
    source: str
    confirmed: bool
    user_macos: tuple[str, ...] = ()
    user_windows: tuple[str, ...] = ()

    def user_templates(self, platform: str | None = None) -> tuple[str, ...]:
        platform = platform or sys.platform
        if platform == "win32" and self.user_windows:
            return self.user_windows
        if platform == "darwin" and self.user_macos:
            return self.user_macos
        return self.user

    def folders(self, scope: str, base: Path, home: Path | None = None) -> list[Path]:
        """This agent's skill folders in ``scope`` (``base`` = project root or home)."""
        if scope == "project":
            return [base / rel for rel in self.project]
        return [expand(t, base if home is None else home, explicit=home is not None)
                for t in self.user_templates()]

    def installed(self, home: Path | None = None) -> list[str]:
        """Evidence that the agent is installed here (empty: not detected)."""
        explicit = home is not None
        home = home or Path.home()
        found = [t for t in self.detect if expand(t, home, explicit=explicit).exists()]
        if not explicit:  # PATH describes the real machine, not a home given for a test
            found += [f"{c} on PATH" for c in self.commands if shutil.which(c)]
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "display": self.display, "aliases": list(self.aliases),
                "project": list(self.project), "user": list(self.user_templates()),
                "shared": self.shared, "source": self.source, "confirmed": self.confirmed}


def expand(template: str, home: Path, *, explicit: bool = False) -> Path:
    """A user-scope path template as a path under ``home``."""
    if template.startswith("~/"):
        return home / template[2:]
    if template.startswith("{config}/"):
        env = None if explicit else os.environ.get("XDG_CONFIG_HOME")
        return Path(env or home / ".config") / template[len("{config}/"):]
    if template.startswith("{appdata}/"):
        env = None if explicit else os.environ.get("APPDATA")
        return Path(env or home / "AppData" / "Roaming") / template[len("{appdata}/"):]
    raise AgentTableError(f"path {template!r} must start with ~/, {{config}}/ or {{appdata}}/")


def _strings(raw: dict[str, Any], key: str, where: str, *, required: bool = True
             ) -> tuple[str, ...]:
    value = raw.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AgentTableError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(value)


def _check_relative(paths: tuple[str, ...], where: str) -> None:
    for rel in paths:
        if rel.startswith(("/", "~")) or ".." in rel.split("/") or "\\" in rel:
            raise AgentTableError(f"{where}: project folder {rel!r} must be relative")


def parse_agents(data: dict[str, Any], where: str = "agents.toml") -> tuple[Agent, ...]:
    entries = data.get("agent")
    if not isinstance(entries, list) or not entries:
        raise AgentTableError(f"{where}: no [[agent]] entries")
    out: list[Agent] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(entries):
        here = f"{where} agent #{index + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise AgentTableError(f"{here}: needs a 'name'")
        here = f"{where} agent {raw['name']!r}"
        for key in ("display", "source"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise AgentTableError(f"{here}: '{key}' must be a non-empty string")
        if not raw["source"].startswith("https://"):
            raise AgentTableError(f"{here}: 'source' must be an https:// documentation URL")
        agent = Agent(
            name=raw["name"], display=raw["display"],
            aliases=_strings(raw, "aliases", here, required=False),
            project=_strings(raw, "project", here), user=_strings(raw, "user", here),
            shared=bool(raw.get("shared", False)),
            detect=_strings(raw, "detect", here, required=False),
            commands=_strings(raw, "commands", here, required=False),
            source=raw["source"], confirmed=bool(raw.get("confirmed", False)),
            user_macos=_strings(raw, "user_macos", here, required=False),
            user_windows=_strings(raw, "user_windows", here, required=False),
        )
        _check_relative(agent.project, here)
        for template in agent.user + agent.user_macos + agent.user_windows + agent.detect:
            if not template.startswith(_PREFIXES):
                raise AgentTableError(f"{here}: {template!r} must start with ~/, {{config}}/ "
                                      "or {appdata}/")
        for key in (agent.name, *agent.aliases):
            if key in seen or key == "all":
                raise AgentTableError(f"{here}: name {key!r} is already used"
                                      + (f" by {seen[key]!r}" if key in seen else ""))
            seen[key] = agent.name
        out.append(agent)
    return tuple(out)


def load_agents(path: Path | None = None) -> tuple[Agent, ...]:
    """Read an agents table (default: the one shipped in the package)."""
    if path is None:
        text = (resources.files("skillyard.sources") / "agents.toml").read_text("utf-8")
        where = "agents.toml"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgentTableError(f"{where}: not valid TOML ({exc})") from None
    return parse_agents(data, where)


@lru_cache(maxsize=1)
def agents() -> tuple[Agent, ...]:
    """The shipped agent table (read once)."""
    return load_agents()


def find_agent(name: str) -> Agent:
    """An agent by name or alias (case-insensitive)."""
    wanted = name.strip().lower()
    for agent in agents():
        if wanted == agent.name or wanted in agent.aliases:
            return agent
    known = ", ".join(a.name for a in agents())
    raise SkillyardError(f"unknown agent {name!r}; known agents: {known} (or all)")


def skill_names(folder: Path) -> list[str]:
    """Skill folders (with a SKILL.md) directly in ``folder``, or one level deeper."""
    if not folder.is_dir():
        return []
    names: list[str] = []
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    for child in children:
        if (child / SKILL_FILE).is_file():
            names.append(child.name)
        elif child.is_dir() and not child.name.startswith("."):
            try:
                names += [f"{child.name}/{g.name}" for g in sorted(child.iterdir())
                          if (g / SKILL_FILE).is_file()]
            except OSError:
                continue
    return names


def survey(project: Path | None, home: Path | None = None) -> list[dict[str, Any]]:
    """Every agent: detected or not, and each of its folders with how many skills it holds."""
    real_home = home or Path.home()
    rows = []
    for agent in agents():
        folders = []
        for scope, base in (("user", real_home), ("project", project)):
            if base is None:
                continue
            paths = agent.folders(scope, base, home)
            if agent.shared:
                shared = (real_home if scope == "user" else base) / SHARED
                if shared not in paths:
                    paths.append(shared)
            for path in paths:
                names = skill_names(path)
                folders.append({"scope": scope, "path": str(path), "exists": path.is_dir(),
                                "skills": len(names), "names": names})
        evidence = agent.installed(home)
        rows.append({**agent.to_dict(), "detected": bool(evidence), "evidence": evidence,
                     "folders": folders})
    return rows
