"""sync into temporary agent folders: every agent, both scopes, copy and symlink, policy tiers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.errors import SkillyardError
from skillyard.install import SYNC_AGENTS, Project, Syncer, agent_targets, read_lock
from skillyard.install.sync import RECORD
from skillyard.sources import AGENT_FOLDERS
from support.gitrepo import BLOCKED_BODY

EXPECTED_PROJECT = {
    "claude": ".claude/skills", "codex": ".agents/skills", "cursor": ".cursor/skills",
    "gemini": ".gemini/skills", "copilot": ".github/skills", "opencode": ".opencode/skills",
    "goose": ".goose/skills",
}


@pytest.fixture
def project(tmp_path: Path, db_path: Path) -> Project:
    root = tmp_path / "proj"
    vendor = root / "vendor"
    write_skill(vendor, "alpha", files={"references/guide.md": "# Guide\n",
                                        "scripts/run.sh": "echo alpha\n"})
    write_skill(vendor, "beta", files={"notes.md": "beta\n"})
    proj = Project(root / "skillyard.lock", Library(db_path))
    proj.add(str(vendor))
    return proj


def sync(project: Project, agents: list[str], scope: str = "project", **kw: object):  # noqa: ANN201
    home = Path(os.environ["HOME"])
    return Syncer(project, **kw).sync(agent_targets(agents, scope, project.root, home))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_agent_has_a_folder_in_both_scopes() -> None:
    from skillyard.sources.agenttable import find_agent

    assert len(SYNC_AGENTS) >= 30
    for scope in ("project", "user"):
        listed = {f.path for f in AGENT_FOLDERS if f.scope == scope}
        for name in SYNC_AGENTS:
            agent = find_agent(name)
            folders = agent.project if scope == "project" else agent.user_templates()
            assert folders and set(folders) <= listed, (scope, name)


def install_agents(names: list[str]) -> None:
    """Make agents look installed in the test HOME (their detect folders, from agents.toml)."""
    from skillyard.sources.agenttable import expand, find_agent

    home = Path(os.environ["HOME"])
    for name in names:
        expand(find_agent(name).detect[0], home, explicit=True).mkdir(parents=True,
                                                                      exist_ok=True)


def test_sync_all_detected_agents_project_scope(project: Project) -> None:
    with pytest.raises(SkillyardError, match="no agent detected"):
        sync(project, ["all"])
    install_agents(list(EXPECTED_PROJECT))
    report = sync(project, ["all"])
    assert {(a.agent, a.action) for a in report.actions} == {
        (agent, "installed") for agent in EXPECTED_PROJECT}
    lock = read_lock(project.lock_path)
    for agent, rel in EXPECTED_PROJECT.items():
        folder = project.root / rel
        assert tree(folder / "alpha") == {
            "SKILL.md": (project.root / "vendor/alpha/SKILL.md").read_bytes(),
            "references/guide.md": b"# Guide\n", "scripts/run.sh": b"echo alpha\n"}, agent
        record = json.loads((folder / RECORD).read_text())
        mine = record["owners"][str(project.lock_path.resolve())]
        assert mine["beta"]["digest"] == lock.skills["beta"].digest
    again = sync(project, ["all"])
    assert {a.action for a in again.actions} == {"unchanged"}


def test_sync_user_scope_goes_to_home(project: Project) -> None:
    sync(project, ["claude", "goose", "opencode"], scope="user")
    home = Path(os.environ["HOME"])
    for rel in (".claude/skills", ".config/goose/skills", ".config/opencode/skills"):
        assert (home / rel / "alpha" / "SKILL.md").is_file(), rel
    assert not (project.root / ".claude").exists()


def test_removes_what_it_installed_and_never_touches_others(project: Project) -> None:
    folder = project.root / ".claude/skills"
    write_skill(folder, "mine-by-hand", files={"x.md": "user's own\n"})
    write_skill(folder, "beta")  # same name as a locked skill, not installed by skillyard
    before = tree(folder / "mine-by-hand"), tree(folder / "beta")
    report = sync(project, ["claude"])
    actions = {a.name: a.action for a in report.actions}
    assert actions == {"alpha": "installed", "beta": "conflict"}
    assert (tree(folder / "mine-by-hand"), tree(folder / "beta")) == before
    project.remove(["alpha"])
    report = sync(project, ["claude"])
    assert {a.name: a.action for a in report.actions} == {"alpha": "removed", "beta": "conflict"}
    assert not (folder / "alpha").exists()
    assert (tree(folder / "mine-by-hand"), tree(folder / "beta")) == before


def test_edited_copy_is_kept_unless_forced(project: Project) -> None:
    sync(project, ["codex"])
    skill = project.root / ".agents/skills/beta"
    (skill / "notes.md").write_text("my local edit\n")
    project.remove(["beta"])
    report = sync(project, ["codex"])
    assert [a.action for a in report.actions if a.name == "beta"] == ["kept"]
    assert (skill / "notes.md").read_text() == "my local edit\n"
    report = sync(project, ["codex"])  # no longer managed: left alone, not reported
    assert all(a.name != "beta" for a in report.actions)


def test_force_replaces_edited_copy(project: Project) -> None:
    sync(project, ["cursor"])
    target = project.root / ".cursor/skills/alpha/SKILL.md"
    target.write_text("edited")
    assert [a.action for a in sync(project, ["cursor"]).actions if a.name == "alpha"] == ["kept"]
    assert [a.action for a in sync(project, ["cursor"], force=True).actions
            if a.name == "alpha"] == ["updated"]
    assert target.read_bytes() == (project.root / "vendor/alpha/SKILL.md").read_bytes()


def test_two_projects_share_a_user_folder_without_stepping_on_each_other(
        project: Project, tmp_path: Path) -> None:
    other_root = tmp_path / "other"
    write_skill(other_root / "vendor", "gamma")
    write_skill(other_root / "vendor", "beta")
    other = Project(other_root / "skillyard.lock", project.library)
    other.add(str(other_root / "vendor"))
    sync(project, ["gemini"], scope="user")
    report = sync(other, ["gemini"], scope="user")
    assert {a.name: a.action for a in report.actions} == {"gamma": "installed",
                                                          "beta": "conflict"}
    other.remove(["gamma"])
    sync(other, ["gemini"], scope="user")
    folder = Path(os.environ["HOME"]) / ".gemini/skills"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["alpha", "beta"]


def test_symlink_mode_shares_one_copy(project: Project) -> None:
    sync(project, ["claude", "copilot"], mode="symlink")
    store = project.root / ".skillyard/store/alpha"
    for rel in (".claude/skills/alpha", ".github/skills/alpha"):
        link = project.root / rel
        assert link.is_symlink() and link.resolve() == store.resolve()
    assert (project.root / ".github/skills/alpha/scripts/run.sh").read_text() == "echo alpha\n"
    sync(project, ["claude"], mode="copy")  # switching mode replaces the link by a folder
    assert not (project.root / ".claude/skills/alpha").is_symlink()
    project.remove(["alpha"])
    sync(project, ["claude", "copilot"], mode="symlink")
    assert not (project.root / ".github/skills/alpha").exists()
    assert not store.exists()


def test_policy_tiers_withhold_scripts_and_tier0(project: Project, tmp_path: Path) -> None:
    tier1 = tmp_path / "tier1.toml"
    tier1.write_text("[tiers]\ndefault = 1\n")
    strict = Project(project.lock_path, project.library, policy=tier1)
    report = sync(strict, ["claude"])
    alpha = next(a for a in report.actions if a.name == "alpha")
    assert "scripts withheld (scripts/run.sh)" in alpha.detail
    assert set(tree(project.root / ".claude/skills/alpha")) == {"SKILL.md",
                                                                "references/guide.md"}
    tier0 = tmp_path / "tier0.toml"
    tier0.write_text("[tiers]\ndefault = 0\n")
    report = sync(Project(project.lock_path, project.library, policy=tier0), ["claude"])
    assert {a.name: a.action for a in report.actions} == {"alpha": "removed", "beta": "removed"}
    assert "tier 0" in report.actions[0].detail
    assert not (project.root / ".claude/skills/alpha").exists()


def test_blocked_skill_synced_only_with_recorded_override(tmp_path: Path,
                                                          project: Project) -> None:
    write_skill(project.root / "risky", "dropper", body=BLOCKED_BODY)
    with pytest.raises(SkillyardError, match="blocks dropper"):
        project.add(str(project.root / "risky"))
    project.add(str(project.root / "risky"), allow_blocked=True)
    report = sync(project, ["opencode"])
    assert {a.name for a in report.actions if a.action == "installed"} == {
        "alpha", "beta", "dropper"}


def test_sync_refuses_tampered_library_and_bad_agent(project: Project, db_path: Path) -> None:
    with pytest.raises(SkillyardError, match="unknown agent"):
        agent_targets(["emacs"], "project", project.root)
    with pytest.raises(SkillyardError, match="unknown scope"):
        agent_targets(["claude"], "global", project.root)
    lock = read_lock(project.lock_path)
    data = json.loads(project.lock_path.read_text())
    entry = data["skills"]["beta"]
    entry["files"]["notes.md"]["sha256"] = "0" * 64
    from skillyard.skill import SkillFile, skill_digest
    entry["digest"] = skill_digest([SkillFile(p, m["size"], m["sha256"])
                                    for p, m in entry["files"].items()])
    project.lock_path.write_text(json.dumps(data))
    with pytest.raises(SkillyardError):
        sync(project, ["claude"])
    assert not (project.root / ".claude").exists()
    assert lock.skills["beta"].digest != entry["digest"]
