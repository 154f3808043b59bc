"""Long requests (task statements): the static signal's weight falls with their length."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from skillyard.route import stage2
from skillyard.route.router import RouteIndex, Router, _z
from skillyard.route.settings import RouteSettings
from skillyard.route.text import tokenize

TASK = """Our support team wants the assistant to look up customer orders without leaving
the chat. The order system already has a REST API (`https://orders.example.internal/v2`,
token in `ORDERS_TOKEN`) with endpoints for listing orders by customer email, fetching one
order by id, and issuing a refund up to 200 EUR. Please build a server for the Model Context
Protocol in TypeScript that exposes these three operations as tools, with clear input
schemas, pagination for the listing, and errors that tell the model what went wrong. Put it
in `services/orders-mcp/`, add a README with the configuration for Claude Desktop, and write
a handful of evaluation questions that exercise every tool. The refund tool must ask for a
reason and refuse amounts above the limit. Deadline is Friday 14 March; Dana reviews it."""


@pytest.fixture
def index(sample_route_index: RouteIndex) -> RouteIndex:
    return sample_route_index


def test_the_static_share_falls_from_full_to_none_with_length(index: RouteIndex) -> None:
    router = Router(index, settings=replace(RouteSettings(), long_request=(30, 70)))
    words = [f"word{i}" for i in range(100)]
    assert router.static_share("build an MCP server") == 1.0
    assert router.static_share(" ".join(words[:30])) == 1.0
    assert router.static_share(" ".join(words[:50])) == pytest.approx(0.5)
    assert router.static_share(" ".join(words[:70])) == 0.0
    assert router.static_share(TASK) == 0.0 and len(tokenize(TASK)) >= 70


def test_fusion_of_a_long_request_leaves_the_static_signal_out(index: RouteIndex) -> None:
    router = Router(index)
    signals, _ = router.signals(TASK)
    zs = {k: _z(v) for k, v in signals.items()}
    fused = router.fuse(signals, zs, share=0.0)
    assert np.allclose(fused, router.settings.lexical_weight * zs["lexical"])
    assert not np.allclose(router.fuse(signals, zs), fused)


def test_second_stage_sees_a_missing_static_signal_at_share_zero(index: RouteIndex) -> None:
    router = Router(index)
    signals, _ = router.signals(TASK)
    zs = {k: _z(v) for k, v in signals.items()}
    fused = router.fuse(signals, zs)
    rows = np.argsort(-fused)[:10]
    terms = tokenize(TASK)
    without = {k: v for k, v in zs.items() if k != "static"}
    none = stage2.features(index, rows, zs, fused, terms, static_share=0.0)
    assert np.array_equal(none, stage2.features(index, rows, without, fused, terms))
    assert np.array_equal(stage2.features(index, rows, zs, fused, terms, static_share=1.0),
                          stage2.features(index, rows, zs, fused, terms))
    half = stage2.features(index, rows, zs, fused, terms, static_share=0.5)
    col = stage2.FEATURES.index("z_static")
    assert np.allclose(half[:, col], 0.5 * zs["static"][rows])


def test_a_long_task_statement_finds_its_skill_and_says_why(index: RouteIndex) -> None:
    exact = Router(index, settings=replace(RouteSettings(), quantized_scan_rows=0))
    scanned = Router(index, settings=replace(RouteSettings(), quantized_scan_rows=1))
    result = exact.route(TASK, k=5, explain=True)
    assert result.results[0].name == "mcp-builder"
    assert any("long request" in note for note in result.notes)  # --explain says why
    assert [h.id for h in scanned.route(TASK, k=5).results] == [h.id for h in result.results]
    short = exact.route("build an MCP server in TypeScript", k=5, explain=True)
    assert not any("long request" in note for note in short.notes)


def test_the_stand_in_gate_reads_a_long_request_s_opening() -> None:
    from skillyard.route import xling

    short = "turn meeting notes into action items"
    assert xling.opening(short) == short  # read whole, spacing and all
    opening = xling.opening(TASK)
    assert opening.split() == TASK.split()[: xling.STAND_IN_WORDS]
    assert len(TASK.split()) > xling.STAND_IN_WORDS
