"""agents.toml as data: the table, detection in a temporary HOME, sync --agent all, `agents`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.install import Project, Syncer, agent_targets
from skillyard.sources import load_agent_folders
from skillyard.sources.agenttable import (
    AgentTableError,
    agents,
    expand,
    find_agent,
    load_agents,
    parse_agents,
)


@pytest.fixture(autouse=True)
def _no_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)


def home() -> Path:
    return Path(os.environ["HOME"])


def install(name: str) -> None:
    expand(find_agent(name).detect[0], home(), explicit=True).mkdir(parents=True, exist_ok=True)


def test_table_covers_thirty_agents_with_sources() -> None:
    table = agents()
    assert len(table) >= 30
    names = {a.name for a in table}
    assert {"claude", "codex", "gemini", "cursor", "copilot", "opencode", "goose", "windsurf",
            "cline", "roo", "kiro", "amp", "factory", "qwen", "trae", "kimi", "openclaw"} <= names
    assert all(a.source.startswith("https://") and a.project and a.user for a in table)
    assert find_agent("claude-code").name == "claude"  # aliases
    assert find_agent("Droid").name == "factory"
    assert sum(a.confirmed for a in table) >= 9


@pytest.mark.parametrize(("data", "message"), [
    ({}, "no \\[\\[agent\\]\\]"),
    ({"agent": [{"name": "x", "display": "X", "source": "http://x.test", "project": ["a"],
                 "user": ["~/a"]}]}, "https://"),
    ({"agent": [{"name": "x", "display": "X", "source": "https://x.test", "project": ["../a"],
                 "user": ["~/a"]}]}, "relative"),
    ({"agent": [{"name": "x", "display": "X", "source": "https://x.test", "project": ["a"],
                 "user": ["/etc/a"]}]}, "must start with"),
    ({"agent": [{"name": "x", "display": "X", "source": "https://x.test", "project": ["a"],
                 "user": ["~/a"], "aliases": ["y"]},
                {"name": "y", "display": "Y", "source": "https://y.test", "project": ["b"],
                 "user": ["~/b"]}]}, "already used"),
    ({"agent": [{"name": "x", "display": "X", "source": "https://x.test", "project": "a",
                 "user": ["~/a"]}]}, "list of non-empty strings"),
])
def test_bad_tables_are_clear_errors(data: dict, message: str) -> None:
    with pytest.raises(AgentTableError, match=message):
        parse_agents(data)


def test_a_table_file_that_is_not_toml(tmp_path: Path) -> None:
    bad = tmp_path / "agents.toml"
    bad.write_text("[[agent]\nname = ")
    with pytest.raises(AgentTableError, match="not valid TOML"):
        load_agents(bad)


def test_detection_and_user_folders_in_a_temporary_home() -> None:
    assert find_agent("goose").installed(home()) == []
    install("goose")
    assert find_agent("goose").installed(home()) == ["{config}/goose"]
    assert find_agent("goose").folders("user", home(), home()) == [
        home() / ".config/goose/skills"]


@pytest.fixture
def project(tmp_path: Path, db_path: Path) -> Project:
    root = tmp_path / "proj"
    write_skill(root / "vendor", "alpha", files={"references/guide.md": "# Guide\n"})
    proj = Project(root / "skillyard.lock", Library(db_path))
    proj.add(str(root / "vendor"))
    return proj


def test_sync_all_writes_detected_agents_and_the_shared_folder_once(project: Project) -> None:
    for name in ("claude", "codex", "amp", "windsurf"):
        install(name)
    shared = agent_targets(["all"], "project", project.root, home())
    assert dict(shared) == {
        "claude": project.root / ".claude/skills", "codex+amp": project.root / ".agents/skills",
        "windsurf": project.root / ".windsurf/skills"}
    targets = agent_targets(["all"], "user", project.root, home())
    assert dict(targets) == {
        "claude": home() / ".claude/skills", "codex": home() / ".agents/skills",
        "amp": home() / ".config/agents/skills",
        "windsurf": home() / ".codeium/windsurf/skills"}
    report = Syncer(project).sync(targets)
    assert {(a.agent, a.action) for a in report.actions} == {
        ("claude", "installed"), ("codex", "installed"), ("amp", "installed"),
        ("windsurf", "installed")}
    for folder in dict(targets).values():
        assert (folder / "alpha/references/guide.md").read_text() == "# Guide\n"
    loaded = [r for r in load_agent_folders(project.root, home=home()) if r.skill]
    assert {r.skill.provenance.agent for r in loaded} == {
        "agents/user", "claude/user", "amp/user", "windsurf/user"}
    report = Syncer(project).sync(shared)
    assert {(a.agent, a.action) for a in report.actions} == {
        ("claude", "installed"), ("codex+amp", "installed"), ("windsurf", "installed")}


def test_sync_all_in_a_project_includes_agents_whose_folder_exists(project: Project) -> None:
    (project.root / ".kiro/skills").mkdir(parents=True)
    targets = agent_targets(["all"], "project", project.root, home())
    assert targets == [("kiro", project.root / ".kiro/skills")]


def run(cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == code, (args, proc.stdout, proc.stderr)
    return proc


def test_agents_command_lists_what_is_installed_where(tmp_path: Path) -> None:
    install("cursor")
    write_skill(home() / ".cursor/skills", "mine")
    proj = tmp_path / "proj"
    write_skill(proj / ".gemini/skills", "team-one")
    write_skill(proj / ".gemini/skills", "team-two")
    out = json.loads(run(proj, "agents", "--home", str(home()), "--json").stdout)
    rows = {r["name"]: r for r in out["agents"]}
    assert set(rows) == {"cursor", "gemini"} and out["known"] >= 30
    assert rows["cursor"]["detected"] and not rows["gemini"]["detected"]
    counts = {(f["scope"], Path(f["path"]).relative_to(home() if f["scope"] == "user" else
                                                       proj).as_posix()): f["skills"]
              for r in rows.values() for f in r["folders"] if f["exists"]}
    assert counts == {("user", ".cursor/skills"): 1, ("project", ".gemini/skills"): 2}
    text = run(proj, "agents", "--home", str(home()), "--all").stdout
    assert "of" in text and "known agents detected" in text and "kimi" in text


def test_platform_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    goose = find_agent("goose")
    assert goose.user_templates("linux") == ("{config}/goose/skills",)
    assert goose.user_templates("win32") == ("{appdata}/Block/goose/config/skills",)
    assert goose.user_templates("darwin") == ("{config}/goose/skills",)
    assert expand("{appdata}/Block/goose/config/skills", home(), explicit=True) == (
        home() / "AppData/Roaming/Block/goose/config/skills")
    from skillyard.inventory.mcp import config_specs

    desktop = next(s for s in config_specs() if s.client == "claude-desktop")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert desktop.files(home(), home()) == [
        home() / "Library/Application Support/Claude/claude_desktop_config.json"]
    monkeypatch.setattr(sys, "platform", "linux")
    assert desktop.files(home(), home()) == [
        home() / ".config/Claude/claude_desktop_config.json"]
