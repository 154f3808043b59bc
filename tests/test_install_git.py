"""add / install / update / remove on real git repositories made by the tests, audited for real."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.audit.gate import PolicyRefusal
from skillyard.errors import NotFoundError, SourceError
from skillyard.install import Project, TamperError, read_lock
from skillyard.library.integrity import DamagedError
from support.gitrepo import BLOCKED_BODY, SkillRepo, git


@pytest.fixture
def repo(tmp_path: Path) -> SkillRepo:
    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("alpha", files={"references/guide.md": "# Guide\n\nUse it well.\n",
                               "scripts/run.py": "print('alpha')\n"})
    repo.skill("beta", files={"notes.md": "beta notes\n"})
    repo.commit("first")
    repo.tag("v1.0")
    return repo


@pytest.fixture
def project(tmp_path: Path, db_path: Path) -> Project:
    (tmp_path / "proj").mkdir()
    return Project(tmp_path / "proj" / "skillyard.lock", Library(db_path))


def test_add_git_at_tag_pins_commit_and_digests(repo: SkillRepo, project: Project) -> None:
    commit = git(repo.path, "rev-parse", "v1.0")
    report = project.add(f"file://{repo.path}@v1.0")
    assert sorted(c.name for c in report.changes) == ["alpha", "beta"]
    lock = read_lock(project.lock_path)
    alpha = lock.skills["alpha"]
    assert alpha.commit == commit and alpha.source.ref == "v1.0"
    assert alpha.source.path == "skills/alpha" and alpha.source.kind == "git"
    assert {f.path for f in alpha.files} == {"SKILL.md", "references/guide.md", "scripts/run.py"}
    assert alpha.verdict == "allow" and alpha.tier == 2
    stored = project.library.get(alpha.id)
    assert stored.digest == alpha.digest and stored.provenance.commit == commit


def test_add_one_skill_from_a_plain_path_with_ref(repo: SkillRepo, project: Project) -> None:
    project.add(f"{repo.path}@v1.0", names=["beta"])
    assert list(read_lock(project.lock_path).skills) == ["beta"]
    with pytest.raises(NotFoundError, match="no skill named gamma"):
        project.add(f"{repo.path}@v1.0", names=["gamma"])


def test_blocked_skill_refused_at_add_then_override_recorded(tmp_path: Path,
                                                              project: Project) -> None:
    repo = SkillRepo(tmp_path / "evil")
    repo.skill("dropper", body=BLOCKED_BODY)
    repo.skill("okay")
    repo.commit()
    with pytest.raises(PolicyRefusal, match="blocks dropper"):
        project.add(str(repo.path) + "@main")
    assert not project.lock_path.exists()  # all or nothing: 'okay' was not added either
    assert project.library.list() == []
    project.add(str(repo.path) + "@main", names=["okay"])
    project.add(str(repo.path) + "@main", names=["dropper"], allow_blocked=True,
                reason="reviewed by hand")
    entry = read_lock(project.lock_path).skills["dropper"]
    assert entry.verdict == "block" and entry.tier == 0
    assert entry.override and entry.override["allow_blocked"] is True
    assert entry.override["reason"] == "reviewed by hand" and entry.override["by"]
    assert any("untrusted-remote-execution" in f for f in entry.override["findings"])


def test_update_moves_branch_and_newer_tags(repo: SkillRepo, project: Project) -> None:
    repo.branch("stable")
    project.add(f"{repo.path}@stable", names=["beta"])
    project.add(f"{repo.path}@v1.0", names=["alpha"])
    first = read_lock(project.lock_path)
    assert project.update().changes[0].status == "unchanged"

    repo.write("skills/beta/notes.md", "beta notes, revised\n")
    repo.write("skills/alpha/references/extra.md", "more\n")
    moved = repo.commit("second")
    repo.branch("stable", moved)  # the branch moves
    repo.tag("v1.1")  # and a newer version tag appears
    repo.tag("v2.0-rc1")  # pre-releases are not picked
    repo.tag("other")

    dry = project.update(dry_run=True)
    assert read_lock(project.lock_path).skills == first.skills
    assert {c.name: c.status for c in dry.changes} == {"alpha": "updated", "beta": "updated"}

    report = {c.name: c for c in project.update().changes}
    lock = read_lock(project.lock_path)
    assert lock.skills["beta"].commit == moved and lock.skills["beta"].source.ref == "stable"
    assert report["beta"].files_changed == ["notes.md"]
    assert lock.skills["alpha"].source.ref == "v1.1" and lock.skills["alpha"].commit == moved
    assert report["alpha"].files_added == ["references/extra.md"]
    assert report["alpha"].old_ref == "v1.0" and report["alpha"].new_ref == "v1.1"
    assert project.library.get(lock.skills["alpha"].id).digest == lock.skills["alpha"].digest


def test_update_to_explicit_ref_and_refuses_blocked(repo: SkillRepo, project: Project) -> None:
    project.add(f"{repo.path}@v1.0", names=["alpha"])
    repo.skill("alpha", body=BLOCKED_BODY)
    repo.commit("compromised")
    repo.tag("v1.1")
    before = read_lock(project.lock_path).skills["alpha"]
    change = project.update("alpha").changes[0]
    assert change.status == "refused" and "blocks" in change.reason
    assert read_lock(project.lock_path).skills["alpha"] == before
    assert project.update("alpha", ref="v1.0").changes[0].status == "unchanged"
    with pytest.raises(NotFoundError):
        project.update("nope")


def test_install_restores_exactly_from_git(repo: SkillRepo, project: Project,
                                           tmp_path: Path) -> None:
    project.add(f"{repo.path}@v1.0")
    locked = read_lock(project.lock_path)
    repo.skill("alpha", body="\n# Changed upstream after locking\n")
    repo.commit("later")
    fresh = Project(project.lock_path, Library(tmp_path / "other.db"))
    report = fresh.install()
    assert {c.name for c in report.changes} == {"alpha", "beta"}
    for name, entry in locked.skills.items():
        assert fresh.library.get(entry.id).digest == entry.digest, name


def test_install_refuses_tampered_folder_source(tmp_path: Path, project: Project) -> None:
    src = tmp_path / "proj" / "vendor"
    write_skill(src, "gamma", files={"ref.md": "original\n"})
    project.add(str(src))
    entry = read_lock(project.lock_path).skills["gamma"]
    assert entry.source.kind == "folder" and entry.source.location == "vendor"
    (src / "gamma" / "ref.md").write_text("tampered\n")
    fresh = Project(project.lock_path, Library(tmp_path / "fresh.db"))
    with pytest.raises(TamperError, match=r"gamma/ref.md: sha256 .* differs"):
        fresh.install()
    assert fresh.library.list() == []  # nothing was installed


def test_install_refuses_tampered_library_blob(tmp_path: Path, project: Project,
                                               db_path: Path) -> None:
    write_skill(tmp_path / "lib-src", "delta", files={"ref.md": "content\n"})
    project.library.index([str(tmp_path / "lib-src")])
    project.add("delta")  # a name from the library
    entry = read_lock(project.lock_path).skills["delta"]
    assert entry.source.kind == "library"
    sha = entry.file("ref.md").sha256
    project.library.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE blobs SET codec='raw', data=? WHERE sha256=?", (b"evil\n", sha))
    again = Project(project.lock_path, Library(db_path))
    with pytest.raises(DamagedError, match="delta.*ref.md"):  # the store is checked first
        again.install()


def test_install_refuses_edited_lockfile_and_missing_source(project: Project, repo: SkillRepo,
                                                             tmp_path: Path) -> None:
    project.add(f"{repo.path}@v1.0", names=["beta"])
    data = json.loads(project.lock_path.read_text())
    data["skills"]["beta"]["commit"] = "f" * 40
    project.lock_path.write_text(json.dumps(data))
    with pytest.raises(SourceError):
        project.install()


def test_remove_and_name_conflicts(repo: SkillRepo, project: Project, tmp_path: Path) -> None:
    project.add(f"{repo.path}@v1.0", names=["beta"])
    other = tmp_path / "proj" / "elsewhere"
    write_skill(other, "beta")
    with pytest.raises(Exception, match="already locked from"):
        project.add(str(other))
    project.remove(["beta"])
    assert read_lock(project.lock_path).skills == {}
    with pytest.raises(NotFoundError):
        project.remove(["beta"])
    with pytest.raises(SourceError):
        project.add(str(tmp_path / "missing-folder"))


def test_names_that_are_not_folder_names_are_refused(tmp_path: Path, project: Project) -> None:
    src = tmp_path / "proj" / "odd"
    folder = src / "odd-skill"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text("---\nname: ../../.bashrc\ndescription: Looks odd. Use "
                                     "never.\n---\n# Odd\n")
    with pytest.raises(SourceError, match="cannot be a folder name"):
        project.add(str(src))
    assert not project.lock_path.exists()
