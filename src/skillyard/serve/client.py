"""Host-side helpers for the skills extension over the SDK's ``Client``: list, get, verify.

A host lists skills (every page), and verifies each file it reads against the entry's size
and digest before using it, as SEP-2640 requires. The demo, tests and benchmark use these.
"""

from __future__ import annotations

import base64
from typing import Any

from mcp import Client

from ..errors import FindingError
from .protocol import (
    DirectoryReadParams,
    DirectoryReadRequest,
    DirectoryReadResult,
    GetSkillParams,
    GetSkillRequest,
    GetSkillResult,
    ListSkillsRequest,
    ListSkillsResult,
    SkillEntry,
    verify,
)


class VerificationError(FindingError):
    """Content read from a server does not match the skill entry's size or digest."""


async def list_skills(client: Client) -> list[SkillEntry]:
    """Every entry of ``skills/list``, following ``nextCursor``."""
    from mcp_types import PaginatedRequestParams

    out: list[SkillEntry] = []
    cursor: str | None = None
    while True:
        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await client.session.send_request(ListSkillsRequest(params=params),
                                                 ListSkillsResult)
        out.extend(page.skills)
        cursor = page.next_cursor
        if not cursor:
            return out


async def get_skill(client: Client, uri: str) -> SkillEntry:
    result = await client.session.send_request(
        GetSkillRequest(params=GetSkillParams(uri=uri)), GetSkillResult)
    return result.skill


async def read_directory(client: Client, uri: str) -> list[dict[str, Any]]:
    result = await client.session.send_request(
        DirectoryReadRequest(params=DirectoryReadParams(uri=uri)), DirectoryReadResult)
    return [r.model_dump(by_alias=True, exclude_none=True) for r in result.resources]


def content_bytes(result: Any) -> bytes:
    """The bytes of a ``resources/read`` result (text as UTF-8, blobs decoded)."""
    item = result.contents[0]
    text = getattr(item, "text", None)
    if text is not None:
        return text.encode("utf-8")
    return base64.b64decode(item.blob)


async def read_verified(client: Client, entry: SkillEntry, uri: str) -> bytes:
    """Read one file of a skill and check it against the held entry (unlisted = failure)."""
    if entry.resources == "dynamic":
        raise VerificationError(f"{entry.uri}: dynamic skills cannot be verified")
    listed = next((r for r in entry.resources if r.uri == uri), None)
    if listed is None:
        raise VerificationError(f"{uri} is not listed in the entry of {entry.uri}")
    data = content_bytes(await client.read_resource(uri))
    if not verify(listed, data):
        raise VerificationError(f"{uri}: content does not match its size and digest")
    return data
