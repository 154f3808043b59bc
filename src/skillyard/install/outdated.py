"""``skillyard outdated``: which locked skills have a newer version at their source.

Read-only: nothing is fetched into the library and the lockfile is not written. Per kind:
git asks the remote for its refs (a branch that moved, a newer version tag, a new default
branch head); a website's well-known index is compared by the digest it lists for the skill;
a folder or a library skill is compared by content digest. A source that cannot be reached is
reported for that skill and the others are still checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SkillyardError
from ..skill import SkillFile, sha256_hex, skill_digest
from ..sources.wellknown import fetch_files, fetch_index
from .fetch import fetch, git_url
from .gitrefs import ls_remote, next_ref
from .lockfile import LockedSkill
from .project import Project


@dataclass
class Outdated:
    name: str
    kind: str
    location: str
    status: str  # outdated | current | missing | error | unknown
    current: str
    latest: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "location": self.location,
                "status": self.status, "current": self.current, "latest": self.latest,
                "detail": self.detail}


def _git(entry: LockedSkill, project: Project) -> Outdated:
    src = entry.source
    refs = ls_remote(git_url(src.location, project.root))
    target, why = next_ref(src.ref, refs)
    named = refs.branches.get(target) or refs.tags.get(target) if target else None
    latest = refs.head if target is None else named
    current = f"{src.ref or 'default branch'} {(entry.commit or '')[:12]}"
    if latest is None:
        return Outdated(entry.name, "git", src.location, "missing", current,
                        detail=f"{src.ref or 'HEAD'} is gone from the remote")
    newer = target != src.ref or latest != entry.commit
    if why == "pinned commit":
        newer = False
    return Outdated(entry.name, "git", src.location, "outdated" if newer else "current",
                    current, f"{target or 'default branch'} {latest[:12]}", why)


def _wellknown(entry: LockedSkill) -> Outdated:
    src = entry.source
    index = fetch_index(src.location)
    listed = index.entry(src.path)
    current = src.ref or entry.digest
    if listed is None:
        return Outdated(entry.name, "wellknown", src.location, "missing", current,
                        detail=f"{src.path} is no longer in the index")
    if listed.digest is not None and listed.kind != "files":
        status = "current" if listed.digest == src.ref else "outdated"
        return Outdated(entry.name, "wellknown", src.location, status, current, listed.digest)
    files = fetch_files(index, listed)  # a legacy index gives no digest: compare the content
    digest = skill_digest([SkillFile(p, len(d), sha256_hex(d)) for p, d in files.items()])
    status = "current" if digest == entry.digest else "outdated"
    return Outdated(entry.name, "wellknown", src.location, status, entry.digest, digest,
                    "compared by content (the index lists no digest)")


def _registry(entry: LockedSkill) -> Outdated:
    """The registry's latest live version against the locked one (by digest)."""
    from ..sources.registry import ClientError, RegistryClient

    src = entry.source
    current = f"{src.ref or '?'} {entry.digest[:12]}"
    try:
        latest = RegistryClient(src.location).describe(src.path)
    except ClientError as exc:
        if exc.status == 404:
            return Outdated(entry.name, "registry", src.location, "missing", current,
                            detail=f"{src.path} has no live version in the registry ({exc})")
        raise
    digest = str(latest.get("digest", ""))
    label = str(latest.get("version", ""))
    status = "current" if digest == entry.digest else "outdated"
    detail = ""
    locked = next((v for v in latest.get("versions", []) if v.get("digest") == entry.digest),
                  None)
    if locked is not None and locked.get("status") in ("yanked", "deprecated"):
        detail = f"the locked version is {locked['status']}"
    return Outdated(entry.name, "registry", src.location, status, current,
                    f"{label} {digest[:12]}", detail)


def _local(entry: LockedSkill, project: Project) -> Outdated:
    src = entry.source
    if src.kind == "library":
        if project._library is None:
            return Outdated(entry.name, "library", src.location, "unknown", entry.digest,
                            detail="needs a library (--db)")
        digest = project.library.get(entry.id).digest
    else:
        got = fetch(src, project.root, project._library, paths={src.path})  # type: ignore[arg-type]
        if not got.skills:
            return Outdated(entry.name, src.kind, src.location, "missing", entry.digest,
                            detail=f"{src.path or '.'} not found")
        digest = got.skills[0].digest
    status = "current" if digest == entry.digest else "outdated"
    return Outdated(entry.name, src.kind, src.location, status, entry.digest, digest)


def outdated(project: Project, names: list[str] | None = None) -> list[Outdated]:
    """One row per locked skill (or per name asked for), in name order."""
    lock = project.read()
    unknown = sorted(set(names or []) - set(lock.skills))
    if unknown:
        raise SkillyardError(f"not in {project.lock_path}: {', '.join(unknown)}")
    rows = []
    for name in sorted(names or lock.skills):
        entry = lock.skills[name]
        try:
            if entry.source.kind == "git":
                rows.append(_git(entry, project))
            elif entry.source.kind == "wellknown":
                rows.append(_wellknown(entry))
            elif entry.source.kind == "registry":
                rows.append(_registry(entry))
            else:
                rows.append(_local(entry, project))
        except SkillyardError as exc:
            rows.append(Outdated(name, entry.source.kind, entry.source.location, "error",
                                 entry.commit or entry.source.ref or entry.digest,
                                 detail=str(exc)))
    return rows
