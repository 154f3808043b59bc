"""A skill as a folder of text files: the form that mining renders and edit operations patch."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import SkillLoadError
from ..skill import SKILL_FILE, Provenance, Skill, SkillFile, parse_skill_md, sha256_hex
from .errors import PatchError

Files = dict[str, str]


def files_of(skill: Skill, read_blob: Callable[[str], bytes] | None = None
             ) -> tuple[Files, list[SkillFile]]:
    """(text files by path, other entries carried over unchanged) of a stored skill."""
    text: Files = {SKILL_FILE: skill.skill_md}
    carried: list[SkillFile] = []
    for entry in skill.resources:
        data = entry.data
        if data is None and read_blob is not None and entry.kind == "file" and not entry.note:
            try:
                data = read_blob(entry.sha256)
            except Exception:  # noqa: BLE001 - a missing blob just means we cannot edit it
                data = None
        if data is not None and b"\0" not in data[:4096]:
            try:
                text[entry.path] = data.decode("utf-8")
                continue
            except UnicodeDecodeError:
                pass
        carried.append(entry)
    return text, carried


def build_skill(
    files: Files,
    *,
    skill_id: str,
    provenance: Provenance,
    strict: bool = True,
    carried: Iterable[SkillFile] = (),
) -> Skill:
    """A Skill from text files; raise PatchError when SKILL.md does not parse."""
    if SKILL_FILE not in files:
        raise PatchError(f"{skill_id}: the candidate has no SKILL.md")
    entries = []
    for path in sorted(files):
        data = files[path].encode("utf-8")
        entries.append(SkillFile(path, len(data), sha256_hex(data), data=data))
    kept = {e.path for e in entries}
    entries.extend(e for e in carried if e.path not in kept)
    text = files[SKILL_FILE]
    folder = _name_in(text)
    try:
        return parse_skill_md(text, folder_name=folder, skill_id=skill_id, provenance=provenance,
                              files=tuple(entries), strict=strict)
    except SkillLoadError as exc:
        raise PatchError(f"{skill_id}: the candidate SKILL.md is invalid: {exc.reason}") from None


def _name_in(text: str) -> str | None:
    for line in text.splitlines()[1:40]:
        if line.strip() == "---":
            break
        if line.startswith("name:"):
            value = line[5:].strip().strip("'\"")
            return value or None
    return None
