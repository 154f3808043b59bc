"""skillyard.lock: parse, validate, write; bad input is one LockfileError, never a crash."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard.errors import SkillyardError
from skillyard.install.lockfile import (
    LockedFile,
    LockedSkill,
    Lockfile,
    LockfileError,
    Source,
    parse_lock,
    read_lock,
)
from skillyard.skill import SkillFile, skill_digest


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry(name: str = "alpha", kind: str = "git", verdict: str = "allow",
          override: dict[str, Any] | None = None) -> LockedSkill:
    files = (LockedFile("SKILL.md", _sha(name), 10), LockedFile("refs/a.md", _sha(name + "a"), 3))
    digest = skill_digest([SkillFile(f.path, f.size, f.sha256) for f in files])
    return LockedSkill(
        name=name, source=Source(kind, "https://example.test/r.git", "v1", f"skills/{name}"),
        id=f"git:https://example.test/r.git#skills/{name}", digest=digest, files=files,
        verdict=verdict, tier=0 if verdict == "block" else 2, findings=1,
        commit="a" * 40 if kind == "git" else None, override=override,
    )


def test_round_trip_is_byte_stable(tmp_path: Path) -> None:
    lock = Lockfile(tmp_path / "skillyard.lock", {"beta": entry("beta"), "alpha": entry()})
    lock.save()
    first = lock.path.read_bytes()
    again = read_lock(lock.path)
    assert again.skills == lock.skills
    again.save()
    assert lock.path.read_bytes() == first
    data = json.loads(first)
    assert list(data["skills"]) == ["alpha", "beta"] and data["lockfile"] == 2
    assert data["skills"]["alpha"]["files"]["SKILL.md"]["sha256"] == _sha("alpha")


def test_missing_lockfile(tmp_path: Path) -> None:
    with pytest.raises(LockfileError, match="no lockfile"):
        read_lock(tmp_path / "skillyard.lock")
    assert read_lock(tmp_path / "skillyard.lock", missing_ok=True).skills == {}


def _doc(**changes: Any) -> dict[str, Any]:
    data = Lockfile(Path("x"), {"alpha": entry()}).to_dict()
    data["skills"]["alpha"].update(changes)
    return data


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("[1, 2]", "must be a JSON object"),
        ('{"lockfile": 9, "skills": {}}', "unsupported lockfile version"),
        ("{not json", "not valid JSON"),
        (json.dumps(_doc(digest="0" * 64)), "does not match its 'files'"),
        (json.dumps(_doc(commit="HEAD")), "full hex commit"),
        (json.dumps(_doc(files={"../x": {"sha256": "0" * 64, "size": 1}})), "inside the skill"),
        (json.dumps(_doc(files={"SKILL.md": {"sha256": "XYZ", "size": 1}})), "64 lowercase hex"),
        (json.dumps(_doc(audit={"verdict": "block", "tier": 0})), "without a recorded override"),
        (json.dumps(_doc(audit={"verdict": "allow", "tier": 7})), "tier must be"),
        (json.dumps(_doc(source={"kind": "ftp", "location": "x", "path": ""})), "kind must be"),
    ],
)
def test_malformed_lockfiles_are_one_clear_error(doc: str, message: str) -> None:
    with pytest.raises(LockfileError, match=message):
        parse_lock(doc, Path("skillyard.lock"))


def test_blocked_entry_needs_override_and_keeps_it(tmp_path: Path) -> None:
    override = {"allow_blocked": True, "verdict": "block", "by": "me", "at": "2026-01-01"}
    lock = Lockfile(tmp_path / "skillyard.lock", {"x": entry("x", verdict="block",
                                                              override=override)})
    lock.save()
    assert read_lock(lock.path).skills["x"].override == override


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_parses_or_fails_cleanly(value: Any) -> None:
    text = json.dumps({"lockfile": 1, "skills": {"alpha": value}})
    with contextlib.suppress(SkillyardError):
        parse_lock(text, Path("skillyard.lock"))


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(["source", "id", "digest", "files", "audit", "commit",
                                        "override"]), json_values, max_size=7))
def test_mutated_entries_never_crash(changes: dict[str, Any]) -> None:
    try:
        lock = parse_lock(json.dumps(_doc(**changes)), Path("skillyard.lock"))
    except SkillyardError:
        return
    assert set(lock.skills) == {"alpha"}  # what parses is a complete, consistent entry


@settings(max_examples=100)
@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(SkillyardError):
        parse_lock(text, Path("skillyard.lock"))
