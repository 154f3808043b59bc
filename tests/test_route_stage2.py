"""The static query encoder and the learned second stage, on the sample skills."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from skillyard.route import stage2
from skillyard.route.linear import LinearModel
from skillyard.route.router import RouteIndex, Router, _z
from skillyard.route.settings import RouteSettings
from skillyard.route.static import StaticEncoder, idf_weights, shared_static
from skillyard.route.text import tokenize


@pytest.fixture
def index(sample_route_index: RouteIndex) -> RouteIndex:
    return sample_route_index


def test_static_vectors_are_unit_and_follow_meaning() -> None:
    enc = shared_static()
    texts = ["build a server for the model context protocol",
             "create an MCP server exposing tools",
             "bake sourdough bread at home", ""]
    ids = enc.token_ids(texts)
    vecs = enc.encode_ids(ids, np.ones(len(enc.table), np.float32))
    assert np.allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-5)
    assert not vecs[3].any()  # an empty text has no direction
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_idf_weights_make_common_pieces_light() -> None:
    ids = [np.array([5, 6]), np.array([5, 7]), np.array([5])]
    w = idf_weights(ids, 10)
    assert w[5] < w[6] == w[7] and w[8] > w[6]


def test_a_given_table_is_used_as_is() -> None:
    table = np.zeros((30522, 384), np.float32)
    table[:, 0] = 1.0
    enc = StaticEncoder(table=table)
    vec = enc.encode(["anything at all"], np.ones(30522, np.float32))[0]
    assert vec[0] == pytest.approx(1.0)


def test_features_describe_the_candidates(index: RouteIndex) -> None:
    router = Router(index)
    query = "build an MCP server in TypeScript"
    signals, _ = router.signals(query)
    zs = {k: _z(v) for k, v in signals.items()}
    fused = router.fuse(signals, zs)
    rows = np.argsort(-fused)[:10]
    feats = stage2.features(index, rows, zs, fused, tokenize(query))
    col = {name: i for i, name in enumerate(stage2.FEATURES)}
    assert feats.shape == (10, len(stage2.FEATURES)) and np.isfinite(feats).all()
    names = [index.names[r] for r in rows]
    top = names.index("mcp-builder")
    assert feats[top, col["cover_name"]] > 0 and feats[top, col["name_in_query"]] > 0
    assert (feats[:, col["z_desc"]] == 0).all()  # the full-model signal is off by default
    assert feats[:, col["cover_body"]].min() >= 0 and feats[:, col["cover_body"]].max() <= 1


def test_desc_in_query_is_the_share_of_the_description_a_request_uses(
        index: RouteIndex) -> None:
    router = Router(index)
    row = index.names.index("mcp-builder")
    desc_terms = set(tokenize(index.descriptions[row]))
    half = sorted(desc_terms)[: len(desc_terms) // 2]
    col = stage2.FEATURES.index("desc_in_query")
    for words, expected in ((" ".join(sorted(desc_terms)), 1.0),
                            (" ".join(half), len(half) / len(desc_terms)),
                            ("bake sourdough bread", 0.0)):
        signals, _ = router.signals(words)
        zs = {k: _z(v) for k, v in signals.items()}
        fused = router.fuse(signals, zs)
        feats = stage2.features(index, np.array([row]), zs, fused, tokenize(words))
        assert feats[0, col] == pytest.approx(expected, abs=1e-6)


def test_fit_learns_which_feature_marks_the_answer() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(40):
        feats = rng.normal(size=(12, len(stage2.FEATURES))).astype(np.float32)
        pos = np.zeros(12, bool)
        pos[int(np.argmax(feats[:, 3]))] = True  # the answer is the one highest on feature 3
        groups.append((feats, pos))
    model = stage2.fit(groups, steps=300)
    assert int(np.argmax(model.weights)) == 3
    hits = [pos[int(np.argmax(model.score(f)))] for f, pos in groups]
    assert np.mean(hits) > 0.9
    again = LinearModel.from_dict(json.loads(model.to_json()), stage2.FEATURES)
    assert again is not None and np.allclose(again.weights, model.weights)


def test_a_model_for_other_features_is_ignored() -> None:
    assert LinearModel.from_dict({"features": ["x"], "mean": [0], "scale": [1],
                                  "weights": [1]}, stage2.FEATURES) is None


def test_stage2_reorders_only_the_pool(index: RouteIndex) -> None:
    query = "review my pull request for security problems"
    on = Router(index).route(query, k=10)
    off = Router(index, settings=replace(RouteSettings(), stage2=False)).route(query, k=10)
    assert {h.id for h in on.results} <= {h.id for h in Router(
        index, settings=replace(RouteSettings(), stage2=False)).route(query, k=40).results}
    scores = [h.score for h in on.results]
    assert scores == sorted(scores, reverse=True)
    assert on.confidence == off.confidence  # abstention does not depend on the second stage


def test_query_latency_does_not_need_the_full_model(index: RouteIndex, monkeypatch:
                                                    pytest.MonkeyPatch) -> None:
    router = Router(index)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast mode ran the transformer")

    monkeypatch.setattr(router.embedder, "embed", refuse)
    assert router.route("convert a PDF into markdown", k=3).results


def test_shipped_model_matches_the_features() -> None:
    model = stage2.shipped_model()
    assert model is not None and len(model.weights) == len(stage2.FEATURES)
    assert Path(stage2.__file__).with_name("data").joinpath("stage2.json").is_file()
