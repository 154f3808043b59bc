"""An agent host's session with `skillyard serve`: search, activate, read a verified resource.

Run: SKILLYARD_DB=demo.db .venv/bin/python examples/mcp_session.py ["TASK"]

It launches `skillyard serve` over stdio with the official MCP client, as a host would, and
prints each step. The resource read is checked against the size and sha256 digest that the
SEP-2640 `skills/list` entry announced.
"""

from __future__ import annotations

import os
import sys
import textwrap

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from skillyard.serve.client import get_skill, read_verified
from skillyard.serve.protocol import EXTENSION_ID

TASK = "build an MCP server that wraps a REST API"


def show(label: str, text: str, lines: int = 8) -> None:
    print(f"\n> {label}")
    body = text.strip().splitlines()
    for line in body[:lines]:
        print("  " + textwrap.shorten(line, 110, placeholder=" …") if line.strip() else "")
    if len(body) > lines:
        print(f"  … ({len(body) - lines} more lines)")


async def main(task: str) -> None:
    server = StdioServerParameters(command=sys.executable, args=["-m", "skillyard", "serve"],
                                   env=dict(os.environ))
    async with Client(server) as client:
        ext = client.server_capabilities.extensions or {}
        tools = [t.name for t in (await client.list_tools()).tools]
        print(f"connected: protocol {client.protocol_version}; tools {', '.join(tools)}; "
              f"{EXTENSION_ID} {'yes' if EXTENSION_ID in ext else 'no'}")

        found = await client.call_tool("search_skills", {"query": task, "k": 3})
        if found.is_error:
            raise SystemExit(found.content[0].text)
        hits = found.structured_content["results"]
        show(f'search_skills("{task}", k=3)', "\n".join(
            f"{i}. {h['name']}  score {h['score']}  tier {h['tier']}  {h['uri']}"
            for i, h in enumerate(hits, 1)) or "(no skill fits)")
        if not hits:
            return
        best = hits[0]
        activated = await client.call_tool("activate_skill", {"name": best["id"]})
        show(f'activate_skill("{best["name"]}")', activated.content[0].text, lines=12)

        entry = await get_skill(client, best["uri"])
        files = [r for r in entry.resources if not r.uri.endswith("/SKILL.md")]
        files.sort(key=lambda r: ("reference" not in r.uri, not r.uri.endswith(".md")))
        target = files[0] if files else entry.resources[0]
        data = await read_verified(client, entry, target.uri)
        show(f"resources/read {target.uri}  ({len(data)} bytes, {target.digest[:19]}… "
             "verified against skills/get)", data.decode("utf-8", "replace"), lines=6)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else TASK)
