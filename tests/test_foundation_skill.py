"""The Skill value, spec validation, digests, and loading skill folders with bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS, write_skill
from skillyard import Provenance, load_skill_dir, parse_skill_md
from skillyard.errors import SkillLoadError
from skillyard.sources import inventory as inv
from skillyard.sources import load_tree

PROV = Provenance(source="test", kind="folder")


def parse(text: str, folder: str | None = "my-skill", strict: bool = False):
    return parse_skill_md(text, folder_name=folder, skill_id="t", provenance=PROV, strict=strict)


def codes(skill) -> set[str]:
    return {d.code for d in skill.diagnostics}


GOOD = "---\nname: my-skill\ndescription: Does things. Use when testing.\nlicense: MIT\n---\n# T\n"


def test_valid_skill_has_no_diagnostics_in_strict_mode() -> None:
    skill = parse(GOOD, strict=True)
    assert skill.name == "my-skill" and not skill.diagnostics
    assert skill.frontmatter["license"] == "MIT"


@pytest.mark.parametrize(
    ("front", "code"),
    [
        ("name: My_Skill\ndescription: d", "name-format"),
        ("name: -bad\ndescription: d", "name-format"),
        ("name: a--b\ndescription: d", "name-format"),
        ("name: " + "a" * 65 + "\ndescription: d", "name-length"),
        ("name: other\ndescription: d", "name-folder"),
        ("name: my-skill\ndescription: " + "x" * 1025, "description-length"),
        ("name: my-skill\ndescription: d\ncompatibility: " + "c" * 501, "compatibility-length"),
        ("name: my-skill\ndescription: d\nmetadata:\n  a: {b: c}", "metadata-type"),
        ("name: my-skill\ndescription: d\nallowed-tools: {Read: yes}", "allowed-tools-type"),
        ("name: my-skill\ndescription: d\nfoo: bar", "unknown-field"),
    ],
)
def test_spec_violations_error_strictly_and_warn_leniently(front: str, code: str) -> None:
    text = f"---\n{front}\n---\nbody\n"
    with pytest.raises(SkillLoadError):
        parse(text, strict=True)
    skill = parse(text)
    assert code in codes(skill)
    assert all(d.level == "warning" for d in skill.diagnostics)


def test_client_fields_are_kept_quietly_in_lenient_mode() -> None:
    text = ("---\nname: my-skill\ndescription: d\ndisable-model-invocation: true\n"
            "metadata:\n  openclaw: {emoji: x}\n---\nb")
    skill = parse(text)
    assert skill.frontmatter["disable-model-invocation"] is True
    assert skill.frontmatter["metadata"]["openclaw"] == {"emoji": "x"}
    assert "unknown-field" not in codes(skill)


def test_missing_name_is_taken_from_folder_leniently() -> None:
    skill = parse("---\ndescription: d\n---\nbody")
    assert skill.name == "my-skill" and "name-from-folder" in codes(skill)
    with pytest.raises(SkillLoadError, match="no 'name'"):
        parse("---\ndescription: d\n---\nbody", strict=True)


def test_missing_description_uses_first_paragraph() -> None:
    skill = parse("---\nname: my-skill\n---\n# Title\n\nFirst paragraph\nhere.\n\nMore.")
    assert skill.description == "First paragraph here."


def test_body_limits_are_warnings_even_in_strict_mode() -> None:
    body = "line\n" * 600
    skill = parse(GOOD + body, strict=True)
    assert "body-lines" in codes(skill)
    assert all(d.level == "warning" for d in skill.diagnostics)


def test_unchanged_skill_renders_to_same_bytes_and_digest_is_stable(tmp_path: Path) -> None:
    for folder in sorted(p for p in SAMPLE_SKILLS.rglob("SKILL.md"))[:41]:
        skill = load_skill_dir(folder.parent)
        assert skill.skill_md.encode("utf-8") == folder.read_bytes()
        assert load_skill_dir(folder.parent).digest == skill.digest


def test_digest_changes_with_any_file(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "d-skill", files={"references/a.md": "A"})
    first = load_skill_dir(folder).digest
    (folder / "references" / "a.md").write_text("B")
    second = load_skill_dir(folder).digest
    (folder / "references" / "b.md").write_text("B")
    third = load_skill_dir(folder).digest
    assert len({first, second, third}) == 3


def test_with_body_rerenders_and_changes_digest() -> None:
    skill = parse(GOOD)
    changed = skill.with_body("\nNew body\n")
    assert changed.body == "\nNew body\n" and changed.digest != skill.digest
    assert parse(changed.skill_md).frontmatter == skill.frontmatter


def test_inventory_lists_every_file(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "inv-skill", files={
        "references/guide.md": "# Guide\n", "scripts/run.py": "print(1)\n",
        ".hidden": "x", "__pycache__/m.cpython-311.pyc": b"\x00\x01",
        "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00",
    })
    skill = load_skill_dir(folder)
    paths = [f.path for f in skill.files]
    assert paths[0] == "SKILL.md"
    assert set(paths) == {"SKILL.md", "references/guide.md", "scripts/run.py", ".hidden",
                          "__pycache__/m.cpython-311.pyc", "assets/logo.png"}


def test_nested_skill_belongs_to_itself(tmp_path: Path) -> None:
    outer = write_skill(tmp_path, "outer")
    write_skill(outer / "sub", "inner")
    results = list(load_tree(tmp_path))
    by_name = {r.skill.name: r.skill for r in results}
    assert set(by_name) == {"outer", "inner"}
    assert all(not f.path.startswith("sub/") for f in by_name["outer"].files)


def test_symlink_out_of_the_skill_is_recorded_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    folder = write_skill(tmp_path, "link-skill", files={"inside.md": "in"})
    os.symlink(secret, folder / "escape.md")
    os.symlink(folder / "inside.md", folder / "alias.md")
    os.symlink(tmp_path / "missing", folder / "dangling.md")
    skill = load_skill_dir(folder)
    escape = skill.file("escape.md")
    assert escape.kind == "symlink" and escape.data is None and "escapes" in escape.note
    assert skill.file("dangling.md").kind == "symlink"
    alias = skill.file("alias.md")
    assert alias.kind == "file" and alias.data == b"in"
    assert "symlink" in codes(skill)


def test_skill_md_symlink_escaping_is_rejected(tmp_path: Path) -> None:
    other = write_skill(tmp_path / "elsewhere", "victim")
    folder = tmp_path / "evil"
    folder.mkdir()
    os.symlink(other / "SKILL.md", folder / "SKILL.md")
    with pytest.raises(SkillLoadError, match="symlink"):
        load_skill_dir(folder)


def test_oversize_file_is_hashed_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_skill(tmp_path, "big-skill")
    big = folder / "data.bin"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # a sparse 200 MB file
    skill = load_skill_dir(folder)
    entry = skill.file("data.bin")
    assert entry.size == 200 * 1024 * 1024 and entry.data is None
    assert entry.note.startswith("oversize")
    assert "file-oversize" in codes(skill)


def test_huge_skill_md_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "huge"
    folder.mkdir()
    with (folder / "SKILL.md").open("wb") as handle:
        handle.write(b"---\nname: huge\ndescription: d\n---\n")
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(SkillLoadError, match="limit"):
        load_skill_dir(folder)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"---\nname: x\x00\x01\n---\n", "binary"),
        ("---\nname: x\ndescription: caf\xe9\n---\n".encode("latin-1"), "not UTF-8"),
        (b"---\nname: [\n---\n", "not valid YAML"),
    ],
)
def test_bad_skill_md_gets_one_clear_reason(tmp_path: Path, content: bytes, message: str) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "SKILL.md").write_bytes(content)
    with pytest.raises(SkillLoadError, match=message):
        load_skill_dir(folder, strict=True)


def test_missing_skill_md(tmp_path: Path) -> None:
    with pytest.raises(SkillLoadError, match="no SKILL.md"):
        load_skill_dir(tmp_path)


def test_inventory_file_cap(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "many", files={f"f{i}.txt": "x" for i in range(20)})
    files, diags = inv.inventory(folder, inv.InventoryLimits(max_files=5))
    assert len(files) == 5 and any(d.code == "inventory-truncated" for d in diags)
