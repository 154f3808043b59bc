"""The English gloss of a request in another language (route/gloss.py), with the real
multilingual encoder: what is looked up, the glossary an index keeps, and how the router
uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_skill
from skillyard.api import Library
from skillyard.route import gloss, storage, xling
from skillyard.route.router import RouteIndex

pytestmark = pytest.mark.skipif(not xling.available(), reason="multilingual encoder missing")

SKILLS = {
    "pdf-to-markdown": "Convert scanned PDF documents into clean Markdown, keeping tables.",
    "meeting-notes": "Turn a meeting transcript into decisions and action items.",
    "weather-forecast": "Look up the weather forecast for a city: rain, temperature, wind.",
    "invoice-maker": "Create invoices from billable hours and send them to clients.",
    "gene-lookup": "Find known protein interactions of a gene such as BRCA1 or TP53.",
    # described in Spanish: its words must not enter the English vocabulary
    "recetas": "Sugiere recetas de cocina con los ingredientes que tienes en casa.",
}


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gloss")
    for name, desc in SKILLS.items():
        write_skill(root / "skills", name, desc)
    library = Library(root / "lib.db")
    library.index([str(root / "skills")])
    library.route_index(multilingual=True)
    yield library
    library.close()


def test_units_are_content_words_and_cjk_pairs() -> None:
    assert gloss.units("wandle dieses gescannte PDF in sauberes Markdown um") == [
        "wandle", "gescannte", "pdf", "sauberes", "markdown"]
    assert gloss.units("把会议记录") == ["把会", "会议", "议记", "记录"]
    assert gloss.units("雨") == ["雨"]
    # Japanese: Han pairs, each katakana loanword whole, no hiragana (grammar)
    assert gloss.units("このスキャンされた契約書をレイアウトのまま") == [
        "契約", "約書", "スキャン", "レイアウト"]
    assert gloss.units("회의록을 정리해 줘") == ["회의록을", "정리해", "줘"]  # Hangul words
    assert gloss.units("ーー・ー のの") == []
    # function words of English and other Latin-script languages, and bare numbers, go
    assert gloss.units("el informe de la semana 42 and the") == ["informe", "semana"]
    assert gloss.units("") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_units_take_any_text(text: str) -> None:
    found = gloss.units(text)
    assert len(found) <= gloss.MAX_UNITS and len(set(found)) == len(found)
    assert all(unit and unit == unit.lower() for unit in found)


def test_the_index_keeps_an_english_glossary(lib: Library) -> None:
    gen = storage.current(storage.index_dir(lib.path))
    assert gloss.in_index(gen)
    meta = gen.manifest()["multilingual"]["glossary"]
    glossary = RouteIndex(gen).glossary
    assert glossary is not None and meta["words"] == len(glossary.words) > 20
    assert glossary.vectors.shape == (len(glossary.words), xling.DIM)
    assert {"pdf", "meeting", "weather", "invoices", "protein"} <= set(glossary.words)
    assert not {"recetas", "cocina", "ingredientes"} & set(glossary.words)
    assert not set(glossary.words) & {"the", "and", "a"}


def test_a_foreign_request_is_glossed_in_english(lib: Library) -> None:
    index = RouteIndex.open(lib.path)
    assert index.glossary is not None
    words = set(index.glossary.gloss("wandle dieses gescannte PDF in sauberes Markdown um")
                .split())
    assert {"pdf", "markdown"} <= words
    assert "scanned" in words or "convert" in words
    # a gene code is kept as written, with or without a close English word
    assert "tp53" in index.glossary.gloss("welche Proteine interagieren mit TP53?").split()
    assert index.glossary.gloss("") == "" and index.glossary.gloss("12 !!") == ""


def test_reading_a_request_glosses_and_encodes_it_in_one_call(lib: Library) -> None:
    """Glossary.read gives the same gloss as Glossary.gloss and the request's own vector,
    from one call of the encoder (batched with its units, it can differ in the last bits)."""
    index = RouteIndex.open(lib.path)
    assert index.glossary is not None
    for text in ("wandle dieses gescannte PDF in sauberes Markdown um", "帮我修改一下我的简历",
                 "12 !!", ""):
        words, vector = index.glossary.read(text)
        assert words == index.glossary.gloss(text)
        assert np.allclose(vector, xling.query_vector(text), atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=120))
def test_any_request_glosses_and_routes(lib: Library, text: str) -> None:
    index = RouteIndex.open(lib.path)
    assert index.glossary is not None
    words = index.glossary.gloss(text).split()
    assert all(w in index.glossary.words or any(ch.isdigit() for ch in w) for w in words)
    if text.strip():
        assert len(lib.route(text, k=2).results) <= 2


def test_the_router_reads_the_gloss_and_says_so(lib: Library) -> None:
    for query, gold in (("fasse bitte dieses Meeting-Transkript in Entscheidungen und "
                         "Aufgaben zusammen",
                         "meeting-notes"),
                        ("把这份扫描的PDF转换成Markdown", "pdf-to-markdown"),
                        ("¿va a llover mañana en Lisboa?", "weather-forecast")):
        res = lib.route(query, k=3, explain=True)
        assert res.results[0].name == gold, (query, [h.name for h in res.results])
        assert any(note.startswith("read in English as: ") for note in res.notes), res.notes
    english = lib.route("turn this meeting transcript into action items", k=3, explain=True)
    assert english.results[0].name == "meeting-notes"
    assert not any(note.startswith("read in English as") for note in english.notes)


def test_glossary_vectors_are_reused_and_an_old_index_gains_one(tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    root = tmp_path / "skills"
    for name, desc in SKILLS.items():
        write_skill(root, name, desc)
    with Library(db) as copy:
        copy.index([str(root)])
        copy.route_index(multilingual=True)
        gen = storage.current(storage.index_dir(db))
        first = gen.manifest()["multilingual"]["glossary"]
        assert first["encoded"] == first["words"]
        before = np.load(gen.path / f"{gloss.NAME}.npy")
        before_words = gen.lines(gloss.NAME)
        write_skill(root, "kanban-board", "Move cards between columns of a kanban board.")
        copy.index([str(root)])
        copy.route_index()
        gen = storage.current(storage.index_dir(db))
        again = gen.manifest()["multilingual"]["glossary"]
        assert 0 < again["encoded"] < again["words"]  # only the new words were encoded
        words = gen.lines(gloss.NAME)
        now = np.load(gen.path / f"{gloss.NAME}.npy")
        assert np.array_equal(now[words.index("pdf")], before[before_words.index("pdf")])
        assert "kanban" in words
        # an index built before glossaries existed is rebuilt with one on the next update
        (gen.path / f"{gloss.NAME}.npy").unlink()
        assert RouteIndex(gen).glossary is None
        report = copy.route_index()
        assert not report.up_to_date
        assert gloss.in_index(storage.current(storage.index_dir(db)))
