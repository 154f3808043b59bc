"""Hostile input, fuzzed (bounded): indexes, archives, MCP configs never raise past their
documented error."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard.errors import SourceError
from skillyard.inventory.mcp import ConfigSpec, parse_config, read_config
from skillyard.inventory.risks import assess
from skillyard.sources.siteunpack import safe_path, unpack
from skillyard.sources.wellknown import parse_index

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20)
entry = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["ok-name", "Bad", "", "a--b", "x" * 70]) | st.text(max_size=8),
    "type": st.sampled_from(["skill-md", "archive", "zip"]),
    "description": st.text(max_size=30),
    "url": st.sampled_from(["./a.md", "https://elsewhere.test/a.md", "", "../../x"]),
    "digest": st.sampled_from(["sha256:" + "a" * 64, "sha256:zz", "md5:1"]),
    "files": st.lists(st.sampled_from(["SKILL.md", "../x", "/etc/passwd", "a/b.md", ""]) |
                      json_values, max_size=4)})


@FAST
@given(st.binary(max_size=300))
def test_index_bytes(data: bytes) -> None:
    with contextlib.suppress(SourceError):
        parse_index(data, "https://site.test/.well-known/agent-skills/index.json")


@FAST
@given(st.lists(entry, max_size=5), st.sampled_from(
    [None, "https://schemas.agentskills.io/discovery/0.2.0/schema.json", "other"]))
def test_index_entries(entries: list, schema: str | None) -> None:
    body = {"skills": entries} if schema is None else {"$schema": schema, "skills": entries}
    try:
        index = parse_index(json.dumps(body).encode(),
                            "https://site.test/.well-known/agent-skills/index.json")
    except SourceError:
        return
    for item in index.entries:
        assert all(safe_path(p) == p for p, _ in item.files)


@FAST
@given(st.binary(max_size=400), st.sampled_from(["a.zip", "a.tar.gz", "a.bin"]))
def test_archives(data: bytes, url: str) -> None:
    try:
        files = unpack(data, url)
    except SourceError:
        return
    assert "SKILL.md" in files


@FAST
@given(st.text(max_size=200), st.sampled_from(["json", "toml", "yaml"]))
def test_config_text(text: str, fmt: str) -> None:
    with contextlib.suppress(ValueError):
        parse_config(text, fmt)


@FAST
@given(json_values)
def test_config_shapes_and_risks(tmp_path_factory, data: object) -> None:  # noqa: ANN001
    path = tmp_path_factory.mktemp("cfg") / "mcp.json"
    path.write_text(json.dumps({"mcpServers": data, "servers": {"s": data}}))
    spec = ConfigSpec("x", "user", ("~/mcp.json",), "json", ("mcpServers", "servers"),
                      "https://x.test")
    servers, _problems = read_config(Path(path), spec)
    for server in servers:
        assess(server)
