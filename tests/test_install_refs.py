"""SOURCE[@ref] parsing and the ref rules of `update` (property-based), on real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.errors import SourceError
from skillyard.install.fetch import classify
from skillyard.install.gitrefs import ls_remote, newest_tag, next_ref, version_key
from support.gitrepo import SkillRepo, git


def test_classify_kinds(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    repo = SkillRepo(tmp_path / "repo")
    repo.skill("a")
    repo.commit()
    assert classify(str(tmp_path / "folder"), tmp_path).kind == "folder"
    assert classify(str(tmp_path / "folder"), tmp_path).location == "folder"
    local = classify(f"{repo.path}@main", tmp_path)
    assert (local.kind, local.ref, local.location) == ("git", "main", str(repo.path))
    url = classify("https://example.test/org/skills.git@v1.2", tmp_path)
    assert (url.kind, url.location, url.ref) == ("git", "https://example.test/org/skills.git",
                                                 "v1.2")
    ssh = classify("git@example.test:me/private.git", tmp_path)
    assert (ssh.kind, ssh.ref) == ("git", None)
    assert classify("mcp-builder", tmp_path).kind == "library"
    with pytest.raises(SourceError, match="not one"):
        classify(f"{tmp_path / 'folder'}@v1", tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SourceError, match="a file"):
        classify(str(tmp_path / "file.txt"), tmp_path)


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_classify_never_crashes(spec: str) -> None:
    try:
        source = classify(spec, Path("/nonexistent-root"))
    except SourceError:
        return
    assert source.kind in ("git", "folder", "library") and source.location


versions = st.lists(st.integers(0, 30), min_size=1, max_size=3).map(
    lambda nums: ".".join(map(str, nums)))


@settings(max_examples=200)
@given(st.sampled_from(["v", "", "release-"]), versions, st.lists(
    st.tuples(st.sampled_from(["v", "", "release-", "x"]), versions,
              st.sampled_from(["", "-rc1", "+build"])), max_size=8))
def test_newest_tag_never_goes_back_or_to_prereleases(prefix: str, current: str,
                                                      others: list[tuple[str, str, str]]) -> None:
    tag = prefix + current
    tags = [p + v + suffix for p, v, suffix in others] + [tag]
    chosen = newest_tag(tag, tags)
    assert chosen in tags
    old, new = version_key(tag), version_key(chosen)
    assert old is not None and new is not None and new[0] == old[0]
    assert new[1] >= old[1]
    assert chosen == tag or not chosen.split(current)[-1].startswith("-")
    assert all(version_key(t) is None or version_key(t)[0] != old[0] or not version_key(t)[2]
               or version_key(t)[1] <= new[1] for t in tags)


def test_ls_remote_and_next_ref(tmp_path: Path) -> None:
    repo = SkillRepo(tmp_path / "repo")
    repo.skill("a")
    first = repo.commit()
    repo.tag("v1.0")
    git(repo.path, "tag", "-a", "v1.1", "-m", "annotated")
    repo.branch("stable")
    refs = ls_remote(str(repo.path))
    assert refs.branches == {"main": first, "stable": first}
    assert refs.tags == {"v1.0": first, "v1.1": first}  # annotated tags are peeled
    assert refs.head == first
    assert next_ref("stable", refs) == ("stable", "branch")
    assert next_ref("v1.0", refs) == ("v1.1", "newer tag")
    assert next_ref(None, refs) == (None, "default branch")
    assert next_ref(first, refs) == (first, "pinned commit")
    with pytest.raises(SourceError, match="ls-remote"):
        ls_remote(str(tmp_path / "nothing-here"))
