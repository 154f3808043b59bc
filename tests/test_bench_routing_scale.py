"""bench/routing_scale.py: the replicated index that bench/routing.py times at 60K and 200K
is a complete index the router opens and routes over (a small library, replicated 3x)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def routing_scale(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import routing_scale

    yield routing_scale
    sys.modules.pop("routing_scale", None)


def test_replicated_index_opens_and_routes(routing_scale, tmp_path: Path) -> None:
    from skillyard.api import Library
    from skillyard.route import bodies, xling
    from skillyard.route.router import RouteIndex, Router

    db = tmp_path / "library.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        lib.route_index()
    original = RouteIndex.open(db)
    n = len(original.ids)
    gen = routing_scale.replicate(str(db), 3 * n, tmp_path)
    index = RouteIndex(gen)
    assert len(index.ids) == 3 * n
    assert index.ids[:n] == original.ids
    assert bodies.in_index(gen) and index.bodies is not None and len(index.bodies) == 3 * n
    assert original.bodies is not None
    copy, first = index.bodies.passages(n), original.bodies.passages(0)  # row n copies row 0
    assert len(copy) == len(first)
    assert all((a == b).all() for a, b in zip(copy, first, strict=True))
    if xling.in_index(gen):
        assert index.ml is not None and len(index.ml) == 3 * n
    result = Router(index).route("write SEO meta descriptions for a product page", k=5)
    assert result.results and all(hit.id in set(index.ids) for hit in result.results)
