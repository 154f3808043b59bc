"""The API layer: the one Python interface the CLI, MCP and HTTP shells sit on.

``library/`` below it is the store alone; the capabilities (sources, audit, route, learn,
evaluate) sit between the two, and :class:`Library` here ties them together.
"""

from .library import IndexReport, Library

__all__ = ["IndexReport", "Library"]
