"""Ids keep the path the user gave: a symlinked parent folder does not hide a skill."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import write_skill
from skillyard import Library


def test_show_finds_a_skill_indexed_through_a_symlinked_parent(tmp_path: Path) -> None:
    write_skill(tmp_path / "real" / "skills", "linked-skill")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    through = tmp_path / "link" / "skills"
    with Library(tmp_path / "l.db") as lib:
        report = lib.index([str(through)])
        [skill_id] = report.ids
        assert skill_id == f"dir:{through / 'linked-skill'}"
        assert lib.get(f"dir:{through / 'linked-skill'}").name == "linked-skill"
        # a relative spelling of the same path finds it too
        assert lib.get(f"dir:{through / 'linked-skill' / '..' / 'linked-skill'}").id == skill_id
    proc = subprocess.run([sys.executable, "-m", "skillyard", "show",
                           f"dir:{through / 'linked-skill'}", "--json", "--db",
                           str(tmp_path / "l.db")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["name"] == "linked-skill"


def test_folder_name_is_the_one_the_user_sees(tmp_path: Path) -> None:
    """A skill folder that is itself a link is validated against the link's name."""
    write_skill(tmp_path / "store", "pdf-tools")
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "pdf-tools").symlink_to(tmp_path / "store" / "pdf-tools")
    with Library(tmp_path / "l.db") as lib:
        report = lib.index([str(tmp_path / "skills" / "pdf-tools")], strict=True)
    assert report.rejected == [] and report.ids == [f"dir:{tmp_path / 'skills' / 'pdf-tools'}"]
