"""Several `skillyard serve --transport http` processes over one PostgreSQL library agree."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from skillyard import Library
from support.served import make_skills

QUERIES = ["write a commit message for my change", "fill a PDF form",
           "draft notes for the release", "what is the capital of France?"]


def _start(db: str, route_dir: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillyard", "serve", "--db", db, "--transport", "http",
         "--port", "0", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SKILLYARD_ROUTE_DIR": str(route_dir)},
    )
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"server exited with {proc.wait()}")
        if line.startswith("{"):
            info = json.loads(line)
            assert info["blocked"] == 1 and info["skills"] == 4
            return proc, info["url"]
    proc.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def two_servers(pg_dsn: str, tmp_path: Path) -> Iterator[list[str]]:
    with Library(pg_dsn) as lib:
        lib.index([str(make_skills(tmp_path))])
    started = []
    try:
        for n in range(2):  # each process builds its own local routing index from the store
            started.append(_start(pg_dsn, tmp_path / f"route-{n}"))
        yield [url for _, url in started]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=30)


async def _answers(url: str) -> list[object]:
    out: list[object] = []
    async with Client(url) as client:
        for query in QUERIES:
            found = await client.call_tool("search_skills", {"query": query, "k": 3})
            assert not found.is_error
            content = found.structured_content
            out.append([(r["id"], r["name"], round(r["score"], 6), r["tier"])
                        for r in content["results"]] + [content["abstain"]])
        activated = await client.call_tool("activate_skill", {"name": "git-commits"})
        assert not activated.is_error
        out.append(activated.content[0].text)
    return out


def test_http_servers_on_one_postgres_library_agree(two_servers: list[str]) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main() -> list[list[object]]:
        return [await _answers(url) for url in two_servers]

    first, second = anyio.run(main)
    assert first == second
    assert first[1][0][1] == "pdf-forms"  # type: ignore[index]
    assert "dropper" not in json.dumps(first)
