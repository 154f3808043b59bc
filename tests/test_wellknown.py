"""Installing from a website's well-known skills index, served by a real HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillyard import Library
from skillyard.audit.gate import PolicyRefusal
from skillyard.errors import SourceError
from skillyard.install import Project, Syncer, TamperError, agent_targets, read_lock
from skillyard.sources import wellknown
from skillyard.sources.wellknown import candidates, fetch_index, manifest_digest
from support.gitrepo import BLOCKED_BODY, skill_md
from support.site import Site, tag


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    served = Site(tmp_path / "www")
    yield served
    served.close()


@pytest.fixture
def project(tmp_path: Path, db_path: Path) -> Project:
    return Project(tmp_path / "proj" / "skillyard.lock", Library(db_path))


def publish_two(site: Site) -> None:
    site.skill_md_entry("pdf-notes")
    site.archive_entry("deploy-check", {
        "SKILL.md": skill_md("deploy-check").encode(),
        "references/checklist.md": b"# Checklist\n\n- tests pass\n"})
    site.publish()


def test_candidates_follow_the_skills_cli_order() -> None:
    assert candidates("https://example.test/docs") == [
        "https://example.test/docs/.well-known/agent-skills/index.json",
        "https://example.test/.well-known/agent-skills/index.json",
        "https://example.test/docs/.well-known/skills/index.json",
        "https://example.test/.well-known/skills/index.json"]
    assert candidates("https://example.test/.well-known/agent-skills/x")[0] == \
        "https://example.test/.well-known/agent-skills/index.json"


def test_rfc_manifest_digest_worked_example() -> None:
    files = {"SKILL.md": "90f8ec5669cd34183b9b0fdf8b94f5efb4c3672876330f4aa76088c2b4ad17be",
             "scripts/run.sh": "a8076d3d28d21e02012b20eaf7dbf75409a6277134439025f282e368e3305abf"}
    assert manifest_digest(files) == (
        "sha256:34f7a8c484e9991f3e71a309f31332d6335efc01f544105c4185a7c4ab12eb1e")


def test_add_from_a_site_locks_url_and_digests(site: Site, project: Project) -> None:
    publish_two(site)
    report = project.add(site.url)
    assert {c.name: c.status for c in report.changes} == {"pdf-notes": "added",
                                                          "deploy-check": "added"}
    lock = read_lock(project.lock_path)
    entry = lock.skills["deploy-check"]
    assert entry.source.kind == "wellknown"
    assert entry.source.location == f"{site.url}/.well-known/agent-skills/index.json"
    assert entry.source.path == "deploy-check"
    assert entry.source.ref == tag((site.wk / "deploy-check.tar.gz").read_bytes())
    assert {f.path for f in entry.files} == {"SKILL.md", "references/checklist.md"}
    raw = json.loads(project.lock_path.read_text())["skills"]["pdf-notes"]
    assert raw["source"]["ref"].startswith("sha256:")
    targets = agent_targets(["claude"], "project", project.root)
    Syncer(project).sync(targets)
    assert (project.root / ".claude/skills/deploy-check/references/checklist.md").is_file()


def test_one_skill_by_name_or_by_url(site: Site, project: Project) -> None:
    publish_two(site)
    project.add(site.url, names=["pdf-notes"])
    assert set(read_lock(project.lock_path).skills) == {"pdf-notes"}
    project.add(f"{site.url}/.well-known/agent-skills/deploy-check")
    assert set(read_lock(project.lock_path).skills) == {"pdf-notes", "deploy-check"}


def test_digest_mismatch_is_refused_and_nothing_written(site: Site, project: Project) -> None:
    site.skill_md_entry("pdf-notes", digest=tag(b"something else"))
    site.publish()
    with pytest.raises(SourceError, match="pdf-notes.*digest.*refused"):
        project.add(site.url)
    assert not project.lock_path.exists()
    assert project.library.list() == []


def test_index_pointing_outside_its_site_is_refused(site: Site, tmp_path: Path,
                                                   project: Project) -> None:
    other = Site(tmp_path / "elsewhere")
    try:
        data = other.skill_md_entry("pdf-notes")
        site.skill_md_entry("pdf-notes", url=f"{other.url}/.well-known/agent-skills/"
                            "pdf-notes.md", digest=tag(data))
        site.publish()
        with pytest.raises(SourceError, match="outside the site"):
            project.add(site.url)
        site.skill_md_entry("pdf-notes")
        site.redirects["/.well-known/agent-skills/pdf-notes.md"] = (
            f"{other.url}/.well-known/agent-skills/pdf-notes.md")
        site.publish()
        with pytest.raises(SourceError, match="outside the site"):
            project.add(site.url)
    finally:
        other.close()
    assert not project.lock_path.exists()


def test_huge_index_and_too_many_skills(site: Site, project: Project,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site.write_index(b'{"skills": [' + b" " * 5000 + b"]}")
    monkeypatch.setattr(wellknown, "MAX_INDEX_BYTES", 4096)
    with pytest.raises(SourceError, match="over the limit"):
        project.add(site.url)
    monkeypatch.setattr(wellknown, "MAX_INDEX_BYTES", 4 * 1024 * 1024)
    monkeypatch.setattr(wellknown, "MAX_SKILLS", 3)
    for name in ("a1", "a2", "a3", "a4"):
        site.skill_md_entry(name)
    site.publish()
    with pytest.raises(SourceError, match="4 skills, over the limit of 3"):
        project.add(site.url)


def test_bad_index_entries_and_shapes(site: Site, project: Project) -> None:
    site.write_index(b"{not json")
    with pytest.raises(SourceError, match="not valid JSON"):
        fetch_index(site.url)
    site.write_index({"$schema": "https://schemas.example.test/9.0/schema.json",
                      "skills": []})
    with pytest.raises(SourceError, match="unknown index schema"):
        fetch_index(site.url)
    site.skill_md_entry("good-one")
    site.entries.append({"name": "Bad Name", "type": "skill-md", "url": "x.md",
                         "description": "d", "digest": tag(b"")})
    site.entries.append({"name": "no-digest", "type": "skill-md", "url": "x.md",
                         "description": "d"})
    site.publish()
    index = fetch_index(site.url)
    assert [e.name for e in index.entries] == ["good-one"]
    assert len(index.rejected) == 2
    project.add(site.url)
    assert set(read_lock(project.lock_path).skills) == {"good-one"}


def test_unsafe_archives_are_refused(site: Site, project: Project) -> None:
    site.archive_entry("escape", {"SKILL.md": skill_md("escape").encode(),
                                  "../outside.md": b"x"})
    site.publish()
    with pytest.raises(SourceError, match="unsafe path"):
        project.add(site.url)
    site.archive_entry("escape", {"SKILL.md": skill_md("escape").encode()},
                       links={"refs/passwd": "/etc/passwd"})
    site.publish()
    with pytest.raises(SourceError, match="link"):
        project.add(site.url)


def test_audit_runs_before_anything_is_written(site: Site, project: Project) -> None:
    site.skill_md_entry("table-formatter", body=BLOCKED_BODY)
    site.publish()
    with pytest.raises(PolicyRefusal, match="table-formatter"):
        project.add(site.url)
    assert not project.lock_path.exists()


def test_legacy_index_with_and_without_file_digests(site: Site, project: Project) -> None:
    files = {"SKILL.md": skill_md("old-style").encode(), "notes/a.md": b"a\n"}
    site.publish_legacy("old-style", files)
    project.add(site.url)
    entry = read_lock(project.lock_path).skills["old-style"]
    assert entry.source.location.endswith("/.well-known/skills/index.json")
    assert entry.source.ref is None and len(entry.files) == 2
    project.remove(["old-style"])
    site.publish_legacy("old-style", files, {"SKILL.md": tag(files["SKILL.md"]),
                                             "notes/a.md": tag(b"tampered\n")})
    with pytest.raises(SourceError, match="notes/a.md.*refused"):
        project.add(site.url)


def test_update_and_install_with_a_site(site: Site, project: Project, tmp_path: Path) -> None:
    publish_two(site)
    project.add(site.url)
    site.skill_md_entry("pdf-notes", body="\n# Steps\n\nDo it better.\n")
    site.publish()
    report = project.update()
    assert {c.name: c.status for c in report.changes} == {"pdf-notes": "updated",
                                                          "deploy-check": "unchanged"}
    new_ref = read_lock(project.lock_path).skills["pdf-notes"].source.ref
    assert new_ref == tag((site.wk / "pdf-notes.md").read_bytes())
    fresh = Project(project.lock_path, Library(tmp_path / "fresh.db"))
    assert {c.status for c in fresh.install().changes} == {"installed"}
    site.skill_md_entry("pdf-notes", body="\n# Steps\n\nChanged behind the lock.\n")
    site.publish()
    other = Project(project.lock_path, Library(tmp_path / "other.db"))
    with pytest.raises(TamperError, match="pdf-notes"):
        other.install()
    site.close()  # offline: the library's exact copies restore; without them, a clear error
    assert {c.status for c in project.install().changes} == {"installed"}
    with pytest.raises(SourceError, match="cannot connect"):
        Project(project.lock_path, Library(tmp_path / "third.db")).install()


def test_cli_add_and_index_from_a_site(site: Site, tmp_path: Path) -> None:
    publish_two(site)
    proj = tmp_path / "proj"
    proj.mkdir()

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=proj,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        return proc

    added = json.loads(run("add", site.url, "--json").stdout)
    assert {s["name"] for s in added["skills"]} == {"pdf-notes", "deploy-check"}
    indexed = run("index", site.url, "--db", str(tmp_path / "other.db"), "--no-route")
    assert "2" in indexed.stdout
    site.skill_md_entry("pdf-notes", digest=tag(b"nope"))
    site.publish()
    refused = run("add", site.url, "--lock", str(tmp_path / "x.lock"), code=1)
    assert "refused" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_a_site_without_an_index_is_tried_as_git(site: Site, project: Project,
                                                 tmp_path: Path) -> None:
    from support.gitrepo import SkillRepo, git

    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("from-git")
    repo.commit()
    bare = site.root / "repo"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    git(bare, "update-server-info")  # served by the plain HTTP server (git's dumb protocol)
    report = project.add(f"{site.url}/repo")
    assert [c.name for c in report.changes] == ["from-git"]
    entry = read_lock(project.lock_path).skills["from-git"]
    assert entry.source.kind == "git" and entry.commit
    with pytest.raises(SourceError, match="no skills index.*as a git repository"):
        project.add(f"{site.url}/nothing-here")
