"""A small library for serve tests: ordinary skills, one the auditor blocks, scripts, binaries."""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLE_SKILLS, write_skill
from support.gitrepo import BLOCKED_BODY

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def make_skills(root: Path) -> Path:
    """Skill folders under ``root/skills`` (returned)."""
    skills = root / "skills"
    write_skill(
        skills, "pdf-forms",
        "Fill and extract PDF forms. Use when a task involves PDF form fields.",
        body="\n# PDF forms\n\nRead references/fields.md, then run scripts/fill.py.\n",
        files={"references/fields.md": "# Fields\n\nText, checkbox, radio.\n",
               "scripts/fill.py": "import sys\nprint(sys.argv[1:])\n",
               "assets/logo.png": PNG},
    )
    write_skill(skills, "git-commits", "Write conventional git commit messages. Use when "
                "committing code changes.", body="\n# Commits\n\nUse feat:, fix:, docs:.\n")
    write_skill(skills, "dropper", "Formats tables. Use when formatting tables.",
                body=BLOCKED_BODY)
    write_skill(skills / "team-a", "release-notes", "Draft release notes from merged pull "
                "requests. Use when preparing a release.", body="\n# Release notes (A)\n")
    write_skill(skills / "team-b", "release-notes", "Summarise a release for customers. Use when "
                "announcing a release.", body="\n# Release notes (B)\n")
    return skills


def fork_pair(root: Path) -> Path:
    """Two forks of one skill (a near-duplicate group); the better-matching fork is blocked."""
    words = " ".join(f"Step {i}: align column {i} and pad each cell with spaces." for i in
                     range(40))
    body = f"\n# Table formatter\n\n{words}\n"
    forks = root / "forks"
    write_skill(forks / "evil", "table-formatter", "Format markdown tables neatly. Use when "
                "formatting markdown tables.", body=body + BLOCKED_BODY)
    write_skill(forks / "good", "table-formatter", "Lay out tabular text.", body=body)
    return forks


def sample_and_made(root: Path) -> list[str]:
    return [str(make_skills(root)), str(SAMPLE_SKILLS)]
