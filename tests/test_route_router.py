"""Library.route on the sample skills: ranking, one result per fork group, abstention, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS
from skillyard.api import Library
from skillyard.route.api import RouteError
from skillyard.route.calibrate import offtopic_queries
from skillyard.route.settings import RouteSettings


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("router") / "library.db"
    library = Library(db)
    library.index([str(SAMPLE_SKILLS)])
    library.route_index()
    yield library
    library.close()


def short(skill_id: str) -> str:
    return skill_id.split("sample-skills/")[1]


@pytest.mark.parametrize(("task", "expected"), [
    ("Build an MCP server in TypeScript that exposes our REST API as tools",
     {"anthropics@skills/mcp-builder", "mcp-use@mcp-use/mcp-builder"}),
    ("Make our landing page look distinctive and polished, not like generic AI output",
     {"HKUDS@ClawTeam/frontend-design", "jdrhyne@agent-skills/frontend-design"}),
    ("Harden our Docker hosts: audit container configuration against the CIS benchmark",
     {"mukul975@Anthropic-Cybersecurity-Skills/performing-docker-bench-security-assessment"}),
    ("Write a Jira ticket for the login bug and link it to the epic",
     {"microsoft@hve-core/jira"}),
])
def test_tasks_route_to_the_right_skill(lib: Library, task: str, expected: set[str]) -> None:
    result = lib.route(task, k=3)
    assert short(result.results[0].id) in expected, [short(h.id) for h in result.results]
    assert not result.abstain
    assert result.latency_ms > 0 and result.confidence >= result.threshold


def test_forks_show_once_with_alternatives(lib: Library) -> None:
    result = lib.route("frontend design for a web page", k=5)
    frontend = [h for h in result.results if h.name == "frontend-design"]
    assert len(frontend) == 1
    both = {short(frontend[0].id), *map(short, frontend[0].alternatives)}
    assert both == {"HKUDS@ClawTeam/frontend-design", "jdrhyne@agent-skills/frontend-design"}
    assert frontend[0].to_dict()["alternatives"] == frontend[0].alternatives


def test_small_talk_abstains(lib: Library) -> None:
    for query in ("What is the capital of France?", "Tell me a joke about penguins"):
        assert lib.route(query).abstain, query


def test_calibration_queries_mostly_abstain(lib: Library) -> None:
    queries = offtopic_queries()
    abstained = sum(lib.route(q, k=1).abstain for q in queries)
    # The threshold is this quantile of their own confidences: that share abstains.
    assert abstained >= RouteSettings().abstain_quantile * len(queries) - 1


def test_explain_gives_every_signal(lib: Library) -> None:
    hit = lib.route("create an MCP server", k=1, explain=True).results[0]
    assert set(hit.explain["signals"]) == {"lexical", "static"}
    assert hit.explain["ranked_by"] == "stage2"
    assert hit.explain["signals"]["lexical"]["rank"] >= 1
    assert "mcp" in hit.explain["matched_terms"]


def test_long_multi_need_task_routes(lib: Library) -> None:
    task = (
        "We are a small team shipping a SaaS analytics product. Next quarter we need to expose "
        "our metrics API to AI assistants. Concretely: build a Model Context Protocol server "
        "that wraps our REST endpoints as tools, with input validation, pagination, clear "
        "error messages and an evaluation set of realistic questions. It should run locally "
        "over stdio for developers and over streamable HTTP in production. " * 3
    )
    assert len(task) > 1000
    top = lib.route(task, k=3).results[0]
    assert top.name == "mcp-builder"


def test_k_limits_results(lib: Library) -> None:
    assert len(lib.route("write documentation", k=2).results) == 2
    assert len(lib.route("write documentation", k=100).results) <= 41


@pytest.mark.parametrize(("query", "k", "message"), [
    ("", 5, "empty"), ("   ", 5, "empty"), ("ok", 0, "k must be"), ("ok", True, "k must be"),
])
def test_bad_requests_are_one_clear_error(lib: Library, query: str, k: int, message: str
                                          ) -> None:
    with pytest.raises(RouteError, match=message):
        lib.route(query, k=k)


def test_unknown_reranker_is_rejected(lib: Library) -> None:
    with pytest.raises(RouteError, match="unknown reranker"):
        lib.route("anything", reranker="magic")


def test_router_follows_a_new_generation(tmp_path: Path, lib: Library) -> None:
    db = Path(lib.path)
    other = Library(db)
    try:
        first = other.route("mcp server", k=1).results[0].id
        other.route_index(full=True)
        assert other.route("mcp server", k=1).results[0].id == first
    finally:
        other.close()
