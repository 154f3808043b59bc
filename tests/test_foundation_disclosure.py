"""Progressive disclosure: catalog budgets, activation, and safe resource reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_skill
from skillyard import Library
from skillyard.errors import AccessError, NotFoundError
from skillyard.library import CatalogEntry, build_catalog
from skillyard.library.disclosure import MIN_DESCRIPTION

ENTRIES = [CatalogEntry(f"id/{i}", f"skill-{i:03d}", "word " * (5 + i * 3)) for i in range(40)]


@pytest.mark.parametrize("fmt", ["xml", "json", "md"])
def test_no_budget_is_complete(fmt: str) -> None:
    catalog = build_catalog(ENTRIES, fmt=fmt)
    assert catalog.omitted == 0 and catalog.description_cap is None
    assert all(e.name in catalog.text for e in ENTRIES)
    if fmt == "json":
        assert len(json.loads(catalog.text)) == 40


@pytest.mark.parametrize("fmt", ["xml", "json", "md"])
def test_budget_cuts_descriptions_before_dropping_skills(fmt: str) -> None:
    full = len(build_catalog(ENTRIES, fmt=fmt).text)
    catalog = build_catalog(ENTRIES, fmt=fmt, budget=int(full * 0.6))
    assert len(catalog.text) <= int(full * 0.6)
    assert catalog.omitted == 0 and catalog.description_cap >= MIN_DESCRIPTION
    assert "…" in catalog.text
    tight = build_catalog(ENTRIES, fmt=fmt, budget=1200)
    assert len(tight.text) <= 1200 and tight.omitted > 0
    assert tight.description_cap == MIN_DESCRIPTION
    assert [e.name for e in tight.entries] == [e.name for e in ENTRIES[: len(tight.entries)]]
    if fmt == "json":
        json.loads(tight.text)


def test_budget_too_small_is_an_error() -> None:
    with pytest.raises(ValueError, match="too small"):
        build_catalog(ENTRIES, budget=5)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True),
                  st.text(min_size=1, max_size=300)),
        min_size=1, max_size=30,
    ),
    st.integers(min_value=120, max_value=6000),
    st.sampled_from(["xml", "json", "md"]),
)
def test_catalog_always_fits_its_budget(items, budget: int, fmt: str) -> None:
    entries = [CatalogEntry(f"id/{i}", n, d) for i, (n, d) in enumerate(items)]
    catalog = build_catalog(entries, fmt=fmt, budget=budget)
    assert len(catalog.text) <= budget
    assert catalog.omitted + len(catalog.entries) == len(entries)


@pytest.fixture
def lib(tmp_path: Path, db_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    folder = write_skill(tmp_path / "src", "res-skill", files={
        "references/guide.md": "# Guide\nUse it.", "big.txt": "x" * 5000,
    })
    os.symlink(secret, folder / "leak.txt")
    with Library(db_path) as library:
        library.index([str(tmp_path / "src")])
        yield library


def test_activate_lists_resources(lib: Library) -> None:
    act = lib.activate("res-skill")
    paths = [p for p, _ in act.resources]
    assert "references/guide.md" in paths and "leak.txt" in paths
    assert act.text().startswith('<skill_content name="res-skill">')


def test_read_resource(lib: Library) -> None:
    assert lib.read_resource("res-skill", "references/guide.md") == b"# Guide\nUse it."
    assert lib.read_resource("res-skill", "./references/guide.md") == b"# Guide\nUse it."


@pytest.mark.parametrize(
    "path", ["../secret.txt", "references/../../secret.txt", "/etc/passwd", "..\\x", "", "a\0b"]
)
def test_traversal_is_refused(lib: Library, path: str) -> None:
    with pytest.raises(AccessError):
        lib.read_resource("res-skill", path)


def test_symlink_escape_and_size_cap_are_refused(lib: Library) -> None:
    with pytest.raises(AccessError, match="symlink"):
        lib.read_resource("res-skill", "leak.txt")
    with pytest.raises(AccessError, match="cap"):
        lib.read_resource("res-skill", "big.txt", max_bytes=1000)
    with pytest.raises(NotFoundError):
        lib.read_resource("res-skill", "references/missing.md")
