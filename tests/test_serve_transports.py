"""`skillyard serve` as a real subprocess: stdio, and streamable HTTP with 50 concurrent clients."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from skillyard import Library
from skillyard.serve.client import list_skills, read_verified
from support.served import make_skills

CLIENTS = 50


@pytest.fixture(scope="module")
def library_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("transports")
    db = root / "library.db"
    with Library(db) as lib:
        lib.index([str(make_skills(root))])
        lib.audit()  # verdicts cached in the library, as a team would have them
        lib.route_index()
    return db


@pytest.fixture
def http_server(library_db: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillyard", "serve", "--db", str(library_db), "--transport",
         "http", "--port", "0", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        url = None
        assert proc.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                raise AssertionError(f"server exited with {proc.wait()}")
            if line.startswith("{"):
                info = json.loads(line)
                assert info["blocked"] == 1 and info["skills"] == 4
                url = info["url"]
        assert url is not None and url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def serve_stdio(library_db: Path, *options: str) -> StdioServerParameters:
    """``skillyard serve`` over stdio, as an agent host launches it."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "skillyard", "serve", "--db", str(library_db), *options],
        env={**os.environ},
    )


def test_stdio_subprocess_session(library_db: Path) -> None:
    params = serve_stdio(library_db)

    async def main() -> None:
        async with Client(params) as client:
            found = await client.call_tool("search_skills",
                                           {"query": "fill the fields of a PDF form", "k": 2})
            assert not found.is_error
            results = found.structured_content["results"]
            assert results[0]["name"] == "pdf-forms" and results[0]["tier"] == 2
            text = (await client.call_tool("activate_skill", {"name": "pdf-forms"})).content
            assert "scripts/fill.py" in text[0].text
            entries = {e.frontmatter["name"]: e for e in await list_skills(client)}
            data = await read_verified(client, entries["pdf-forms"],
                                       "skill://pdf-forms/references/fields.md")
            assert data.startswith(b"# Fields")

    anyio.run(main)


def test_http_50_concurrent_clients(http_server: str) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    errors: list[str] = []
    done: list[int] = []
    queries = ["write a commit message for my change", "fill a PDF form",
               "draft notes for the release"]

    async def one(i: int) -> None:
        try:
            async with Client(http_server) as client:
                found = await client.call_tool("search_skills", {"query": queries[i % 3],
                                                                 "k": 3})
                if found.is_error:
                    errors.append(found.content[0].text)
                    return
                names = [r["name"] for r in found.structured_content["results"]]
                if "dropper" in names:
                    errors.append("blocked skill served")
                act = await client.call_tool("activate_skill", {"name": "git-commits"})
                if act.is_error or "Use feat:" not in act.content[0].text:
                    errors.append(f"activate failed: {act.content[0].text[:100]}")
                    return
                done.append(i)
        except Exception as exc:  # collected, reported below
            errors.append(f"client {i}: {exc!r}")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(one, i)

    anyio.run(main)
    assert errors == [] and len(done) == CLIENTS


def test_bad_transport_is_a_usage_error(library_db: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "skillyard", "serve", "--db", str(library_db),
                           "--transport", "carrier-pigeon"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "unknown transport" in proc.stderr


def test_stdio_session_with_body_rerank(library_db: Path) -> None:
    params = serve_stdio(library_db, "--rerank", "body")

    async def main() -> None:
        async with Client(params) as client:
            found = await client.call_tool("search_skills",
                                           {"query": "fill the fields of a PDF form", "k": 2})
            assert not found.is_error
            assert found.structured_content["results"][0]["name"] == "pdf-forms"

    anyio.run(main)


def test_unknown_or_unconfigured_reranker_is_a_usage_error(library_db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLYARD_LLM_")}
    for choice, message in (("bogus", "unknown reranker 'bogus'"),
                            ("llm", "no LLM configured")):
        proc = subprocess.run([sys.executable, "-m", "skillyard", "serve", "--db",
                               str(library_db), "--rerank", choice], capture_output=True,
                              text=True, check=False, timeout=120, env=env)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr


def test_busy_port_is_one_clear_error(library_db: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "skillyard", "serve", "--db",
                               str(library_db), "--transport", "http", "--port", str(port)],
                              capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use)"]
