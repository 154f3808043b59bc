"""Sources: folder trees, agent folders with precedence, git repositories, JSONL corpora."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
from pathlib import Path

import pytest

from conftest import CORPUS, SAMPLE_SKILLS, write_skill
from skillyard.errors import SourceError
from skillyard.sources import AGENT_FOLDERS, load_corpus, open_source
from skillyard.sources.git import split_ref


def test_sample_tree_loads_all_41_skills() -> None:
    results = list(open_source(str(SAMPLE_SKILLS)))
    assert len(results) == 41 and all(r.ok for r in results)
    ids = {r.skill.id for r in results}
    assert len(ids) == 41
    names = [r.skill.name for r in results]
    assert names.count("frontend-design") == 2  # same name, two ids


def test_tree_skips_vendor_folders_and_bounds_depth(tmp_path: Path) -> None:
    write_skill(tmp_path / "node_modules", "hidden-a")
    write_skill(tmp_path / ".git", "hidden-b")
    write_skill(tmp_path / "a" / "b" / "c", "deep")
    assert {r.skill.name for r in open_source(str(tmp_path))} == {"deep"}
    from skillyard.sources import load_tree

    assert list(load_tree(tmp_path, max_depth=2)) == []


def test_real_corpus_records_load() -> None:
    results = list(itertools.islice(load_corpus(CORPUS), 300))
    ok = [r for r in results if r.ok]
    assert len(ok) >= 295
    skill = ok[0].skill
    assert skill.provenance.kind == "corpus" and skill.id == skill.provenance.path
    assert skill.skill_md.startswith(("---", "\ufeff")) or skill.body


def _write_jsonl(path: Path, records: list[object], gz: bool = False) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_minimal_records_are_rendered(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [
        {"id": "x/one", "name": "one", "description": "First.", "body": "Do one."},
        {"id": "x/two", "name": "two", "description": "Second.", "body": ""},
    ])
    skills = [r.skill for r in load_corpus(path)]
    assert [s.name for s in skills] == ["one", "two"]
    assert "Do one." in skills[0].body


def test_bad_records_are_rejected_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "name": "a", "description": "d", "body": "b"}\n'
                    "{not json\n[1, 2]\n{\"name\": \"no-id\"}\n", encoding="utf-8")
    results = list(load_corpus(path))
    assert results[0].ok
    assert "c.jsonl:2" in results[1].where and "not valid JSON" in results[1].error
    assert "not an object" in results[2].error
    assert "no string 'id'" in results[3].error


def test_truncated_gzip_corpus_is_a_clear_error(tmp_path: Path) -> None:
    records = [{"id": f"r/{i}", "name": f"s{i}", "description": "d", "body": "x" * 500}
               for i in range(200)]
    full = _write_jsonl(tmp_path / "c.jsonl.gz", records, gz=True).read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(SourceError, match="truncated"):
        list(load_corpus(cut))


def test_agent_folders_precedence_and_shadowing(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "proj"
    write_skill(home / ".claude/skills", "shared", description="user claude copy")
    write_skill(home / ".agents/skills", "only-user")
    write_skill(project / ".claude/skills", "shared", description="project claude copy")
    write_skill(project / ".agents/skills", "shared", description="project agents copy")
    from skillyard.sources import load_agent_folders

    results = list(load_agent_folders(project, home=home))
    winners = [r for r in results if r.shadowed_by is None]
    shadowed = [r for r in results if r.shadowed_by is not None]
    by_name = {r.skill.name: r.skill for r in winners}
    assert by_name["shared"].description == "project claude copy"  # project, later folder
    assert len(shadowed) == 2
    assert all(r.shadowed_by == by_name["shared"].id for r in shadowed)
    assert by_name["only-user"].provenance.agent == "agents/user"


def test_agent_table_covers_major_clients() -> None:
    agents = {a.agent for a in AGENT_FOLDERS}
    assert {"claude", "codex", "gemini", "cursor", "copilot", "agents"} <= agents
    assert {a.scope for a in AGENT_FOLDERS} == {"user", "project"}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    git("config", "user.email", "t@example.com", cwd=root)
    git("config", "user.name", "T", cwd=root)
    write_skill(root / "skills", "alpha", description="Version one.")
    git("add", ".", cwd=root)
    git("commit", "-qm", "one", cwd=root)
    git("tag", "v1", cwd=root)
    write_skill(root / "skills", "alpha", description="Version two.")
    git("commit", "-qam", "two", cwd=root)
    return root


def test_git_source_at_ref_keeps_commit(repo: Path) -> None:
    v1 = git("rev-parse", "v1", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)
    [old] = list(open_source(f"file://{repo}@v1"))
    [new] = list(open_source(f"file://{repo}"))
    assert old.skill.description == "Version one." and old.skill.provenance.commit == v1
    assert new.skill.description == "Version two." and new.skill.provenance.commit == head
    assert old.skill.id == new.skill.id == f"git:{repo}#skills/alpha"
    [by_sha] = list(open_source(f"git:{repo}@{v1[:10]}"))
    assert by_sha.skill.description == "Version one."


def test_git_bad_ref_and_missing_repo(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        list(open_source(f"file://{repo}@nope"))
    with pytest.raises(SourceError):
        list(open_source(f"file://{tmp_path}/missing.git"))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("file:///x/repo@v1", ("file:///x/repo", "v1")),
        ("file:///x/repo", ("file:///x/repo", None)),
        ("git@github.com:org/repo.git", ("git@github.com:org/repo.git", None)),
        ("git@github.com:org/repo.git@main", ("git@github.com:org/repo.git", "main")),
        ("https://h/o/r.git@feature/x", ("https://h/o/r.git", "feature/x")),
    ],
)
def test_split_ref(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_ref(spec) == expected


def test_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such"):
        list(open_source(str(tmp_path / "nowhere")))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SourceError, match="corpus"):
        list(open_source(str(tmp_path / "notes.txt")))
