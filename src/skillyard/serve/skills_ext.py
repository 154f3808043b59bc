"""The SEP-2640 skills extension on the SDK's extension mechanism (SEP-2133).

``skills/list`` pages through every served skill that conforms to the Agent Skills naming rules
and the extension's limits; ``skills/get`` answers for one ``SKILL.md`` URI; and
``resources/directory/read`` lists a skill directory's direct children from its manifest.
Tier-0 skills (metadata only) are not published here, since their files cannot be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import Extension, MethodBinding
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PaginatedRequestParams

from ..library.files import mime_type
from .protocol import (
    DIGEST_PREFIX,
    EXTENSION_ID,
    DirectoryEntry,
    DirectoryReadParams,
    DirectoryReadResult,
    GetSkillParams,
    GetSkillResult,
    ListSkillsResult,
    SkillEntry,
    SkillResource,
)
from .registry import ServedLibrary, ServedSkill

PAGE_SIZE = 200
TTL_MS = 60_000


def skill_entry(skill: ServedSkill) -> SkillEntry:
    """The SEP-2640 entry: verbatim frontmatter and a complete manifest with digests."""
    return SkillEntry(
        uri=skill.uri,
        frontmatter=skill.frontmatter,
        resources=[
            SkillResource(uri=skill.file_uri(f.path), digest=DIGEST_PREFIX + f.sha256, size=f.size)
            for f in skill.files
        ],
    )


def _offset(cursor: str | None, total: int) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > total:
        raise MCPError(code=INVALID_PARAMS, message=f"invalid cursor {cursor!r}")
    return int(cursor)


class SkillsExtension(Extension):
    """``io.modelcontextprotocol/skills`` served from a ServedLibrary."""

    identifier = EXTENSION_ID

    def __init__(self, served: ServedLibrary, *, page_size: int = PAGE_SIZE) -> None:
        self.served = served
        self.page_size = page_size
        self.listed = [s for s in served.skills.values() if s.sep_conformant]

    def settings(self) -> dict[str, Any]:
        return {"directoryRead": True}

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
            MethodBinding("resources/directory/read", DirectoryReadParams, self._directory),
        )

    async def _list(self, ctx: Any, params: PaginatedRequestParams) -> ListSkillsResult:
        start = _offset(params.cursor, len(self.listed))
        page = self.listed[start:start + self.page_size]
        end = start + len(page)
        return ListSkillsResult(
            skills=[skill_entry(s) for s in page],
            next_cursor=str(end) if end < len(self.listed) else None,
            ttl_ms=TTL_MS, cache_scope="private",
        )

    def _skill_at(self, uri: str) -> ServedSkill:
        if not uri.startswith("skill://") or not uri.endswith("/SKILL.md"):
            raise MCPError(code=INVALID_PARAMS, message=f"{uri} is not the URI of a SKILL.md")
        path = uri.removeprefix("skill://").removesuffix("/SKILL.md")
        skill = self.served.by_skill_path(path)
        if skill is None or not skill.sep_conformant:
            raise MCPError(code=INVALID_PARAMS, message=f"No skill is served at {uri}")
        return skill

    async def _get(self, ctx: Any, params: GetSkillParams) -> GetSkillResult:
        skill = self._skill_at(params.uri)
        return GetSkillResult(skill=skill_entry(skill), ttl_ms=TTL_MS, cache_scope="private")

    async def _directory(self, ctx: Any, params: DirectoryReadParams) -> DirectoryReadResult:
        uri = params.uri.rstrip("/")
        try:
            skill, sub = self.served.split_uri(uri + "/")
        except Exception:
            raise MCPError(code=INVALID_PARAMS, message=f"{uri} is not a directory resource")\
                from None
        prefix = sub.rstrip("/")
        children: dict[str, DirectoryEntry] = {}
        for entry in skill.files:
            if prefix and not entry.path.startswith(prefix + "/"):
                continue
            rest = entry.path[len(prefix) + 1:] if prefix else entry.path
            head, sep, _ = rest.partition("/")
            child = f"{prefix}/{head}" if prefix else head
            if sep:
                children.setdefault(head, DirectoryEntry(
                    uri=skill.file_uri(child), name=head, mime_type="inode/directory"))
            else:
                children[head] = DirectoryEntry(
                    uri=skill.file_uri(child), name=head, mime_type=mime_type(child))
        if prefix and not children:
            raise MCPError(code=INVALID_PARAMS, message=f"{uri} is not a directory resource")
        items = [children[k] for k in sorted(children)]
        start = _offset(params.cursor, len(items))
        page = items[start:start + self.page_size]
        end = start + len(page)
        return DirectoryReadResult(
            resources=page, next_cursor=str(end) if end < len(items) else None,
            ttl_ms=TTL_MS, cache_scope="private",
        )
