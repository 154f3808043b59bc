"""Serve a library to agents over MCP with progressive disclosure, gated by the audit policy.

``create_server(library, policy=...)`` audits every skill (blocked ones are never served) and
returns an ``MCPServer`` with the tools ``search_skills``, ``activate_skill``/``load_skill`` and
``read_skill_resource``, ``skill://`` resources, the ``skill_catalog`` prompt and the SEP-2640
skills extension. ``run_stdio`` and ``run_http`` start it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from ..api import Library
from ..audit.gate import AuditUnavailableError, Decision, Gate, PolicyRefusal
from ..route.rerank import Reranker
from .registry import IntegrityError, ServedLibrary, ServedSkill
from .run import run_http, run_stdio
from .server import build_server

__all__ = [
    "AuditUnavailableError", "Decision", "Gate", "IntegrityError", "PolicyRefusal",
    "ServedLibrary", "ServedSkill", "build_server", "create_server", "open_served",
    "run_http", "run_stdio",
]


def open_served(
    library: Library,
    *,
    policy: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    accepted: Callable[[str, str], set[tuple[str, str]]] | None = None,
    reranker: str | Reranker | None = None,
) -> ServedLibrary:
    """Audit the library under ``policy`` and keep what may be served (``accepted``: the
    findings a registry's admins accepted, left out of each verdict; see audit.gate.Gate).
    ``reranker`` (a name: "body", "llm", "none"; or a Reranker) is what search_skills reranks
    with."""
    from ..route.api import make_reranker

    chosen = make_reranker(reranker)  # an unknown name or a missing LLM setting fails here
    return ServedLibrary(library, Gate(library, policy, accepted=accepted), progress=progress,
                         reranker=chosen)


def create_server(
    library: Library,
    *,
    policy: str | Path | None = None,
    catalog_budget: int | None = 2000,
    progress: Callable[[int], None] | None = None,
    reranker: str | Reranker | None = None,
) -> MCPServer:
    """An MCP server over ``library`` (audited under ``policy``), ready to run."""
    served = open_served(library, policy=policy, progress=progress, reranker=reranker)
    return build_server(served, catalog_budget=catalog_budget)
