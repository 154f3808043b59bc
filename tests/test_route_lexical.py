"""BM25F core, term counts and the tokenizer, checked against straightforward references."""

from __future__ import annotations

import math
from collections import Counter
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route import lexical
from skillyard.route import text as text_module
from skillyard.route.lexical import BM25FIndex, BM25FParams, TermCounts
from skillyard.route.text import STOPWORDS, headings, tokenize

WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"])
FIELD = st.lists(WORDS, max_size=12)
DOC = st.tuples(FIELD, FIELD, FIELD, FIELD).map(list)


def reference_bm25f(docs: list[list[list[str]]], query: list[str], p: BM25FParams) -> list[float]:
    """BM25F written out term by term, the textbook way."""
    n = len(docs)
    avg = [max(sum(len(d[f]) for d in docs) / n, 1.0) for f in range(4)]
    df = Counter(t for d in docs for t in {t for f in d for t in f})
    qtf = Counter(query)
    out = []
    for d in docs:
        score = 0.0
        for term, count in qtf.items():
            tf = sum(
                p.weights[f] * d[f].count(term) / (1 - p.b[f] + p.b[f] * len(d[f]) / avg[f])
                for f in range(4)
            )
            if tf == 0:
                continue
            idf = math.log1p((n - df[term] + 0.5) / (df[term] + 0.5))
            score += (2 * count / (1 + count)) * idf * tf * (p.k1 + 1) / (p.k1 + tf)
        out.append(score)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(DOC, min_size=1, max_size=8), st.lists(WORDS, min_size=1, max_size=6))
def test_bm25f_matches_reference(docs: list[list[list[str]]], query: list[str]) -> None:
    params = BM25FParams()
    index = BM25FIndex.build(TermCounts.from_fields(docs), params)
    got = index.score(query)
    want = reference_bm25f(docs, query, params)
    assert np.allclose(got, want, rtol=1e-4, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(DOC, min_size=1, max_size=8), st.data())
def test_take_and_concat_preserve_documents(docs: list[list[list[str]]], data: st.DataObject
                                            ) -> None:
    counts = TermCounts.from_fields(docs)
    order = data.draw(st.permutations(range(len(docs))))
    taken = counts.take(order)
    direct = TermCounts.from_fields([docs[i] for i in order])
    assert np.array_equal(taken.ptr, direct.ptr)
    assert np.array_equal(taken.terms, direct.terms)
    assert np.array_equal(taken.tf, direct.tf)
    cut = len(docs) // 2
    joined = TermCounts.concat([counts.take(range(cut)), counts.take(range(cut, len(docs)))])
    assert np.array_equal(joined.terms, counts.terms) and np.array_equal(joined.ptr, counts.ptr)


@settings(max_examples=60, deadline=None)
@given(st.lists(DOC, min_size=1, max_size=9), st.data(), st.integers(1, 4))
def test_take_gathers_block_by_block(docs: list[list[list[str]]], data: st.DataObject,
                                     block: int) -> None:
    counts = TermCounts.from_fields(docs)
    picked = data.draw(st.lists(st.integers(0, len(docs) - 1), min_size=1, max_size=12))
    with patch.object(lexical, "TAKE_BLOCK", block):
        taken = counts.take(picked)
    direct = TermCounts.from_fields([docs[i] for i in picked])
    for field in ("ptr", "terms", "tf", "lengths"):
        assert np.array_equal(getattr(taken, field), getattr(direct, field)), field
    assert counts.take(range(len(docs))) is counts  # all of them in order: nothing copied


def test_long_queries_keep_their_rarest_terms() -> None:
    docs = [[["common", f"rare{i}"], [], [], []] for i in range(20)]
    index = BM25FIndex.build(TermCounts.from_fields(docs))
    scores = index.score(["common", "rare3"], max_terms=1)
    assert scores.argmax() == 3 and np.count_nonzero(scores) == 1


def test_unknown_terms_and_empty_index_score_zero() -> None:
    index = BM25FIndex.build(TermCounts.from_fields([[["a1"], [], [], []]]))
    assert index.score(["nothing"]).tolist() == [0.0]
    empty = BM25FIndex.build(TermCounts.empty())
    assert empty.score(["x"]).shape == (0,)


def test_tokenize_stems_splits_camel_case_and_cjk() -> None:
    assert tokenize("Running the Tests") == ["run", "test"]
    assert {"use", "state", "usest"} <= set(tokenize("useState hooks"))
    assert tokenize("微信文章") == ["微", "信", "文", "章"]
    # a text with CJK anywhere splits camelCase words in the rest of it the same way
    assert tokenize("render React组件 with useState") == [
        "render", "react", "组", "件", "use", "state", "usest"]
    assert tokenize("XMLHttpRequest and iOS apps") == [
        "xmlhttp", "request", "xmlhttprequest", "os", "io", "app"]


@given(st.text(max_size=200))
def test_tokenize_never_fails_and_gives_lowercase_words(text: str) -> None:
    tokens = tokenize(text)
    assert all(t and t == t.lower() and not t.isspace() for t in tokens)
    assert tokenize(" ".join(sorted(STOPWORDS))) == []


@given(st.lists(st.text(max_size=60), max_size=6))
def test_tokenize_is_word_by_word_whatever_was_seen_before(texts: list[str]) -> None:
    """Tokens are worked out once per distinct word: a text's tokens are its parts' tokens,
    and do not depend on which words are already known."""
    joined = tokenize(" ".join(texts))
    assert joined == [token for text in texts for token in tokenize(text)]
    text_module._cached_word_tokens.cache_clear()
    assert tokenize(" ".join(texts)) == joined


def test_long_words_are_tokenized_but_not_kept() -> None:
    """A body full of distinct long words (hashes, blobs) must not fill memory."""
    text_module._cached_word_tokens.cache_clear()
    blob = "x" * 5000
    assert tokenize(f"{blob}Build {blob}y runTests") == ["build", "run", "test", "runtest"]
    assert text_module._cached_word_tokens.cache_info().currsize == 1  # runTests alone


def test_headings_ignore_fenced_code() -> None:
    md = "# Title\n\n```bash\n# not a heading\n```\n\n## Usage ##\n"
    assert headings(md) == ["Title", "Usage"]


@settings(max_examples=60, deadline=None)
@given(st.lists(DOC, min_size=1, max_size=10), st.sampled_from([2, 3, 16, 256]))
def test_build_by_hash_slices_matches_one_slice(docs: list[list[list[str]]],
                                                shards: int) -> None:
    counts = TermCounts.from_fields(docs)
    whole = BM25FIndex.build(counts, shards=1)
    sliced = BM25FIndex.build(counts, shards=shards)
    for field in ("vocab", "indptr", "docs"):
        assert np.array_equal(getattr(whole, field), getattr(sliced, field)), field
    assert np.allclose(whole.weights, sliced.weights, rtol=1e-6)
    assert np.all(sliced.vocab[1:] > sliced.vocab[:-1])  # sorted, distinct
