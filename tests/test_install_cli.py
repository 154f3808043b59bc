"""add / install / update / remove / sync through the real CLI (one subprocess per command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import write_skill
from support.gitrepo import BLOCKED_BODY, SkillRepo


def run(cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def test_cli_lifecycle(tmp_path: Path) -> None:
    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("alpha", files={"references/a.md": "a\n"})
    repo.skill("dropper", body=BLOCKED_BODY)
    repo.commit()
    repo.tag("v1")
    proj = tmp_path / "proj"
    proj.mkdir()

    refused = run(proj, "add", f"file://{repo.path}@v1", code=1)
    assert "blocks dropper" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    added = json.loads(run(proj, "add", f"file://{repo.path}@v1", "--skill", "alpha",
                           "--json").stdout)
    assert [s["name"] for s in added["skills"]] == ["alpha"]
    assert added["skills"][0]["audit"] == {"verdict": "allow", "tier": 2}

    synced = json.loads(run(proj, "sync", "--agent", "claude", "--agent", "goose",
                            "--json").stdout)
    assert {(a["agent"], a["name"], a["action"]) for a in synced["actions"]} == {
        ("claude", "alpha", "installed"), ("goose", "alpha", "installed")}
    assert (proj / ".goose/skills/alpha/references/a.md").read_text() == "a\n"

    repo.write("skills/alpha/references/a.md", "a, better\n")
    repo.commit()
    repo.tag("v2")
    updated = json.loads(run(proj, "update", "--json").stdout)
    change = updated["skills"][0]
    assert change["status"] == "updated" and change["new_ref"] == "v2"
    assert change["files"]["changed"] == ["references/a.md"]
    run(proj, "sync", "--agent", "claude")
    assert (proj / ".claude/skills/alpha/references/a.md").read_text() == "a, better\n"

    installed = json.loads(run(proj, "install", "--db", str(tmp_path / "fresh.db"),
                               "--json").stdout)
    assert [s["name"] for s in installed["skills"]] == ["alpha"]
    both = run(proj, "install", "--db", str(tmp_path / "fresh2.db"), "--agent", "cursor").stdout
    assert "alpha: installed" in both and "installed cursor: alpha" in " ".join(both.split())
    assert (proj / ".cursor/skills/alpha/SKILL.md").is_file()

    removed = run(proj, "remove", "alpha")
    assert "alpha: removed" in removed.stdout
    gone = json.loads(run(proj, "sync", "--agent", "all", "--json").stdout)
    assert {(a["agent"], a["action"]) for a in gone["actions"]} == {
        ("claude", "removed"), ("goose", "removed"), ("cursor", "removed")}


def test_cli_tamper_and_usage_errors(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write_skill(proj / "vendor", "gamma", files={"ref.md": "one\n"})
    run(proj, "add", "vendor")
    (proj / "vendor/gamma/ref.md").write_text("two\n")
    tampered = run(proj, "install", "--db", str(tmp_path / "other.db"), code=1)
    assert "gamma/ref.md" in tampered.stderr and "nothing was installed" in tampered.stderr
    assert run(proj, "sync", "--agent", "claude", "--scope", "galaxy", code=2).stderr
    assert "unknown agent" in run(proj, "sync", "--agent", "emacs", code=2).stderr
    assert "no lockfile" in run(tmp_path, "install", code=2).stderr
    assert "--allow-blocked" in run(proj, "add", "--help").stdout


def test_synced_files_are_readable_and_scripts_executable(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)  # the subprocesses inherit the usual umask
    try:
        _sync_and_check_modes(tmp_path)
    finally:
        os.umask(old_mask)


def _sync_and_check_modes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    write_skill(source, "runner", files={"scripts/run.sh": "#!/bin/sh\necho ok\n",
                                         "references/notes.md": "notes\n"})
    proj = tmp_path / "proj"
    proj.mkdir()
    run(proj, "add", str(source / "runner"))
    run(proj, "sync", "--agent", "claude")
    folder = proj / ".claude/skills/runner"
    script = folder / "scripts" / "run.sh"
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout == "ok\n"
    assert (folder / "references" / "notes.md").stat().st_mode & 0o044 == 0o044
    assert folder.stat().st_mode & 0o055 == 0o055
    assert (proj / "skillyard.lock").stat().st_mode & 0o044 == 0o044
