"""Vendored copies: skills a lockfile could not restore from its source on another machine.

A skill added from the library, or from a folder outside the project, exists only on the machine
that added it. ``add`` and ``update`` therefore write its exact files into
``.skillyard/vendor/<name>/`` inside the project (commit that folder with the lockfile), and
``install`` falls back to that copy when the source is not there. The copy is checked against
the lockfile's digests like any other fetch: it is a transport, not a trust anchor.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from ..fsmodes import make_public, mark_script
from ..library.protocol import SkillLibrary
from ..skill import Provenance, Skill
from ..sources import load_skill_dir
from .lockfile import LockedSkill, Source

VENDOR_DIR = ".skillyard/vendor"


def needs_vendor(source: Source) -> bool:
    """Library skills, and folders outside the project, do not travel with it."""
    if source.kind == "library":
        return True
    if source.kind != "folder":
        return False
    parts = PurePosixPath(source.location).parts
    return Path(source.location).is_absolute() or (bool(parts) and parts[0] == "..")


def vendor_path(name: str) -> str:
    return f"{VENDOR_DIR}/{name}"


def write_vendor(root: Path, name: str, skill: Skill, library: SkillLibrary) -> str:
    """Write ``skill``'s exact files to the project's vendor folder; return its relative path."""
    dest = root / vendor_path(name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.stage-", dir=dest.parent))
    try:
        make_public(stage, directory=True)
        for entry in skill.files:
            data = entry.data if entry.data is not None else library.store.read_blob(entry.sha256)
            target = stage / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            mark_script(target, data)
        if dest.exists():
            old = dest.parent / f".{name}.old-{os.getpid()}"
            os.replace(dest, old)
            os.replace(stage, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return vendor_path(name)


def remove_vendor(root: Path, name: str) -> None:
    shutil.rmtree(root / vendor_path(name), ignore_errors=True)


def load_vendor(root: Path, entry: LockedSkill) -> Skill | None:
    """The vendored copy of ``entry`` under its locked id, or None when there is none."""
    if not entry.source.vendor:
        return None
    folder = root / entry.source.vendor
    if not (folder / "SKILL.md").is_file():
        return None
    prov = Provenance(source=str(root), kind="folder", path=entry.source.vendor,
                      extra={"vendored_from": entry.source.label()})
    return load_skill_dir(folder, skill_id=entry.id, provenance=prov)
