"""Inventory a skill folder: every file with size and sha256, without following links out.

Nothing is skipped silently. Oversize files are hashed but their content is not kept; symlinks
that point out of the folder (or nowhere) are recorded as links and never read; nested skill
folders belong to their own skill. Limits are reported as warnings for the auditor to judge.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostic, warning
from ..skill import SKILL_FILE, SkillFile

MAX_KEPT_BYTES = 8 * 1024 * 1024  # content above this is hashed, not stored
MAX_SKILL_MD_BYTES = 2 * 1024 * 1024
MAX_FILES = 5000
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InventoryLimits:
    max_kept_bytes: int = MAX_KEPT_BYTES
    max_files: int = MAX_FILES


def _hash_stream(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _read_file(path: Path, rel: str, limits: InventoryLimits) -> tuple[SkillFile, list[Diagnostic]]:
    size = path.stat().st_size
    if size > limits.max_kept_bytes:
        real_size, digest = _hash_stream(path)
        note = f"oversize: {real_size} bytes, content not kept (limit {limits.max_kept_bytes})"
        return SkillFile(rel, real_size, digest, note=note), [
            warning("file-oversize", f"{rel} is {real_size} bytes; hashed but not stored")
        ]
    data = path.read_bytes()
    return SkillFile(rel, len(data), hashlib.sha256(data).hexdigest(), data=data), []


def _link_entry(path: Path, rel: str, root: Path) -> tuple[SkillFile | None, list[Diagnostic]]:
    """Classify a symlink: inside the folder -> None (read it as a file); else a link record."""
    target = os.readlink(path)
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        note = "dangling symlink"
    else:
        if resolved.is_relative_to(root) and resolved.is_file():
            return None, []
        note = "symlink escapes the skill folder" if not resolved.is_relative_to(root) else (
            "symlink to a directory"
        )
    digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()
    entry = SkillFile(rel, 0, digest, kind="symlink", target=target, note=note)
    return entry, [warning("symlink", f"{rel} -> {target}: {note}; not followed")]


def inventory(
    folder: Path, limits: InventoryLimits | None = None
) -> tuple[tuple[SkillFile, ...], list[Diagnostic]]:
    """List every file of a skill folder (SKILL.md first, then sorted by path)."""
    limits = limits or InventoryLimits()
    root = folder.resolve()
    files: list[SkillFile] = []
    diags: list[Diagnostic] = []
    stack = [root]
    truncated = False
    while stack and not truncated:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            diags.append(warning("unreadable", f"cannot list {current}: {exc.strerror}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            if entry.is_symlink():
                link, link_diags = _link_entry(path, rel, root)
                diags.extend(link_diags)
                if link is not None:
                    files.append(link)
                    continue
                if not path.is_file():
                    continue
            elif entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    continue
                if (path / SKILL_FILE).is_file() and path != root:
                    continue  # a nested skill: it is inventoried on its own
                stack.append(path)
                continue
            elif not entry.is_file(follow_symlinks=False):
                diags.append(warning("special-file", f"{rel} is not a regular file; skipped"))
                continue
            if len(files) >= limits.max_files:
                diags.append(warning("inventory-truncated",
                                     f"more than {limits.max_files} files; the rest not listed"))
                truncated = True
                break
            try:
                item, item_diags = _read_file(path, rel, limits)
            except OSError as exc:
                diags.append(warning("unreadable", f"cannot read {rel}: {exc.strerror}"))
                continue
            files.append(item)
            diags.extend(item_diags)
    files.sort(key=lambda f: (f.path != SKILL_FILE, f.path))
    return tuple(files), diags
