"""Wire types of the MCP Skills extension (SEP-2640, ``io.modelcontextprotocol/skills``).

The official SDK does not ship them yet, so they are defined here on its base models and used
by both the server extension and the client helpers.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from mcp_types import CacheableResult, PaginatedRequestParams, Request, RequestParams
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

EXTENSION_ID = "io.modelcontextprotocol/skills"
DIGEST_PREFIX = "sha256:"


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class SkillResource(_Wire):
    uri: str
    digest: str  # "sha256:<64 lowercase hex>"
    size: int


class SkillEntry(_Wire):
    uri: str
    frontmatter: dict[str, Any]
    resources: list[SkillResource] | Literal["dynamic"]


class ListSkillsResult(CacheableResult):
    result_type: str = "complete"
    skills: list[SkillEntry] = Field(default_factory=list)
    next_cursor: str | None = None


class GetSkillParams(RequestParams):
    uri: str


class GetSkillResult(CacheableResult):
    result_type: str = "complete"
    skill: SkillEntry


class DirectoryReadParams(PaginatedRequestParams):
    uri: str


class DirectoryEntry(_Wire):
    uri: str
    name: str
    mime_type: str | None = None


class DirectoryReadResult(CacheableResult):
    result_type: str = "complete"
    resources: list[DirectoryEntry] = Field(default_factory=list)
    next_cursor: str | None = None


class ListSkillsRequest(Request[PaginatedRequestParams | None, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"
    params: PaginatedRequestParams | None = None


class GetSkillRequest(Request[GetSkillParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"
    params: GetSkillParams


class DirectoryReadRequest(Request[DirectoryReadParams, Literal["resources/directory/read"]]):
    method: Literal["resources/directory/read"] = "resources/directory/read"
    params: DirectoryReadParams


def digest_of(data: bytes) -> str:
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def verify(entry: SkillResource, data: bytes) -> bool:
    """Host-side check of one read against its manifest entry (size first, then digest)."""
    return len(data) == entry.size and digest_of(data) == entry.digest
