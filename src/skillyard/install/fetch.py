"""Turn ``SOURCE[@ref]`` into skills: a local folder, a git repository, a website's well-known
skills index, or a library skill.

Git sources reuse ``sources.git`` (clone at a ref, resolved commit kept in provenance) and so
work with ``file://`` URLs, local paths and the user's own https/ssh credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFoundError, SourceError
from ..library.integrity import verify_skill
from ..library.protocol import SkillLibrary
from ..skill import Provenance, Skill
from ..sources import load_git, load_skill_dir, load_tree
from ..sources.git import looks_like_git, split_ref
from ..sources.registry import is_registry_spec, parse_spec, registry_url
from ..sources.wellknown import NoIndexError, is_site_url, load_site
from .lockfile import LockedSkill, Source
from .vendor import VENDOR_DIR, load_vendor


@dataclass(frozen=True)
class Fetched:
    """Skills loaded from one source, with where each came from."""

    source: Source  # path of the whole source (per-skill path filled in by the caller)
    skills: list[Skill]
    rejected: list[tuple[str, str]]
    commit: str | None = None


def _is_git_repo(path: Path) -> bool:
    return (path / ".git").exists() or (path / "HEAD").is_file() and (path / "objects").is_dir()


def portable_location(path: Path, root: Path) -> str:
    """A folder location as written in the lockfile: relative to the project (``../x`` for a
    sibling), so that the project and its neighbours can move together."""
    resolved = path.resolve()
    try:
        return Path(os.path.relpath(resolved, root.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return str(resolved)


def absolute_location(location: str, root: Path) -> Path:
    path = Path(location)
    return path if path.is_absolute() else (root / path).resolve()


def classify(spec: str, root: Path) -> Source:
    """Decide what kind of source ``spec`` names (no loading yet)."""
    if not spec or not spec.strip():
        raise SourceError("empty source")
    if is_registry_spec(spec):
        base, path_in_registry, version = parse_spec(spec)
        return Source("registry", base, version, path_in_registry)
    path = Path(spec)
    if path.exists():
        if path.is_dir():
            return Source("folder", portable_location(path, root))
        raise SourceError(f"{spec}: a file; give a skill folder, a git repository or a name")
    if spec.startswith(("https://", "http://")) and (found := registry_url(spec)):
        base, path_in_registry, version = found
        return Source("registry", base, version, path_in_registry)
    if is_site_url(spec):
        return Source("wellknown", spec.removeprefix("wellknown:"))
    if looks_like_git(spec):
        url, ref = split_ref(spec)
        return Source("git", url, ref)
    head, sep, ref = spec.rpartition("@")
    if sep and head and Path(head).is_dir():
        if not _is_git_repo(Path(head)):
            raise SourceError(f"{head}: @{ref} needs a git repository; this folder is not one")
        return Source("git", str(Path(head).resolve()), ref or None)
    return Source("library", spec)


def git_url(location: str, root: Path) -> str:
    if "://" in location or location.startswith("git@") or Path(location).is_absolute():
        return location
    return str((root / location).resolve())


def _loaded(results: Iterable, subpaths: set[str] | None) -> tuple[list[Skill], list]:
    skills: list[Skill] = []
    rejected: list[tuple[str, str]] = []
    for result in results:
        if result.skill is None:
            rejected.append((result.where, result.error or "unreadable"))
            continue
        if subpaths is None or result.skill.provenance.path in subpaths:
            skills.append(result.skill)
    return skills, rejected


def fetch(source: Source, root: Path, library: SkillLibrary, *,
          paths: set[str] | None = None) -> Fetched:
    """Load the skills of ``source`` (only those at ``paths`` inside it, when given)."""
    if source.kind == "folder":
        folder = absolute_location(source.location, root)
        if not folder.is_dir():
            raise SourceError(f"{source.location}: folder not found")
        skills, rejected = _loaded(load_tree(folder), paths)
        return Fetched(source, skills, rejected)
    if source.kind == "registry":
        return _fetch_registry(source)
    if source.kind == "git":
        url = git_url(source.location, root)
        spec = f"{url}@{source.ref}" if source.ref else url
        skills, rejected = _loaded(load_git(spec), paths)
        commit = skills[0].provenance.commit if skills else None
        return Fetched(source, skills, rejected, commit)
    if source.kind == "wellknown":  # integrity failures refuse the whole fetch
        try:
            skills, rejected = _loaded(load_site(source.location, paths), None)
        except NoIndexError as exc:  # no index: maybe a git server without a .git suffix
            if source.location.endswith("/index.json"):
                raise
            try:
                return fetch(Source("git", source.location), root, library)
            except SourceError as git_exc:
                raise SourceError(f"{exc}; as a git repository: {git_exc}") from None
        index_url = skills[0].provenance.source if skills else source.location
        return Fetched(Source("wellknown", index_url), skills, rejected)
    try:
        skill = library.get(source.location)
    except NotFoundError:
        raise SourceError(
            f"{source.location}: not a folder, a git repository, or a skill in {library.path}"
        ) from None
    return Fetched(source, [skill], [])


def _fetch_registry(source: Source) -> Fetched:
    """Download NAMESPACE/NAME at ``source.ref`` (None: the latest live version) from a
    registry, both digests verified; the returned source pins the version fetched."""
    import tempfile

    from ..sources.registry import ClientError, RegistryClient

    with tempfile.TemporaryDirectory(prefix="skillyard-registry-") as tmp:
        try:
            got = RegistryClient(source.location).fetch(source.path, source.ref, Path(tmp))
        except ClientError as exc:
            raise SourceError(str(exc)) from None
        pinned = Source("registry", source.location, got.version, source.path)
        prov = Provenance(source=source.location, kind="registry", path=source.path,
                          ref=got.version, extra={"archive_sha256": got.archive_sha256})
        skill = load_skill_dir(got.folder, skill_id=f"registry:{source.location}/"
                               f"{source.path}", provenance=prov)
    return Fetched(pinned, [skill], [])


def fetch_locked(entries: list[LockedSkill], root: Path, library: SkillLibrary) -> dict[str, Skill]:
    """Load exactly what the lock says, by commit for git; returns name -> skill (unverified).

    Repositories are cloned once per (location, commit). A skill missing from its source is a
    SourceError naming it.
    """
    out: dict[str, Skill] = {}
    groups: dict[tuple[str, str, str | None], list[LockedSkill]] = {}
    for entry in entries:
        key = (entry.source.kind, entry.source.location, entry.commit)
        groups.setdefault(key, []).append(entry)
    for (kind, location, commit), group in groups.items():
        if kind == "library":
            for entry in group:
                try:
                    out[entry.name] = library_version(library, entry.id, entry.digest)
                except SourceError:
                    vendored = load_vendor(root, entry)
                    if vendored is None:
                        raise SourceError(
                            f"{entry.name}: locked from the library ({entry.id}) with no "
                            f"vendored copy in the project, and {library.path} does not hold "
                            "it; run 'skillyard add' for it where it is in the library (that "
                            f"writes {VENDOR_DIR}/{entry.name}/), then commit that folder"
                        ) from None
                    out[entry.name] = vendored
            continue
        if kind == "registry":
            for entry in group:
                out[entry.name] = _fetch_registry(entry.source).skills[0]
            continue
        wanted = {e.source.path for e in group}
        if kind == "wellknown":
            try:
                loaded = fetch(Source(kind, location), root, library, paths=wanted).skills
            except SourceError as site_exc:  # site unreachable: the library's exact copy will do
                try:
                    for entry in group:
                        out[entry.name] = library_version(library, entry.id, entry.digest)
                except SourceError:
                    raise site_exc from None
                continue
            found = {s.provenance.path: s for s in loaded}
        elif kind == "git":
            pinned = Source("git", location, commit)
            loaded = fetch(pinned, root, library, paths=wanted).skills
            found = {s.provenance.path: s for s in loaded}
        else:
            folder = absolute_location(location, root)
            found = {}
            for entry in group:
                target = folder / entry.source.path if entry.source.path else folder
                if (target / "SKILL.md").is_file():
                    prov = Provenance(source=str(folder), kind="folder", path=entry.source.path)
                    found[entry.source.path] = load_skill_dir(
                        target, skill_id=entry.id, provenance=prov)  # the lock names it
        for entry in group:
            skill = found.get(entry.source.path) or load_vendor(root, entry)
            if skill is None:
                where = f"{location}" + (f" at {commit[:12]}" if commit else "")
                raise SourceError(
                    f"{entry.name}: not found at {entry.source.path or '.'} in {where}"
                )
            out[entry.name] = skill
    return out


def library_version(library: SkillLibrary, skill_id: str, digest: str) -> Skill:
    """The stored version of ``skill_id`` whose digest is ``digest`` (newest first)."""
    try:
        versions = library.store.versions(skill_id)
    except NotFoundError:
        versions = []
    for info in sorted(versions, key=lambda v: -v.version):
        if info.digest == digest:
            verify_skill(library.store, skill_id, info.version)  # nothing unverified leaves
            return library.store.get(skill_id, info.version)
    raise SourceError(
        f"{skill_id}: the library {library.path} has no version with digest {digest[:12]}…; "
        "run 'skillyard install' to restore it"
    )


def user_name() -> str:
    for var in ("SKILLYARD_USER", "USER", "USERNAME", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    return "unknown"
