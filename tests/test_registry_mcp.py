"""MCP behind the registry's tokens: /mcp lists only what a token's scope covers, and
`skillyard serve --transport http` refuses to run open on a non-loopback address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx2 as httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from skillyard import Library
from skillyard.registry import TokenStore, pack_folder
from support.registry import running, skill_folder, token
from support.served import make_skills

_http = httpx.Client(timeout=60)  # publishing audits and indexes: allow time


async def _names(url: str, secret: str) -> tuple[list[str], str]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {secret}"})
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        found = await client.call_tool("search_skills", {"query": "fill a PDF form", "k": 5})
        names = [r["id"] for r in found.structured_content["results"]]
        act = await client.call_tool("activate_skill", {"name": "pdf-forms"})
        return names, act.content[0].text


def test_mcp_is_scoped_by_token(tmp_path: Path) -> None:
    with running(str(tmp_path / "r.db"), mcp=True) as (url, registry):
        admin = token(registry, "admin", "*")
        for ns, text in (("team", "Read references/fields.md first."),
                         ("other", "Open the PDF in a form editor and type each value.")):
            r = _http.post(f"{url}/api/v1/skills/{ns}/pdf-forms/versions",
                           content=pack_folder(skill_folder(tmp_path / ns, body=f"\n# {ns}\n\n"
                                                            f"{text}\n")),
                           headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 201
        team = token(registry, "read", "team/*")
        names, body = anyio.run(_names, f"{url}/mcp", team)
        assert names == ["registry:team/pdf-forms"] and "references/fields.md" in body
        other = token(registry, "read", "other/*")
        names, body = anyio.run(_names, f"{url}/mcp", other)
        assert names == ["registry:other/pdf-forms"] and "form editor" in body
        denied = _http.post(f"{url}/mcp", json={}, headers={"Authorization": "Bearer syk_no"})
        assert denied.status_code == 401
        assert _http.post(f"{url}/mcp", json={}).status_code == 401


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "skillyard", "serve", "--transport",
                             "http", "--port", "0", "--json", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ})


def _url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"serve exited with {proc.wait()}")
        if line.startswith("{"):
            return json.loads(line)["url"]
    raise AssertionError("serve did not start")


def test_serve_http_with_token_auth(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    with Library(db) as lib:
        lib.index([str(make_skills(tmp_path))])
        _, secret = TokenStore(lib.store).create(role="read", scope="*")
    open_wide = subprocess.run([sys.executable, "-m", "skillyard", "serve", "--transport",
                                "http", "--host", "0.0.0.0", "--port", "0", "--db", db],
                               capture_output=True, text=True, timeout=120)
    assert open_wide.returncode == 2 and "--insecure-no-auth" in open_wide.stderr
    proc = _serve("--db", db, "--auth")
    try:
        url = _url(proc)
        assert _http.post(url, json={}).status_code == 401
        names, body = anyio.run(_names, url, secret)
        assert "dir:" in names[0] and "PDF forms" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _activate(url: str, secret: str, name: str) -> tuple[bool, str]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {secret}"})
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        act = await client.call_tool("activate_skill", {"name": name})
        return bool(act.is_error), act.content[0].text


def test_mcp_serves_a_skill_whose_blocking_findings_were_accepted(tmp_path: Path) -> None:
    """/mcp asks the same gate as install, with the registry's accepted findings left out of
    the verdict: a skill published after an appeal is served, not blocked again."""
    import pytest

    from skillyard.registry import BlockedError
    from support.registry import LOCAL_ADMIN, blocked_folder

    with running(str(tmp_path / "r.db"), mcp=True) as (url, registry):
        folder = blocked_folder(tmp_path / "src")
        try:
            registry.publish(LOCAL_ADMIN, "team/table-helper", pack_folder(folder))
            pytest.fail("the specimen should be blocked")
        except BlockedError as exc:
            report = exc.report
        blocking = [f for f in report["findings"] if f["severity"] in ("high", "critical")]
        if any(f.get("fail_closed") for f in blocking):
            pytest.skip("the specimen's blocking finding is fail-closed")
        for finding in blocking:
            registry.accept(LOCAL_ADMIN, "team/table-helper", report["digest"], finding["rule"],
                            finding["file"], "installer host is ours")
        registry.publish(LOCAL_ADMIN, "team/table-helper", pack_folder(folder))
        reader = token(registry, "read", "team/*")
        failed, text = anyio.run(_activate, f"{url}/mcp", reader, "table-helper")
        assert not failed, text
        assert "Formats tables" in text or "table" in text.lower()

        with Library(str(tmp_path / "r.db")) as lib:  # without the acceptances: blocked
            from skillyard.audit.gate import Gate

            sid = "registry:team/table-helper"
            assert Gate(lib).decide(lib.get(sid)).blocked
            assert not Gate(lib, accepted=registry.accepted_findings).decide(lib.get(sid)).blocked
