"""Near-duplicate grouping and the embedding model (offline, in-package)."""

from __future__ import annotations

import random
import re
import socket

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route.dedup import PERMS, groups, minhash, normal_name
from skillyard.route.dense import Embedder, model_files

VOCAB = [f"w{i}" for i in range(400)]


def shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.floats(min_value=0.0, max_value=0.6))
def test_minhash_estimates_jaccard(seed: int, change: float) -> None:
    rng = random.Random(seed)
    words = [rng.choice(VOCAB) for _ in range(300)]
    edited = [rng.choice(VOCAB) if rng.random() < change / 5 else w for w in words]
    a, b = " ".join(words), " ".join(edited)
    exact = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    estimate = float((minhash(a) == minhash(b)).mean())
    # Each of the PERMS slots agrees with probability J: the estimate's standard error is
    # sqrt(J(1-J)/PERMS). 4.5 of them (plus slack for hash bias) almost never fails by chance
    # (about 1 in 150,000 per example) yet still catches a broken estimator.
    sigma = (exact * (1 - exact) / PERMS) ** 0.5
    assert abs(estimate - exact) < 4.5 * sigma + 0.03


def test_groups_need_the_same_name_and_a_similar_body() -> None:
    body = " ".join(f"step {i} do the thing carefully" for i in range(60))
    fork = body + " one more line"
    other = " ".join(f"unrelated {i} words entirely here" for i in range(60))
    ids = ["a/x", "b/x", "c/x", "d/y", "e/x"]
    names = ["Frontend Design", "frontend-design", "frontend_design", "frontend-design-2",
             "frontend-design"]
    sigs = np.stack([minhash(t) for t in (body, fork, fork, body, other)])
    assert groups(ids, names, sigs) == ["a/x", "a/x", "a/x", "d/y", "e/x"]


def test_empty_bodies_stay_alone() -> None:
    sigs = np.stack([minhash(""), minhash("")])
    assert groups(["a", "b"], ["same", "same"], sigs) == ["a", "b"]


def test_normal_name() -> None:
    assert normal_name("  PDF_Tools v2 ") == "pdf-tools-v2"
    assert normal_name("ｍｃｐ－Builder") == "mcp-builder"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_model_ships_in_installed_packages() -> None:
    model, vocab = model_files()
    assert model.stat().st_size > 20_000_000 and vocab.name == "minilm-vocab.txt"
    assert len(vocab.read_text("utf-8").splitlines()) == 30522


def test_tokenizer_built_from_the_shipped_vocabulary() -> None:
    fresh = Embedder()
    tok = fresh.tokenizer()
    assert fresh._session is None  # the tokenizer alone does not open the model
    enc = tok.encode("Héllo wörld, 你好 unaffable")
    # lowercased and accents stripped (BERT uncased), each CJK character its own token,
    # WordPiece continuation pieces
    assert enc.tokens[:3] == ["[CLS]", "hello", "world"] and enc.tokens[-1] == "[SEP]"
    assert enc.tokens[4:6] == ["[UNK]", "[UNK]"]
    assert any(t.startswith("##") for t in enc.tokens)
    assert enc.ids[0] == 101 and enc.ids[-1] == 102
    fresh.warm()
    assert fresh.tokenizer() is tok  # the model's load keeps the tokenizer it has


def test_every_encoder_takes_text_with_lone_surrogates(embedder: Embedder) -> None:
    """A lone surrogate (from a JSON escape, or bytes decoded with surrogateescape) has no
    UTF-8, which the tokenizers need: each encoder reads it as U+FFFD, as that text."""
    from skillyard.route import xling
    from skillyard.route.static import shared_static

    odd, plain = "fill a \udcff pdf form\ud800", "fill a \ufffd pdf form\ufffd"
    assert np.array_equal(embedder.embed([odd]), embedder.embed([plain]))
    static = shared_static()
    assert [t.tolist() for t in static.token_ids([odd])] == [
        t.tolist() for t in static.token_ids([plain])]
    encoder = xling.shared_encoder()
    assert np.array_equal(encoder.encode([odd]), encoder.encode([plain]))


def test_embedding_works_without_network(embedder: Embedder, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    vecs = embedder.embed(["Build an MCP server", "Create a Model Context Protocol server",
                           "Bake a chocolate cake"])
    assert vecs.shape == (3, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_batching_and_truncation_do_not_change_vectors(embedder: Embedder) -> None:
    texts = ["short", "a somewhat longer sentence about data pipelines", "x " * 400]
    together = embedder.embed(texts, max_tokens=64)
    alone = np.stack([embedder.embed([t], max_tokens=64)[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-3)
    assert embedder.embed([], max_tokens=64).shape == (0, 384)
