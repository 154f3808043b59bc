"""The real Vercel ``skills`` CLI installs from a running registry's well-known index.

The CLI is installed by ``scripts/install-skills-cli.sh`` (a pinned npm ``skills`` into
``~/.cache/skillyard-test/npm``); without it this test skips and says how to get it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skillyard.registry import pack_folder
from skillyard.sources.folders import load_skill_dir
from support.registry import client, running, skill_folder, token

PREFIX = Path(os.environ.get("SKILLYARD_SKILLS_CLI_PREFIX",
                             Path.home() / ".cache" / "skillyard-test" / "npm"))
CLI = PREFIX / "node_modules" / ".bin" / "skills"


def skills_cli() -> Path:
    if not CLI.exists() or shutil.which("node") is None:
        pytest.skip(f"the Vercel skills CLI is not installed at {CLI} "
                    "(run scripts/install-skills-cli.sh)")
    return CLI


def run_cli(cli: Path, cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local"),
           "XDG_STATE_HOME": str(home / ".state"), "XDG_CACHE_HOME": str(home / ".cache"),
           "DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "CI": "1", "NO_COLOR": "1",
           "npm_config_update_notifier": "false"}
    return subprocess.run([str(cli), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL)


def publish(c, url: str, admin: str, folder: Path, namespace: str) -> None:  # noqa: ANN001
    name = folder.name
    r = c.post(f"{url}/api/v1/skills/{namespace}/{name}/versions", content=pack_folder(folder),
               headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 201, r.text


def test_vercel_skills_cli_installs_from_the_registry(tmp_path: Path) -> None:
    cli = skills_cli()
    extra = {"references/fields.md": "# Fields\n\nText, checkbox, radio.\n",
             "scripts/fill.py": "print('fill the form')\n"}
    with running(str(tmp_path / "r.db"), anonymous_read=("team/*",), web=False) as (
            url, registry), client() as c:
        admin = token(registry, "admin", "*")
        publish(c, url, admin, skill_folder(tmp_path / "src", version="1.0", files=extra),
                "team")
        publish(c, url, admin, skill_folder(tmp_path / "other", name="git-commits",
                                            description="Write commit messages. Use when "
                                            "committing."), "private")
        # a file name with ".." in it (no traversal, valid here) makes the CLI refuse the
        # whole index: that skill is left out of it, or the CLI would find nothing at all
        publish(c, url, admin, skill_folder(tmp_path / "dots", name="release-notes",
                                            description="Release notes. Use for releases.",
                                            files={"notes..old.md": "# Old\n"}), "team")
        index = c.get(f"{url}/.well-known/skills/index.json").json()["skills"]
        assert [s["name"] for s in index] == ["pdf-forms"]
        served = c.get(f"{url}/api/v1/skills/team/pdf-forms",
                       headers={"Authorization": f"Bearer {admin}"}).json()

        home, project = tmp_path / "home", tmp_path / "project"
        home.mkdir(exist_ok=True)
        project.mkdir()
        listed = run_cli(cli, project, home, "add", url, "--list")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "pdf-forms" in listed.stdout and "git-commits" not in listed.stdout
        done = run_cli(cli, project, home, "add", url, "--skill", "pdf-forms",
                       "--agent", "claude-code", "--copy", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr

    installed = project / ".claude" / "skills" / "pdf-forms"
    assert (installed / "SKILL.md").is_file(), done.stdout
    on_disk = sorted(str(p.relative_to(installed)) for p in installed.rglob("*") if p.is_file())
    assert on_disk == sorted(f["path"] for f in served["files"])
    skill = load_skill_dir(installed)
    assert {f.path: f.sha256 for f in skill.files if f.kind == "file"} == {
        f["path"]: f["sha256"] for f in served["files"]}
    assert skill.digest == served["digest"]
    assert not (project / ".claude" / "skills" / "git-commits").exists()


def test_vercel_skills_cli_reads_a_namespace_index(tmp_path: Path) -> None:
    """``skills add http://host/NS`` reads ``/NS/.well-known/skills/index.json`` only."""
    cli = skills_cli()
    with running(str(tmp_path / "r.db"), anonymous_read=("*",), web=False) as (
            url, registry), client() as c:
        admin = token(registry, "admin", "*")
        publish(c, url, admin, skill_folder(tmp_path / "a"), "team")
        publish(c, url, admin, skill_folder(tmp_path / "b", name="git-commits",
                                            description="Write commit messages. Use when "
                                            "committing."), "other")
        home, project = tmp_path / "home", tmp_path / "project"
        home.mkdir(exist_ok=True)
        project.mkdir()
        listed = run_cli(cli, project, home, "add", f"{url}/other", "--list")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "git-commits" in listed.stdout and "pdf-forms" not in listed.stdout
