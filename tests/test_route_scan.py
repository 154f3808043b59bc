"""The quantized static scan: its error bound holds, and routing through it gives the results
of the float32 scan."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_SKILLS
from skillyard.api import Library
from skillyard.route import router as router_mod
from skillyard.route import scan as scan_mod
from skillyard.route.router import RouteIndex, Router
from skillyard.route.scan import QuantizedScan, open_scan, save_scan, top_candidates
from skillyard.route.settings import RouteSettings


def _unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    rows = rng.normal(size=(n, d)) * rng.uniform(0.05, 1.0, size=d)  # uneven axes, like PCA
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), d=st.integers(2, 96), seed=st.integers(0, 2**32 - 1))
def test_every_approximate_score_is_within_its_bound(n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = _unit_rows(rng, n, d)
    scan = QuantizedScan(matrix)
    for query in (_unit_rows(rng, 1, d)[0], matrix[0], -matrix[-1]):
        exact = matrix @ query
        approx = scan.approx(query)
        assert np.all(np.abs(exact - approx.scores) <= approx.bound)
        mean, std = scan.stats(query)
        assert mean == pytest.approx(float(exact.mean()), abs=1e-5)
        # the second moments are summed in float32: the variance is good to ~1e-7
        assert std**2 == pytest.approx(float(exact.var()), abs=1e-6)
        rows = rng.permutation(n)[: max(1, n // 3)]
        assert np.allclose(scan.exact(rows, query), exact[rows], atol=1e-6)


def test_a_zero_query_scores_zero() -> None:
    scan = QuantizedScan(_unit_rows(np.random.default_rng(1), 20, 8))
    approx = scan.approx(np.zeros(8, np.float32))
    assert not approx.scores.any() and approx.bound == 0.0


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 60),
       slack=st.floats(0.0, 0.5))
def test_candidates_hold_the_true_best(seed: int, count: int, slack: float) -> None:
    rng = np.random.default_rng(seed)
    true = rng.normal(size=200).astype(np.float32)
    seen = true + rng.uniform(-slack, slack, size=200).astype(np.float32)
    rows = top_candidates(seen, slack + 1e-6, count)
    best = np.argsort(-true, kind="stable")[:count]
    assert set(best.tolist()) <= set(rows.tolist())


@pytest.fixture
def index(sample_route_index: RouteIndex) -> RouteIndex:
    return sample_route_index


QUERIES = ("convert a PDF into markdown", "review my pull request for security problems",
           "write unit tests for a python function", "what's the weather like today",
           "deploy the app to kubernetes", "make a slide deck from these notes")


@pytest.mark.parametrize("stage2", [True, False])
def test_routing_through_the_scan_gives_the_float32_results(
        index: RouteIndex, monkeypatch: pytest.MonkeyPatch, stage2: bool) -> None:
    # A small pool and depth, so that the scan really leaves rows out of the float32 pass.
    monkeypatch.setattr(router_mod, "CONFIDENCE_POOL", 4)
    base = replace(RouteSettings(), candidates=5, stage2=stage2)
    exact = Router(index, settings=replace(base, quantized_scan_rows=0))
    fast = Router(index, settings=replace(base, quantized_scan_rows=1))
    for query in QUERIES:
        a, b = exact.route(query, k=2), fast.route(query, k=2)
        assert [h.id for h in a.results] == [h.id for h in b.results]
        assert [h.alternatives for h in a.results] == [h.alternatives for h in b.results]
        assert np.allclose([h.score for h in a.results], [h.score for h in b.results],
                           atol=1e-4)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)
        assert a.abstain == b.abstain
    explained = fast.route(QUERIES[0], k=2, explain=True).results[0].explain
    assert explained is not None and explained["signals"]["static"]["rank"] >= 1


def test_small_libraries_skip_the_scan(index: RouteIndex) -> None:
    fresh = RouteIndex(index.generation)
    Router(fresh).route("convert a PDF into markdown", k=2)  # 36 skills, below the threshold
    assert fresh._scan is None


def test_the_scan_keeps_multilingual_routing(tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path_factory.mktemp("scan-ml") / "library.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        lib.route_index(multilingual=True)
    index = RouteIndex.open(db)
    assert index.ml is not None
    monkeypatch.setattr(router_mod, "CONFIDENCE_POOL", 4)
    base = replace(RouteSettings(), candidates=5)
    exact = Router(index, settings=replace(base, quantized_scan_rows=0))
    fast = Router(index, settings=replace(base, quantized_scan_rows=1))
    for query in ("convierte este PDF escaneado a Markdown", "把这个PDF转换成Markdown",
                  "convert a PDF into markdown"):
        a, b = exact.route(query, k=2), fast.route(query, k=2)
        assert [h.id for h in a.results] == [h.id for h in b.results]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)
        assert a.abstain == b.abstain


def _same_scan(a: QuantizedScan, b: QuantizedScan, queries: np.ndarray) -> None:
    for query in queries:
        x, y = a.approx(query), b.approx(query)
        assert np.array_equal(x.scores, y.scores) and x.bound == y.bound
        assert a.stats(query) == b.stats(query)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(2, 64), seed=st.integers(0, 2**32 - 1))
def test_a_kept_scan_is_the_scan_made_now(n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = _unit_rows(rng, n, d)
    with tempfile.TemporaryDirectory() as folder:
        save_scan(Path(folder), "vecs", matrix)
        kept = scan_mod._saved(Path(folder), "vecs", matrix)
        assert kept is not None
        _same_scan(kept, QuantizedScan(matrix), _unit_rows(rng, 3, d))


def test_a_built_index_keeps_its_scans(index: RouteIndex,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = index.generation.path
    for name in ("sdesc_proj", "ml_desc") if index.ml is not None else ("sdesc_proj",):
        assert (path / f"{name}.scan.onnx").is_file() and (path / f"{name}.scan.npz").is_file()
    fresh = RouteIndex(index.generation)

    def no_quantizing(matrix: np.ndarray) -> None:
        raise AssertionError("a kept scan was quantized again")

    monkeypatch.setattr(scan_mod, "prepare", no_quantizing)
    fast = Router(fresh, settings=replace(RouteSettings(), quantized_scan_rows=1))
    assert fast.route("convert a PDF into markdown", k=2).results
    assert fresh._scan is not None


def test_a_kept_scan_of_another_shape_or_damaged_is_made_again(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    kept, other = _unit_rows(rng, 50, 16), _unit_rows(rng, 60, 16)
    save_scan(tmp_path, "vecs", kept)
    assert scan_mod._saved(tmp_path, "vecs", other) is None  # the library changed since
    _same_scan(open_scan(tmp_path, "vecs", other), QuantizedScan(other), other[:2])
    model = tmp_path / "vecs.scan.onnx"
    whole = model.read_bytes()
    middle = len(whole) // 2  # inside the weights
    for damaged in (whole[:100], whole[:middle] + bytes([whole[middle] ^ 1]) + whole[middle + 1:]):
        model.write_bytes(damaged)
        assert scan_mod._saved(tmp_path, "vecs", kept) is None
    _same_scan(open_scan(tmp_path, "vecs", kept), QuantizedScan(kept), kept[:2])
    save_scan(tmp_path, "vecs", kept)
    stats = tmp_path / "vecs.scan.npz"
    for damaged in (b"not an npz", stats.read_bytes()[:200]):
        stats.write_bytes(damaged)
        assert scan_mod._saved(tmp_path, "vecs", kept) is None
    (tmp_path / "vecs.scan.npz").unlink()
    assert scan_mod._saved(tmp_path, "vecs", kept) is None  # an older index
