"""The same commands, through the real CLI, on SQLite and on PostgreSQL: index, audit, route,
eval, learn, add/install. Each test runs once per backend (the ``any_db`` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS, SHARED, write_skill
from skillyard import Library
from skillyard.errors import NotFoundError
from support.evaltasks import harbor_task, skill_folder
from support.gitrepo import BLOCKED_BODY, SkillRepo
from support.served import make_skills


def run(*args: str, db: str, cwd: Path | None = None, code: int = 0) -> dict | list:
    proc = subprocess.run([sys.executable, "-m", "skillyard", *args, "--db", db, "--json"],
                          capture_output=True, text=True, check=False, cwd=cwd,
                          env=os.environ)
    assert proc.returncode == code, (args, proc.returncode, proc.stderr[-2000:])
    return json.loads(proc.stdout)


def test_index_audit_route(any_db: str, tmp_path: Path) -> None:
    made = make_skills(tmp_path)
    assert run("index", str(made), str(SAMPLE_SKILLS), db=any_db)["added"] == 46
    audit = run("audit", "--library", db=any_db, code=1)  # one skill is blocked
    verdicts = {r["skill"].rsplit("/", 1)[-1]: r["verdict"] for r in audit}
    assert verdicts["dropper"] == "block"
    assert sum(v == "block" for v in verdicts.values()) == 1
    routed = run("route", "fill the fields of a PDF form", "-k", "3", db=any_db)
    assert routed["results"][0]["name"] == "pdf-forms"
    none = run("route", "what is the capital of France?", "-k", "3", db=any_db)
    assert none["abstain"] is True
    shown = run("show", "pdf-forms", db=any_db)
    assert shown["name"] == "pdf-forms" and shown["versions"][0]["version"] == 1


def test_eval_run_and_report(any_db: str, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    for i in range(3):
        harbor_task(tasks, f"help-{i}")
    skill = skill_folder(tmp_path / "skills", "answer-writer")
    out = run("eval", "run", str(tasks), "--skill", str(skill), "--runner",
              "scripted:skill-gated@help-*,oracle", "--trials", "2", "--seed", "5", db=any_db)
    (result,) = out["runs"]
    assert result["analysis"]["comparisons"][0]["helped"] == 3
    listed = run("eval", "list", db=any_db)
    assert [r["id"] for r in listed] == [result["run"]]
    rebuilt = run("eval", "report", result["run"], db=any_db)
    assert rebuilt["runs"][0]["analysis"] == result["analysis"]


def test_learn_offline(any_db: str) -> None:
    out = run("learn", str(SHARED / "trajectories" / "tau-bench"), "--offline", db=any_db)
    published = [c for c in out["candidates"] if c["status"] == "published"]
    assert published
    rows = run("candidates", db=any_db)
    assert sorted(r["id"] for r in rows) == sorted(c["candidate_id"] for c in published)


def test_add_and_install(any_db: str, tmp_path: Path) -> None:
    repo = SkillRepo(tmp_path / "upstream")
    repo.skill("alpha", files={"references/a.md": "a\n"})
    repo.skill("dropper", body=BLOCKED_BODY)
    repo.commit()
    repo.tag("v1")
    proj = tmp_path / "proj"
    proj.mkdir()
    added = run("add", f"file://{repo.path}@v1", "--skill", "alpha", db=any_db, cwd=proj)
    assert added["skills"][0]["audit"] == {"verdict": "allow", "tier": 2}
    installed = run("install", db=any_db, cwd=proj)
    assert [s["name"] for s in installed["skills"]] == ["alpha"]
    synced = run("sync", "--agent", "claude", db=any_db, cwd=proj)
    assert [(a["name"], a["action"]) for a in synced["actions"]] == [("alpha", "installed")]
    assert (proj / ".claude/skills/alpha/references/a.md").read_text() == "a\n"


def test_digests_sorted_by_code_point_on_both_backends(any_db: str, tmp_path: Path) -> None:
    """An index build compares ``digests()`` with the ids it stored, in Python's order; a
    PostgreSQL collation would sort case, punctuation and accents its own way."""
    root = tmp_path / "mixed"
    for name in ("zeta", "alpha", "a-b", "a_b", "b1", "b10", "b2"):
        write_skill(root / name.upper() if name == "zeta" else root, name,
                    f"Handle {name} things. Use when {name} is needed.")
    with Library(any_db) as lib:
        lib.index([str(root)])
        listed = lib.store.digests()
        summaries = lib.store.summaries()
    assert [sid for sid, _ in listed] == sorted(s.id for s in summaries)
    assert dict(listed) == {s.id: s.digest for s in summaries}
    assert len(listed) == 7


def test_text_that_is_not_utf8_on_both_backends(any_db: str, tmp_path: Path) -> None:
    """A folder path with a byte that is not UTF-8 (the OS gives it as a lone surrogate) and
    a frontmatter NUL each refuse that skill alone (two such folders would share one stored
    id); a lookup by such a name finds nothing, the same on both backends."""
    odd = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9")))
    write_skill(odd, "odd-path")
    write_skill(tmp_path / "ok", "pdf-forms", "Fill PDF forms. Use for PDF forms.")
    write_skill(tmp_path / "ok", "nul-desc", extra='summary: "a\\0b"\n')
    with Library(any_db) as lib:
        report = lib.index([str(odd), str(tmp_path / "ok")])
        assert report.loaded == 1
        reasons = dict(report.rejected)
        assert reasons[f"{odd}/odd-path"].startswith("the id (from the folder")
        assert reasons[f"{tmp_path}/ok/nul-desc"].startswith("frontmatter summary holds")
        assert [s.name for s in lib.store.summaries()] == ["pdf-forms"]
        for name in ("pdf-forms\udcff", "x\x00y", f"dir:{odd}/odd-path"):
            with pytest.raises(NotFoundError):
                lib.resolve(name)
