"""The SDK's MCP client against the server in-process: tools, resources, prompt, SEP-2640."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from conftest import SAMPLE_SKILLS
from skillyard import Library
from skillyard.serve import build_server, open_served
from skillyard.serve.client import (
    content_bytes,
    get_skill,
    list_skills,
    read_directory,
    read_verified,
)
from skillyard.serve.protocol import EXTENSION_ID
from support.served import PNG, make_skills


@pytest.fixture(scope="module")
def library_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcp")
    db = root / "library.db"
    with Library(db) as lib:
        lib.index([str(make_skills(root)), str(SAMPLE_SKILLS)])
    return db


def session(db: Path, test: Callable[[Client, Any], Awaitable[None]], *, mode: str = "auto",
            policy: Path | None = None, page_size: int | None = None) -> None:
    lib = Library(db)
    served = open_served(lib, policy=policy)
    server = build_server(served)
    if page_size:
        server._extensions[0].page_size = page_size  # small pages exercise the cursor

    async def main() -> None:
        async with Client(server, mode=mode) as client:
            await test(client, served)

    try:
        anyio.run(main)
    finally:
        lib.close()


def test_tools_and_aliases(library_db: Path) -> None:
    async def check(client: Client, served: Any) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"search_skills", "activate_skill", "load_skill",
                              "read_skill_resource"}
        assert tools["activate_skill"].annotations.read_only_hint is True
        one = await client.call_tool("activate_skill", {"name": "pdf-forms"})
        two = await client.call_tool("load_skill", {"name": "pdf-forms"})
        assert not one.is_error and one.content[0].text == two.content[0].text
        assert "references/fields.md" in one.content[0].text
        ref = await client.call_tool("read_skill_resource",
                                     {"name": "pdf-forms", "path": "references/fields.md"})
        assert ref.content[0].text.startswith("# Fields")
        bad = await client.call_tool("read_skill_resource",
                                     {"name": "pdf-forms", "path": "../dropper/SKILL.md"})
        assert bad.is_error and "traversal" in bad.content[0].text
        blocked = await client.call_tool("activate_skill", {"name": "dropper"})
        assert blocked.is_error and "no served skill" in blocked.content[0].text
        assert client.server_capabilities.extensions[EXTENSION_ID] == {"directoryRead": True}
        assert "search_skills" in (client.instructions or "")
        found = await client.call_tool("search_skills", {"query": "conventional commit message "
                                                           "for my staged changes", "k": 3})
        assert not found.is_error
        results = found.structured_content["results"]
        assert len(results) == 3
        hit = next(r for r in results if r["name"] == "git-commits")
        assert hit["uri"] == "skill://git-commits/SKILL.md" and hit["tier"] == 2
        bad = await client.call_tool("search_skills", {"query": "", "k": 3})
        assert bad.is_error and "empty" in bad.content[0].text

    session(library_db, check)


def test_legacy_handshake_clients_work(library_db: Path) -> None:
    async def check(client: Client, served: Any) -> None:
        result = await client.call_tool("activate_skill", {"name": "git-commits"})
        assert "Use feat:, fix:, docs:." in result.content[0].text
        assert any(e.uri == "skill://git-commits/SKILL.md" for e in await list_skills(client))

    session(library_db, check, mode="legacy")


def test_skills_list_manifests_match_library_and_reads_verify(library_db: Path) -> None:
    async def check(client: Client, served: Any) -> None:
        entries = await list_skills(client)
        names = [e.frontmatter["name"] for e in entries]
        assert "dropper" not in names and "pdf-forms" in names
        assert len(entries) == len({e.uri for e in entries})
        assert len(entries) == sum(1 for s in served.skills.values() if s.sep_conformant)
        with Library(library_db) as lib:
            for entry in entries:
                skill = served.resolve(entry.uri)
                stored = lib.store.get(skill.id)
                assert entry.frontmatter == stored.frontmatter
                assert entry.uri.rsplit("/", 2)[-2] == entry.frontmatter["name"]
                manifest = {r.uri: (r.digest, r.size) for r in entry.resources}
                assert manifest == {skill.file_uri(f.path): ("sha256:" + f.sha256, f.size)
                                    for f in stored.files}
        pdf = next(e for e in entries if e.frontmatter["name"] == "pdf-forms")
        for entry in entries:  # every byte of every listed file matches the manifest
            for res in entry.resources:
                data = await read_verified(client, entry, res.uri)
                assert hashlib.sha256(data).hexdigest() == res.digest.removeprefix("sha256:")
        logo = await read_verified(client, pdf, "skill://pdf-forms/assets/logo.png")
        assert logo == PNG
        release = [e.uri for e in entries if e.frontmatter["name"] == "release-notes"]
        assert len(release) == 2 and all(u.startswith("skill://s") for u in release)

    session(library_db, check, page_size=7)


def test_skills_get_and_errors(library_db: Path) -> None:
    async def check(client: Client, served: Any) -> None:
        entry = await get_skill(client, "skill://git-commits/SKILL.md")
        assert entry.frontmatter["description"].startswith("Write conventional git commit")
        for uri in ("skill://dropper/SKILL.md", "skill://nope/SKILL.md", "https://x/SKILL.md",
                    "skill://git-commits/README.md"):
            with pytest.raises(MCPError) as err:
                await get_skill(client, uri)
            assert err.value.error.code == INVALID_PARAMS
        children = await read_directory(client, "skill://pdf-forms")
        assert {(c["name"], c.get("mimeType")) for c in children} == {
            ("SKILL.md", "text/markdown"), ("references", "inode/directory"),
            ("scripts", "inode/directory"), ("assets", "inode/directory")}
        inner = await read_directory(client, "skill://pdf-forms/references")
        assert [c["uri"] for c in inner] == ["skill://pdf-forms/references/fields.md"]
        with pytest.raises(MCPError):
            await read_directory(client, "skill://pdf-forms/SKILL.md")

    session(library_db, check)


def test_resources_and_prompt(library_db: Path, tmp_path: Path) -> None:
    async def check(client: Client, served: Any) -> None:
        uris = {r.uri for r in (await client.list_resources()).resources}
        assert "skill://pdf-forms/scripts/fill.py" in uris
        assert not any("dropper" in u for u in uris)
        text = content_bytes(await client.read_resource("skill://git-commits/SKILL.md"))
        assert text.startswith(b"---\nname: git-commits")
        with pytest.raises(MCPError):
            await client.read_resource("skill://dropper/SKILL.md")
        prompt = await client.get_prompt("skill_catalog", {"budget": "600", "format": "md"})
        body = prompt.messages[0].content.text
        assert len(body) <= 600 and body.startswith("# Available skills")
        assert "dropper" not in body
        full = await client.get_prompt("skill_catalog", {"budget": "100000"})
        assert "<name>pdf-forms</name>" in full.messages[0].content.text
        with pytest.raises(MCPError):
            await client.get_prompt("skill_catalog", {"budget": "lots"})

    session(library_db, check)


def test_tier_one_hides_scripts_everywhere(library_db: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[tiers]\ndefault = 1\n")

    async def check(client: Client, served: Any) -> None:
        uris = {r.uri for r in (await client.list_resources()).resources}
        assert "skill://pdf-forms/scripts/fill.py" not in uris
        assert "skill://pdf-forms/references/fields.md" in uris
        with pytest.raises(MCPError):
            await client.read_resource("skill://pdf-forms/scripts/fill.py")
        result = await client.call_tool("read_skill_resource",
                                        {"name": "pdf-forms", "path": "scripts/fill.py"})
        assert result.is_error and "requires tier 2" in result.content[0].text

    session(library_db, check, policy=policy)
