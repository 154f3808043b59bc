"""Machine inventory: every agent's skills and MCP servers, audited in one pass, unchanged.

``scan(home=..., projects=[...], root=...)`` returns an ``Inventory``; ``to_sarif_inventory``
and ``to_html`` render it. Where MCP configs live is data (``mcp_configs.toml``), like the
agents' skill folders (``sources/agents.toml``).
"""

from .mcp import McpServer, Problem, config_specs, read_config
from .report import to_html, to_sarif_inventory
from .risks import assess
from .scan import Inventory, SkillRecord, project_roots, scan

__all__ = [
    "Inventory", "McpServer", "Problem", "SkillRecord", "assess", "config_specs",
    "project_roots", "read_config", "scan", "to_html", "to_sarif_inventory",
]
