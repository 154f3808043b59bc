"""skillyard outdated: git tags and branches, a website index, folders; read-only."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.install import Project
from skillyard.install.outdated import outdated
from support.gitrepo import SkillRepo
from support.site import Site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    served = Site(tmp_path / "www")
    yield served
    served.close()


def test_outdated_across_kinds(tmp_path: Path, db_path: Path, site: Site) -> None:
    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("tagged")
    repo.skill("tracking")
    repo.commit()
    repo.tag("v1.0")
    repo.branch("stable")
    write_skill(tmp_path / "local", "local-one")
    site.skill_md_entry("from-site")
    site.publish()
    site.publish_legacy("old-site", {"SKILL.md": b"---\nname: old-site\ndescription: Old."
                                                 b"\n---\nBody.\n"})
    project = Project(tmp_path / "proj" / "skillyard.lock", Library(db_path))
    project.add(f"file://{repo.path}@v1.0", names=["tagged"])
    project.add(f"file://{repo.path}@stable", names=["tracking"])
    project.add(str(tmp_path / "local"))
    project.add(site.url)
    project.add(f"{site.url}/.well-known/skills/index.json")  # this exact (legacy) index
    lock_before = project.lock_path.read_bytes()

    rows = {r.name: r for r in outdated(project)}
    assert {n: r.status for n, r in rows.items()} == dict.fromkeys(
        ("tagged", "tracking", "local-one", "from-site", "old-site"), "current")

    repo.skill("tagged", body="\n# Steps\n\nNewer.\n")
    repo.commit()
    repo.tag("v1.1")
    repo.branch("stable")
    (tmp_path / "local/local-one/notes.md").write_text("new file\n")
    site.skill_md_entry("from-site", body="\n# Steps\n\nChanged.\n")
    site.publish()
    rows = {r.name: r for r in outdated(project)}
    assert {n: r.status for n, r in rows.items()} == {
        "tagged": "outdated", "tracking": "outdated", "local-one": "outdated",
        "from-site": "outdated", "old-site": "current"}
    assert rows["tagged"].latest.startswith("v1.1") and rows["tagged"].detail == "newer tag"
    assert rows["from-site"].latest.startswith("sha256:")
    assert project.lock_path.read_bytes() == lock_before  # nothing changed

    site.close()  # a source that cannot be reached is reported, the rest still checked
    rows = {r.name: r for r in outdated(project)}
    assert rows["from-site"].status == "error" and "cannot connect" in rows["from-site"].detail
    assert rows["tagged"].status == "outdated"


def test_cli_outdated(tmp_path: Path) -> None:
    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("alpha")
    repo.commit()
    repo.tag("v1")
    proj = tmp_path / "proj"
    proj.mkdir()

    def run(*args: str, code: int) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=proj,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        return proc

    run("add", f"file://{repo.path}@v1", code=0)
    assert "current" in run("outdated", code=0).stdout
    repo.skill("alpha", body="\n# Steps\n\nv2.\n")
    repo.commit()
    repo.tag("v2")
    data = json.loads(run("outdated", "--json", code=1).stdout)
    assert [(s["name"], s["status"]) for s in data["skills"]] == [("alpha", "outdated")]
    assert "not in" in run("outdated", "nope", code=2).stderr


def test_outdated_for_a_registry_source(tmp_path: Path) -> None:
    import os

    from skillyard.registry import pack_folder
    from skillyard.sources.registry import registry_url
    from support.registry import LOCAL_ADMIN, running, skill_folder, token

    with running(str(tmp_path / "r.db"), web=False) as (url, registry):
        for version in ("1.0", "1.1"):
            folder = skill_folder(tmp_path / version, version=version,
                                  body=f"\n# PDF\n\nSteps of {version}.\n")
            registry.publish(LOCAL_ADMIN, "team/pdf-forms", pack_folder(folder))
        env = {**os.environ, "SKILLYARD_REGISTRY_TOKEN": token(registry, "read", "team/*"),
               "SKILLYARD_DB": str(tmp_path / "a.db")}
        project = tmp_path / "project"
        project.mkdir()

        def run(*args: str, code: int) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run([sys.executable, "-m", "skillyard", *args], cwd=project,
                                  capture_output=True, text=True, timeout=300, env=env)
            assert proc.returncode == code, (args, proc.stdout, proc.stderr)
            return proc

        run("add", url + "/team/pdf-forms@1.1", code=0)  # the registry's plain http(s) URL
        lock = json.loads((project / "skillyard.lock").read_text())["skills"]["pdf-forms"]
        assert lock["source"] == {"kind": "registry", "location": url, "ref": "1.1",
                                  "path": "team/pdf-forms"}
        row = json.loads(run("outdated", "--json", code=0).stdout)["skills"][0]
        assert (row["kind"], row["status"]) == ("registry", "current")
        assert row["latest"].startswith("1.1 ")

        run("update", "pdf-forms", "--ref", "1.0", code=0)
        registry.set_status(LOCAL_ADMIN, "team/pdf-forms", "1.0", "yanked", "broken")
        row = json.loads(run("outdated", "--json", code=1).stdout)["skills"][0]
        assert row["status"] == "outdated" and row["current"].startswith("1.0 ")
        assert row["latest"].startswith("1.1 ") and "yanked" in row["detail"]

        assert registry_url(url + "/skills/team/pdf-forms") == (url, "team/pdf-forms", None)
        assert registry_url(url + "/team") is None
        registry.set_status(LOCAL_ADMIN, "team/pdf-forms", "1.1", "yanked", "broken")
        row = json.loads(run("outdated", "--json", code=1).stdout)["skills"][0]
        assert row["status"] == "missing"
