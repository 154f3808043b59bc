"""Load skills from folders: one skill folder, or every skill folder found in a tree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from .. import utf8
from ..errors import SkillLoadError, SourceError
from ..skill import SKILL_FILE, Provenance, Skill, decode_skill_md, parse_skill_md
from .inventory import MAX_SKILL_MD_BYTES, InventoryLimits, inventory
from .result import LoadResult

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".idea", ".vscode",
        "site-packages", "dist-packages",
    }
)
DEFAULT_MAX_DEPTH = 8


def find_skill_dirs(root: Path, max_depth: int = DEFAULT_MAX_DEPTH) -> Iterator[Path]:
    """Yield every folder below ``root`` (inclusive) that holds a SKILL.md, sorted, bounded."""
    root = Path(root)
    if not root.exists():
        raise SourceError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise SourceError(f"{root}: not a folder")
    seen: set[tuple[int, int]] = set()

    def walk(folder: Path, depth: int) -> Iterator[Path]:
        try:
            info = folder.stat()
        except OSError:
            return
        key = (info.st_dev, info.st_ino)
        if key in seen:  # a link cycle
            return
        seen.add(key)
        if (folder / SKILL_FILE).exists() or (folder / SKILL_FILE).is_symlink():
            yield folder
        if depth >= max_depth:
            return
        try:
            children = sorted(
                (e for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)),
                key=lambda e: e.name,
            )
        except OSError:
            return
        for child in children:
            if child.name in SKIP_DIRS:
                continue
            yield from walk(Path(child.path), depth + 1)

    yield from walk(root, 0)


def load_skill_dir(
    folder: Path,
    *,
    skill_id: str | None = None,
    provenance: Provenance | None = None,
    strict: bool = False,
    limits: InventoryLimits | None = None,
) -> Skill:
    """Load one skill folder; raise SkillLoadError with the reason when it cannot be loaded."""
    folder = Path(folder)
    where = str(folder)
    skill_md = folder / SKILL_FILE
    if skill_md.is_symlink():
        target = skill_md.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise SkillLoadError(where, "SKILL.md is a symlink pointing out of the skill folder")
    if not skill_md.is_file():
        raise SkillLoadError(where, "no SKILL.md in this folder")
    size = skill_md.stat().st_size
    if size > MAX_SKILL_MD_BYTES:
        raise SkillLoadError(
            where, f"SKILL.md is {size} bytes; the limit is {MAX_SKILL_MD_BYTES} bytes"
        )
    try:
        files, inv_diags = inventory(folder, limits)
    except OSError as exc:
        raise SkillLoadError(where, f"cannot read the folder: {exc.strerror}") from None
    for item in files:
        if not utf8.is_utf8(item.path) or (item.target is not None
                                           and not utf8.is_utf8(item.target)):
            # such a name cannot be stored, hashed into the digest or shown as text; skipping
            # the file would let it past the auditor unread
            raise SkillLoadError(where, f"file name '{utf8.shown(item.path)}' is not UTF-8 text; "
                                 "rename it")
    md = next((f for f in files if f.path == SKILL_FILE), None)
    if md is None or md.data is None:
        raise SkillLoadError(where, "SKILL.md could not be read")
    text = decode_skill_md(md.data, where)
    # the path as the user names it (absolute, not symlink-resolved): `show dir:<that path>`
    # must find it, and the folder name the spec compares is the one the user sees
    shown = Path(os.path.abspath(folder))
    skill = parse_skill_md(
        text,
        folder_name=shown.name,
        skill_id=skill_id or f"dir:{shown}",
        provenance=provenance or Provenance(source=str(shown), kind="folder"),
        files=files,
        strict=strict,
    )
    if inv_diags:
        skill = replace(skill, diagnostics=skill.diagnostics + tuple(inv_diags))
    return skill


def load_tree(
    root: Path,
    *,
    strict: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
    id_prefix: str | None = None,
    id_sep: str = "/",
    provenance: Provenance | None = None,
) -> Iterator[LoadResult]:
    """Load every skill folder below ``root``; each result is a skill or a rejection. Ids
    keep the path as given (made absolute), not the symlink-resolved one."""
    root = Path(os.path.abspath(root))
    for folder in find_skill_dirs(root, max_depth):
        rel = folder.relative_to(root).as_posix()
        rel = "" if rel == "." else rel
        if id_prefix is None:
            skill_id = f"dir:{folder}"
        else:
            skill_id = f"{id_prefix}{id_sep}{rel}" if rel else id_prefix
        prov = (
            Provenance(source=str(root), kind="folder", path=rel)
            if provenance is None
            else Provenance(
                source=provenance.source, kind=provenance.kind, path=rel, ref=provenance.ref,
                commit=provenance.commit, agent=provenance.agent, extra=provenance.extra,
            )
        )
        try:
            skill = load_skill_dir(folder, skill_id=skill_id, provenance=prov, strict=strict)
        except SkillLoadError as exc:
            yield LoadResult(where=str(folder), skill=None, error=exc.reason)
        else:
            yield LoadResult(where=str(folder), skill=skill)
