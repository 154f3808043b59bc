"""The MCP server: tools, ``skill://`` resources, the catalog prompt and the skills extension.

Built on the official SDK's ``MCPServer``. Every tool and resource goes through a
ServedLibrary, so policy-blocked skills are never served and every byte is digest-checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import Resource
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ToolAnnotations
from pydantic import Field

from .._version import __version__
from ..errors import NotFoundError, SkillyardError
from ..library.disclosure import FORMATS
from ..library.files import is_text, mime_type
from . import tools
from .registry import ServedLibrary, ServedSkill
from .skills_ext import SkillsExtension

SERVER_NAME = "skillyard"
DEFAULT_PROMPT_BUDGET = 8000
MAX_PROMPT_BUDGET = 10_000_000
INSTRUCTIONS = """\
This server holds a library of agent skills (SKILL.md packages), vetted by an auditor.
Use them by progressive disclosure:
1. search_skills(query, k) finds the skills that fit a task (name, description, score, tier).
2. activate_skill(name) (alias load_skill) returns a skill's instructions and its file list.
3. read_skill_resource(name, path) reads one of its files when the instructions point to it.
Tier 0 skills are listed only; tier 1 may be read (instructions and references); scripts need
tier 2. The skill_catalog prompt lists every skill within a character budget, and hosts that
implement the io.modelcontextprotocol/skills extension can use skills/list and skills/get.
"""

_READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                             open_world_hint=False)


class SkillFileResource(Resource):
    """One file of a served skill; read lazily and verified against its digest."""

    served: Any = Field(exclude=True)
    skill_id: str
    path: str

    async def read(self) -> str | bytes:
        served: ServedLibrary = self.served
        skill = served.skills[self.skill_id]
        try:
            data = await anyio.to_thread.run_sync(served.read_file, skill, self.path)
        except NotFoundError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        except SkillyardError as exc:
            raise ResourceError(str(exc)) from None
        if is_text(data) and self.mime_type != "application/octet-stream":
            return data.decode("utf-8")
        return data


def _tool_call(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except (SkillyardError, ValueError) as exc:
        raise ToolError(str(exc)) from None


def _resources(served: ServedLibrary, skill: ServedSkill) -> list[SkillFileResource]:
    out = []
    for entry in skill.files:
        try:
            served.check_file(skill, entry.path)
        except SkillyardError:
            continue  # not readable under the policy (tier) or not available: not listed
        is_md = entry.path == "SKILL.md"
        out.append(SkillFileResource(
            uri=skill.file_uri(entry.path),
            name=skill.name if is_md else entry.path,
            description=skill.description if is_md else f"{entry.path} of skill {skill.name}",
            mime_type=mime_type(entry.path),
            meta={"dev.skillyard/sha256": entry.sha256, "dev.skillyard/tier": skill.tier,
                  **({"dev.skillyard/signer": skill.signer} if skill.signer else {})},
            served=served, skill_id=skill.id, path=entry.path,
        ))
    return out


def build_server(
    served: ServedLibrary,
    *,
    name: str = SERVER_NAME,
    catalog_budget: int | None = 2000,
) -> MCPServer:
    """An MCPServer over ``served`` (not started)."""
    instructions = INSTRUCTIONS
    if catalog_budget and served.skills:
        instructions += "\n" + tools.render_catalog(served, catalog_budget, "xml")
    server: MCPServer = MCPServer(
        name, version=__version__, instructions=instructions, log_level="WARNING",
        extensions=[SkillsExtension(served)], warn_on_duplicate_resources=False,
    )

    @server.tool(annotations=_READ_ONLY)
    def search_skills(query: str, k: int = 5) -> dict[str, Any]:
        """Find the skills that fit a task. Returns up to k results (best first) with name,
        description, score, trust tier and skill:// URI. Activate one with activate_skill."""
        return _tool_call(tools.search_skills, served, query, k)

    @server.tool(annotations=_READ_ONLY)
    def activate_skill(name: str) -> str:
        """Load a skill's instructions (SKILL.md body) and the list of its files. Pass the
        skill's name (or its id when names are ambiguous)."""
        return _tool_call(tools.activate_skill, served, name)

    @server.tool(annotations=_READ_ONLY)
    def load_skill(name: str) -> str:
        """Alias of activate_skill: load a skill's instructions and the list of its files."""
        return _tool_call(tools.activate_skill, served, name)

    @server.tool(annotations=_READ_ONLY)
    def read_skill_resource(name: str, path: str) -> str:
        """Read one file of a skill (a reference, template or script) by its path relative to
        the skill folder, as listed by activate_skill. Scripts need trust tier 2."""
        return _tool_call(tools.read_skill_resource, served, name, path)

    @server.prompt(name="skill_catalog")
    def skill_catalog(budget: str = str(DEFAULT_PROMPT_BUDGET), format: str = "xml") -> str:
        """The catalog of available skills (names and descriptions) within a character
        budget; format is xml, json or md."""
        # bad arguments are the client's error (-32602), never an internal one with a traceback
        try:
            chars = int(str(budget).strip())
        except ValueError:
            raise MCPError(INVALID_PARAMS, f"budget must be a number of characters, not "
                           f"{budget!r}") from None
        if not 1 <= chars <= MAX_PROMPT_BUDGET:
            raise MCPError(INVALID_PARAMS, f"budget must be between 1 and {MAX_PROMPT_BUDGET} "
                           f"characters, not {chars}")
        if format not in FORMATS:
            raise MCPError(INVALID_PARAMS, f"unknown format {format!r}; use one of "
                           f"{', '.join(FORMATS)}")
        return tools.render_catalog(served, chars, format)

    for skill in served.skills.values():
        if skill.tier >= 1:
            for resource in _resources(served, skill):
                server.add_resource(resource)
    return server
