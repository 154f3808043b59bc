"""The body reranker (route --rerank body): reads the stored body passages of the candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_skill
from skillyard.api import Library
from skillyard.route import bodies, bodyrank, storage
from skillyard.route.bodyrank import FEATURES, BodyReranker
from skillyard.route.linear import LinearModel
from skillyard.route.router import RouteIndex, Router
from skillyard.route.static import weighted_sums

PIVOT_BODY = ("\n# Spreadsheet helper\n\n"
              + "Create pivot tables of quarterly revenue by region and product line. " * 12)
SKILLS = {
    # the name and the description match the task; the body does not
    "pivot-tables": ("Build pivot tables from spreadsheets.", "\n# Steps\n\nOpen the file.\n"),
    # a vague description, a body about exactly the task
    "sheet-helper": ("Helps with office documents.", PIVOT_BODY),
    "poem-writer": ("Write short poems for birthdays and weddings.",
                    "\n# Poems\n\nRhyme and metre for family occasions.\n"),
    "sql-tuner": ("Speed up slow SQL queries with indexes and query plans.", ""),
}
TASK = "pivot tables of quarterly revenue by region and product line"


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bodyrank")
    for name, (desc, body) in SKILLS.items():
        write_skill(root / "skills", name, desc, body=body)
    library = Library(root / "lib.db")
    library.index([str(root / "skills")])
    library.route_index()
    yield library
    library.close()


def only(feature: str, weight: float = 1.0) -> LinearModel:
    """A model that ranks by one feature alone."""
    weights = np.zeros(len(FEATURES), np.float32)
    weights[FEATURES.index(feature)] = weight
    return LinearModel(FEATURES, np.zeros(len(FEATURES), np.float32),
                       np.ones(len(FEATURES), np.float32), weights, {})


def test_passages_cut_the_opening_of_the_body() -> None:
    body = "word " * 1000
    cut = bodies.passages(body)
    assert len(cut) == bodies.BODY_CHARS // bodies.PASSAGE_CHARS
    assert all(len(p) == bodies.PASSAGE_CHARS for p in cut)
    assert bodies.passages("  \n ") == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(0, 39), max_size=30), max_size=4), max_size=8),
       st.integers(0, 2**32 - 1))
def test_passage_vectors_are_weighted_sums_of_token_rows(skills: list[list[list[int]]],
                                                        seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(40, 8)).astype(np.float32)
    idf = rng.uniform(0.1, 5.0, size=40).astype(np.float32)
    passages = [[np.array(p, np.int32) for p in parts] for parts in skills]
    flat = [p for parts in passages for p in parts]
    want = np.array([(table[p] * idf[p, None]).sum(axis=0) for p in flat], np.float32)
    assert np.allclose(weighted_sums(table, flat, idf).reshape(want.shape), want, atol=1e-4)
    made = bodies.vectors(table, idf, passages)
    assert made.dtype == np.float16 and made.shape == (len(flat), 8)
    assert np.allclose(made.astype(np.float32), want.reshape(made.shape), rtol=1e-2, atol=1e-2)


def test_the_index_stores_each_body_as_passages(lib: Library) -> None:
    index = RouteIndex.open(lib.path)
    assert index.bodies is not None and len(index.bodies) == len(index.ids)
    rows = {name: i for i, name in enumerate(index.names)}
    assert len(index.bodies.passages(rows["sheet-helper"])) == 2
    assert index.bodies.passages(rows["sql-tuner"]) == []


def test_a_body_that_matches_moves_its_skill_up(lib: Library) -> None:
    plain = lib.route(TASK, k=2)
    assert plain.results[0].name == "pivot-tables"
    result = lib.route(TASK, k=4, reranker=BodyReranker(only("bm25_body")))
    assert result.reranker == "body" and not result.notes
    assert result.results[0].name == "sheet-helper"
    assert result.results[0].score > result.results[1].score
    assert [h.name for h in lib.route(TASK, k=4, reranker=BodyReranker(only(
        "fast_score"))).results] == [h.name for h in lib.route(TASK, k=4).results]


def test_the_shipped_model_reranks_and_explains(lib: Library) -> None:
    assert bodyrank.shipped_model() is not None
    result = lib.route(TASK, k=3, reranker="body", explain=True)
    assert result.reranker == "body" and not result.notes
    assert {h.name for h in result.results[:2]} == {"sheet-helper", "pivot-tables"}
    top = result.results[0].explain
    assert top is not None and top["ranked_by"] == "body"
    assert set(top["rerank"]) >= {*FEATURES, "score", "fast_rank"}
    data = result.to_dict()
    assert set(data["results"][0]) >= {"id", "name", "score"}


def test_an_empty_body_is_a_feature_not_an_error(lib: Library) -> None:
    result = lib.route("speed up my slow SQL query", k=2, reranker="body", explain=True)
    assert result.results[0].name == "sql-tuner"
    assert result.results[0].explain["rerank"]["empty_body"] == 1.0


def test_abstention_still_works(lib: Library) -> None:
    for task in ("what a lovely sunny afternoon it is", "speed up my slow SQL query"):
        plain = lib.route(task, k=2)
        reranked = lib.route(task, k=2, reranker="body")
        assert reranked.abstain == plain.abstain


def test_without_a_model_the_fast_order_stands(lib: Library,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bodyrank, "shipped_model", lambda: None)
    plain = lib.route(TASK, k=3)
    result = lib.route(TASK, k=3, reranker="body")
    assert [h.id for h in result.results] == [h.id for h in plain.results]
    assert result.notes and "no fitted model" in result.notes[0]


def test_an_index_without_bodies_keeps_the_fast_order(tmp_path: Path) -> None:
    for name, (desc, body) in SKILLS.items():
        write_skill(tmp_path / "skills", name, desc, body=body)
    with Library(tmp_path / "lib.db") as library:
        library.index([str(tmp_path / "skills")])
        library.route_index()
        gen = storage.current(storage.index_dir(library.path))
        assert gen is not None
        for name in bodies.ARRAYS:  # as an index written before bodies were stored
            (gen.path / f"{name}.npy").unlink()
        router = Router(RouteIndex(gen))
        plain = router.route(TASK, k=3)
        result = router.route(TASK, k=3, reranker=BodyReranker())
        assert [h.id for h in result.results] == [h.id for h in plain.results]
        assert result.notes and "reindex" in result.notes[0]
        # the next update sees the older index as incomplete and writes the bodies
        report = library.route_index()
        assert not report.up_to_date
        fresh = storage.current(storage.index_dir(library.path))
        assert fresh is not None and bodies.in_index(fresh)


def test_an_update_keeps_unchanged_vectors_and_encodes_changed_ones(tmp_path: Path) -> None:
    for name, (desc, body) in SKILLS.items():
        write_skill(tmp_path / "skills", name, desc, body=body)
    with Library(tmp_path / "lib.db") as library:
        library.index([str(tmp_path / "skills")])
        library.route_index()
        before = RouteIndex.open(library.path)
        edited = next(s for s in library.list() if s.name == "poem-writer")
        skill = library.get(edited.id)
        library.add([skill.with_body(PIVOT_BODY + "\nAlso limericks.\n")])
        report = library.route_index()
        assert report.read == 1 and report.reused == len(SKILLS) - 1
        after = RouteIndex.open(library.path)
        assert before.bodies is not None and after.bodies is not None
        static = Router(after).static
        for name in SKILLS:
            old, new = before.names.index(name), after.names.index(name)
            parts = after.bodies.passages(new)
            made = bodies.vectors(static.table, after.static_idf, [parts])
            assert np.array_equal(after.bodies.passage_vectors(new), made.astype(np.float32))
            if name != "poem-writer":
                assert np.array_equal(after.bodies.passage_vectors(new),
                                      before.bodies.passage_vectors(old))
        assert len(after.bodies.passages(after.names.index("poem-writer"))) == 2
