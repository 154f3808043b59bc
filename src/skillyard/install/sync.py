"""``skillyard sync``: write the locked skills into agents' skill folders, and only those.

Each agent folder gets a record, ``.skillyard-sync.json``, of what skillyard wrote there, keyed
by the lockfile that asked for it. Sync installs or updates what the lock holds, removes what
it installed earlier and the lock no longer holds, and never touches a folder it did not write
(a same-named skill of the user's or of another project is reported as a conflict). A copy the
user edited since is left alone unless ``force``.

Policy at sync time: the skill is re-audited; tier 0 (metadata only) and blocked skills are not
written (an override recorded in the lock writes them); tier 1 gets SKILL.md and references but
no scripts; tier 2 and up gets every file. Every byte is re-hashed against the lockfile first.

Modes: ``copy`` writes a folder per agent; ``symlink`` writes one copy into the project's
``.skillyard/store/<name>`` and links each agent's folder to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SkillyardError
from ..fsmodes import make_public, mark_script
from ..library.files import required_tier
from ..sources.agenttable import SHARED, agents, find_agent
from .fetch import library_version
from .lockfile import LockedSkill
from .project import Project, tamper_report

RECORD = ".skillyard-sync.json"
SYNC_AGENTS = tuple(a.name for a in agents())  # every agent in agents.toml
MODES = ("copy", "symlink")
STORE = Path(".skillyard") / "store"


@dataclass
class SyncAction:
    agent: str
    folder: str
    name: str
    action: str  # installed | updated | unchanged | removed | conflict | kept | withheld
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"agent": self.agent, "folder": self.folder, "name": self.name,
                "action": self.action, "detail": self.detail}


@dataclass
class SyncReport:
    actions: list[SyncAction] = field(default_factory=list)

    @property
    def conflicts(self) -> list[SyncAction]:
        return [a for a in self.actions if a.action in ("conflict", "kept")]

    def to_dict(self) -> dict[str, Any]:
        return {"actions": [a.to_dict() for a in self.actions],
                "conflicts": len(self.conflicts)}


@dataclass(frozen=True)
class Plan:
    """What one skill looks like in an agent folder: verified bytes per path."""

    name: str
    digest: str
    files: dict[str, bytes]
    note: str = ""


def detected_agents(scope: str, root: Path, home: Path | None = None) -> list[str]:
    """Agents installed on this machine (by agents.toml's detect rules); in project scope also
    agents whose project skill folder already exists under ``root``."""
    out = []
    for agent in agents():
        if agent.installed(home) or (scope == "project" and any(
                (root / rel).is_dir() for rel in agent.project if rel != SHARED)):
            out.append(agent.name)
    return out


def agent_targets(agents_wanted: list[str], scope: str, root: Path,
                  home: Path | None = None) -> list[tuple[str, Path]]:
    """(agent label, skills folder) for each agent named; ``all`` means every detected agent.

    Agents that write to the same folder (several read the shared ``.agents/skills``) get one
    target labelled with all their names, so a skill is written there once.
    """
    if scope not in ("project", "user"):
        raise SkillyardError(f"unknown scope {scope!r}; use project or user")
    names: list[str] = []
    for wanted in agents_wanted:
        if wanted == "all":
            found = detected_agents(scope, root, home)
            if not found:
                raise SkillyardError("no agent detected on this machine; name them with "
                                     "--agent (see 'skillyard agents --all')")
        else:
            found = [find_agent(wanted).name]
        names += [n for n in found if n not in names]
    base = (home or Path.home()) if scope == "user" else root
    by_folder: dict[Path, list[str]] = {}
    for name in names:
        folder = find_agent(name).folders(scope, base, home)[0]
        by_folder.setdefault(folder, []).append(name)
    return [("+".join(owners), folder) for folder, owners in by_folder.items()]


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_record(folder: Path) -> dict[str, Any]:
    path = folder / RECORD
    if not path.exists():
        return {"skillyard_sync": 1, "owners": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SkillyardError(f"{path}: unreadable sync record ({exc}); fix or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("owners"), dict):
        raise SkillyardError(f"{path}: not a skillyard sync record")
    return data


def _save_record(folder: Path, record: dict[str, Any]) -> None:
    path = folder / RECORD
    record["owners"] = {k: v for k, v in record["owners"].items() if v}
    if not record["owners"]:
        path.unlink(missing_ok=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=".skillyard-sync.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.write("\n")
    make_public(Path(tmp))
    os.replace(tmp, path)


def _tree_hashes(folder: Path) -> dict[str, str] | None:
    """sha256 of every regular file under ``folder``; None if it holds links or odd files."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames:
            if (Path(dirpath) / name).is_symlink():
                return None
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                return None
            out[path.relative_to(folder).as_posix()] = _hash(path.read_bytes())
    return out


def _intact(dest: Path, entry: dict[str, Any]) -> bool:
    """Is what sync wrote at ``dest`` still as it wrote it? (A link: still the same link; the
    store it points to is skillyard's own and rewritten from the lock on every sync.)"""
    if entry.get("mode") == "symlink":
        return dest.is_symlink() and os.readlink(dest) == entry.get("target")
    if dest.is_symlink() or not dest.is_dir():
        return False
    return _tree_hashes(dest) == entry.get("files")


def write_tree(dest: Path, files: dict[str, bytes]) -> None:
    """Replace ``dest`` with exactly ``files``, atomically enough: stage, then swap."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.stage-", dir=dest.parent))
    try:
        make_public(stage, directory=True)
        for rel, data in files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            mark_script(target, data)
        old = None
        if dest.is_symlink() or dest.exists():
            old = dest.parent / f".{dest.name}.old-{os.getpid()}"
            os.replace(dest, old)
        os.replace(stage, dest)
        if old is not None:
            _remove(old)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


class Syncer:
    """Plans and applies a sync of one project into agent folders."""

    def __init__(self, project: Project, *, mode: str = "copy", force: bool = False,
                 dry_run: bool = False) -> None:
        if mode not in MODES:
            raise SkillyardError(f"unknown mode {mode!r}; use copy or symlink")
        self.project = project
        self.mode = mode
        self.force = force
        self.dry_run = dry_run
        self.owner = str(project.lock_path.resolve())
        self.withheld: dict[str, str] = {}

    def plans(self) -> dict[str, Plan]:
        """Verified, policy-filtered content for every locked skill that may be written."""
        lock = self.project.read()
        library = self.project.library
        out: dict[str, Plan] = {}
        problems: list[str] = []
        skills = {}
        for name in sorted(lock.skills):
            entry = lock.skills[name]
            skills[name] = library_version(library, entry.id, entry.digest)
            problems += tamper_report(entry, skills[name], library)
        if problems:
            raise SkillyardError(f"refused: library content differs from the lockfile: "
                                 f"{'; '.join(problems[:10])}")
        decisions = self.project.gate.decide_many(list(skills.values()))
        for name, skill in skills.items():
            entry = lock.skills[name]
            decision = decisions[skill.id]
            tier = decision.tier
            if decision.blocked:
                if not (entry.override or {}).get("allow_blocked"):
                    self.withheld[name] = "blocked by the audit"
                    continue
                tier = 2
            if tier < 1:
                self.withheld[name] = "tier 0 (metadata only): not loadable under the policy"
                continue
            out[name] = self._plan(entry, skill, tier)
        return out

    def _plan(self, entry: LockedSkill, skill: Any, tier: int) -> Plan:
        library = self.project.library
        files: dict[str, bytes] = {}
        dropped = []
        for locked in entry.files:
            if required_tier(locked.path) > tier:
                dropped.append(locked.path)
                continue
            found = skill.file(locked.path)
            data = found.data if found.data is not None else library.store.read_blob(found.sha256)
            if _hash(data) != locked.sha256:  # what is written is what the lock pins
                raise SkillyardError(f"refused: {entry.name}/{locked.path} changed in the "
                                     "library while syncing")
            files[locked.path] = data
        note = f"tier {tier}: scripts withheld ({', '.join(dropped)})" if dropped else ""
        return Plan(entry.name, entry.digest, files, note)

    def _store_dir(self, name: str) -> Path:
        return self.project.root / STORE / name

    def sync(self, targets: list[tuple[str, Path]]) -> SyncReport:
        plans = self.plans()
        report = SyncReport()
        if self.mode == "symlink" and not self.dry_run:
            for name, plan in plans.items():
                store = self._store_dir(name)
                hashes = {p: _hash(d) for p, d in plan.files.items()}
                if not store.is_dir() or _tree_hashes(store) != hashes:
                    write_tree(store, plan.files)
        for agent, folder in targets:
            self._sync_folder(agent, folder, plans, report)
        if self.mode == "symlink" and not self.dry_run:
            self._collect_store(set(plans))
        return report

    def _collect_store(self, keep: set[str]) -> None:
        store = self.project.root / STORE
        if store.is_dir():
            for child in store.iterdir():
                if child.name not in keep and not child.name.startswith("."):
                    _remove(child)

    def _sync_folder(self, agent: str, folder: Path, plans: dict[str, Plan],
                     report: SyncReport) -> None:
        record = _load_record(folder) if folder.is_dir() else {"skillyard_sync": 1, "owners": {}}
        mine: dict[str, Any] = record["owners"].setdefault(self.owner, {})
        others = {n for owner, names in record["owners"].items() if owner != self.owner
                  for n in names}
        label = str(folder)

        def act(name: str, action: str, detail: str = "") -> None:
            report.actions.append(SyncAction(agent, label, name, action, detail))

        gone = sorted(set(mine) - set(plans))
        for name in gone:
            dest = folder / name
            why = self.withheld.get(name, "no longer in the lockfile")
            if dest.exists() or dest.is_symlink():
                if not _intact(dest, mine[name]) and not self.force:
                    act(name, "kept", f"{why}, but edited since sync wrote it; left in place "
                        "and no longer managed (use --force to remove)")
                    mine.pop(name)
                    continue
                if not self.dry_run:
                    _remove(dest)
            act(name, "removed", why)
            mine.pop(name)
        for name, plan in plans.items():
            dest = folder / name
            if name in others:
                act(name, "conflict", "installed there by another skillyard project")
                continue
            exists = dest.exists() or dest.is_symlink()
            if exists and name not in mine:
                act(name, "conflict", "a skill folder not installed by skillyard; left alone")
                continue
            entry = self._entry(folder, plan)
            if name in mine and exists:
                intact = _intact(dest, mine[name])
                if not intact and not self.force:
                    act(name, "kept", "edited since sync wrote it; left alone (use --force)")
                    continue
                if intact and mine[name] == entry:
                    act(name, "unchanged", plan.note)
                    continue
            action = "updated" if name in mine else "installed"
            if not self.dry_run:
                self._write(dest, plan, entry)
            mine[name] = entry
            act(name, action, plan.note)
        for name, why in self.withheld.items():
            if name not in mine and name not in gone:
                act(name, "withheld", why)
        if not self.dry_run:
            folder.mkdir(parents=True, exist_ok=True)
            _save_record(folder, record)

    def _entry(self, folder: Path, plan: Plan) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "digest": plan.digest, "mode": self.mode,
            "files": {p: _hash(d) for p, d in sorted(plan.files.items())},
        }
        if self.mode == "symlink":
            entry["target"] = os.path.relpath(self._store_dir(plan.name), folder)
        return entry

    def _write(self, dest: Path, plan: Plan, entry: dict[str, Any]) -> None:
        if self.mode == "copy":
            write_tree(dest, plan.files)
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".{dest.name}.link-{os.getpid()}"
        _remove(tmp)
        os.symlink(entry["target"], tmp, target_is_directory=True)
        if dest.exists() and not dest.is_symlink():
            _remove(dest)
        os.replace(tmp, dest)
