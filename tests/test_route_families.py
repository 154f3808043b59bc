"""Versions of one skill show as one result; a focused source's copy comes first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import write_skill
from skillyard.api import Library
from skillyard.route.router import RouteIndex, Router
from skillyard.route.settings import RouteSettings

DESC = "Fill in, flatten and sign PDF forms. Use when a user needs to complete a PDF form."
FORK_DESC = "Fill in, flatten and sign PDF forms. Use when a user needs to complete PDF forms."
OTHERS = {
    "csv-cleaner": "Clean messy CSV files: fix encodings, delimiters and headers.",
    "sql-tuner": "Speed up slow SQL queries with indexes and query plans.",
    "poem-writer": "Write short poems for birthdays and weddings.",
    "git-commits": "Write clear git commit messages in the imperative mood.",
}


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    mine = tmp_path / "my-project"
    write_skill(mine, "pdf-forms", DESC, body="\n# PDF forms\n\nUse pypdf to fill fields.\n")
    market = tmp_path / "marketplace"
    # A revised fork: same name, nearly the same description, a much longer body that
    # mentions the query's words more often (so it wins on score alone).
    write_skill(market, "pdf-forms", FORK_DESC, body="\n# PDF forms\n\n" + (
        "Fill PDF forms, flatten PDF forms, sign PDF forms. " * 20))
    for name, desc in OTHERS.items():
        write_skill(market, name, desc)
    library = Library(tmp_path / "lib.db")
    library.index([str(mine), str(market)])
    return library


def test_versions_collapse_into_one_result(lib: Library) -> None:
    result = lib.route("fill and flatten a PDF form", k=5)
    pdf = [h for h in result.results if h.name == "pdf-forms"]
    assert len(pdf) == 1 and len(pdf[0].alternatives) == 1
    assert {pdf[0].id, *pdf[0].alternatives} == {
        i for i in lib.store.ids_for_name("pdf-forms")}
    assert len(result.results) == 5  # the freed slot goes to another skill


def test_the_focused_sources_copy_comes_first(lib: Library) -> None:
    # The learned second stage weighs the source collection's size with the match itself.
    top = lib.route("fill and flatten a PDF form", k=1).results[0]
    assert "/my-project/" in top.id and "/marketplace/" in top.alternatives[0]
    index = RouteIndex.open(lib.path)
    first_stage = replace(RouteSettings(), stage2=False)
    by_score = Router(index, settings=first_stage)
    assert "/marketplace/" in by_score.route("fill and flatten a PDF form", k=1).results[0].id
    focused = Router(index, settings=replace(first_stage, prefer_focused_sources=True))
    assert "/my-project/" in focused.route("fill and flatten a PDF form", k=1).results[0].id


def test_different_skills_with_one_name_stay_apart(tmp_path: Path) -> None:
    write_skill(tmp_path / "a", "helper", "Convert images to PNG and resize them.",
                body="\n# Images\n\nUse Pillow to open, resize and save the picture.\n")
    write_skill(tmp_path / "b", "helper", "Translate English text into French.",
                body="\n# Translation\n\nKeep the tone; check idioms with a glossary.\n")
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(tmp_path / "a"), str(tmp_path / "b")])
        result = lib.route("resize my photos", k=5)
    assert [h.name for h in result.results] == ["helper", "helper"]
    assert all(not h.alternatives for h in result.results)


def test_changed_settings_rebuild_the_global_parts(tmp_path: Path) -> None:
    write_skill(tmp_path / "s", "one", "First skill.")
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(tmp_path / "s")])
        lib.route_index()
        from skillyard.route.build import build_index

        report = build_index(lib.store, settings=replace(RouteSettings(), family_cosine=0.9))
    assert not report.up_to_date and report.reused == 1 and report.embedded == 0
