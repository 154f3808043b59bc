"""A self-hosted team registry: an HTTP API, API tokens, a write log and a web UI over one
library. ``Registry`` is the Python API; ``create_app`` the ASGI app; ``RegistryClient`` the
client the CLI uses.

The registry is a shell beside the CLI and MCP: it calls the Library façade (route, audit) and
keeps its own tables (migration 0013): ``registry_tokens``, ``registry_versions``,
``registry_acceptances`` and ``registry_log``.
"""

from __future__ import annotations

from ..sources.skill_archive import UploadError, UploadLimits, pack, pack_folder, read_upload
from .access import Access, BlockedError, ConflictError, ForbiddenError, RegistryError
from .service import Registry
from .tokens import AuthError, Token, TokenError, TokenStore

__all__ = [
    "Access", "AuthError", "BlockedError", "ConflictError", "ForbiddenError", "Registry",
    "RegistryError", "Token", "TokenError", "TokenStore", "UploadError", "UploadLimits",
    "create_app", "pack", "pack_folder", "read_upload",
]


def create_app(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - lazy: Starlette on demand
    from .server import create_app as make

    return make(*args, **kwargs)
