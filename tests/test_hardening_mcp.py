"""Bad arguments from an MCP client are the client's error: a clear message, no traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from conftest import write_skill
from test_serve_mcp import session


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skillyard import Library

    root = tmp_path_factory.mktemp("mcp-args")
    write_skill(root / "skills", "git-commits", description="Write good git commit messages.")
    with Library(root / "l.db") as lib:
        lib.index([str(root / "skills")])
    return root / "l.db"


@pytest.mark.parametrize(("args", "word"), [
    ({"budget": "abc"}, "budget"), ({"budget": "-3"}, "budget"), ({"budget": "0"}, "budget"),
    ({"format": "yaml"}, "format"), ({"budget": "1e9"}, "budget"),
])
def test_bad_prompt_arguments_are_invalid_params(small_db: Path, args: dict[str, str],
                                                 word: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    async def check(client: Client, served: object) -> None:
        with pytest.raises(MCPError) as info:
            await client.get_prompt("skill_catalog", args)
        assert info.value.code == INVALID_PARAMS and word in info.value.message
        assert "Internal" not in info.value.message

    with caplog.at_level(logging.DEBUG):
        session(small_db, check)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("k", [0, -1])
def test_search_k_out_of_range_is_refused_like_the_cli(small_db: Path, k: int) -> None:
    async def check(client: Client, served: object) -> None:
        result = await client.call_tool("search_skills", {"query": "commit message", "k": k})
        assert result.is_error and "k must be" in result.content[0].text

    session(small_db, check)
