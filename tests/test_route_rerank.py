"""The LLM reranker over real HTTP to the local OpenAI-compatible test server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import write_skill
from skillyard.api import Library
from skillyard.llm import LLMError
from skillyard.route.rerank import parse_reply
from support.llm_server import LLMServer

SKILLS = {
    "pdf-forms": "Fill in and flatten PDF forms.",
    "csv-cleaner": "Clean messy CSV files: fix encodings, delimiters and headers.",
    "sql-tuner": "Speed up slow SQL queries with indexes and query plans.",
    "poem-writer": "Write short poems for birthdays and weddings.",
}


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    for name, desc in SKILLS.items():
        write_skill(tmp_path / "skills", name, desc)
    library = Library(tmp_path / "lib.db")
    library.index([str(tmp_path / "skills")])
    return library


def numbered(request: dict[str, Any]) -> dict[str, int]:
    """Candidate name -> number, read from the prompt the router sent."""
    prompt = request["messages"][-1]["content"]
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^(\d+)\. ([\w-]+):", prompt, re.M)}


def use(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLYARD_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("SKILLYARD_LLM_MODEL", "test-model")


def test_llm_reorders_candidates(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    def responder(request: dict[str, Any]) -> str:
        nums = numbered(request)
        return json.dumps({"ranking": [nums["poem-writer"], nums["sql-tuner"]],
                           "none_fit": False})

    with LLMServer(responder) as server:
        use(server, monkeypatch)
        plain = lib.route("speed up my slow SQL query", k=4)
        result = lib.route("speed up my slow SQL query", k=4, reranker="llm")
    assert plain.results[0].name == "sql-tuner"
    assert [h.name for h in result.results][:2] == ["poem-writer", "sql-tuner"]
    assert result.reranker == "llm" and not result.abstain
    request = server.requests[-1]
    assert "speed up my slow SQL query" in request["messages"][-1]["content"]
    assert "Fill in and flatten PDF forms." in request["messages"][-1]["content"]


def test_llm_none_fit_abstains(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    with LLMServer(lambda r: '{"ranking": [], "none_fit": true}') as server:
        use(server, monkeypatch)
        result = lib.route("clean this CSV file", k=2, reranker="llm")
    assert result.abstain and result.results[0].name == "csv-cleaner"


def test_unreadable_reply_keeps_fused_order(lib: Library, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    with LLMServer(lambda r: "I think the second one, probably.") as server:
        use(server, monkeypatch)
        result = lib.route("clean this CSV file", k=2, reranker="llm")
    assert result.results[0].name == "csv-cleaner"
    assert result.notes and "llm rerank ignored" in result.notes[0]


def test_endpoint_failure_is_one_clear_error(lib: Library, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    with LLMServer(lambda r: 500) as server:
        use(server, monkeypatch)
        with pytest.raises(LLMError, match="500"):
            lib.route("clean this CSV file", reranker="llm")


def test_llm_reranker_needs_configuration(lib: Library) -> None:
    with pytest.raises(LLMError, match="SKILLYARD_LLM_BASE_URL"):
        lib.route("clean this CSV file", reranker="llm")


def test_parse_reply_accepts_prose_around_json() -> None:
    assert parse_reply('Sure! {"ranking": [2, "1", 2], "none_fit": false} done', 3) == ([1, 0],
                                                                                      False)


@pytest.mark.parametrize("reply", [
    "", "[1, 2]", '{"ranking": [4]}', '{"ranking": "1"}', '{"ranking": [1], "none_fit": "no"}',
    '{"ranking": [true]}', '{"ranking": [1.5]}', '{"ranking": [1}',
])
def test_parse_reply_rejects_bad_replies(reply: str) -> None:
    with pytest.raises(ValueError):
        parse_reply(reply, 3)


@given(st.text(max_size=120), st.integers(min_value=1, max_value=20))
def test_parse_reply_never_crashes_and_stays_in_range(text: str, count: int) -> None:
    try:
        order, _ = parse_reply(text, count)
    except ValueError:
        return
    assert all(0 <= i < count for i in order) and len(order) == len(set(order))
