"""The registry as an ASGI app (Starlette) and a uvicorn runner."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Route

from ..api import Library
from ..serve.run import listen, serve_asgi
from .api import api_routes
from .http import FailureLimiter
from .service import Registry


def create_app(registry: Registry, *, limiter: FailureLimiter | None = None,
               web: bool = True, allowed_hosts: list[str] | None = None,
               mcp_library: Callable[[], Library] | None = None,
               host: str = "127.0.0.1") -> Starlette:
    """The JSON API, the well-known index, (``web``) the web UI and (``mcp_library``: opens
    a second connection to the same library for the MCP server) MCP at /mcp, all behind the
    registry's tokens."""
    limiter = limiter or FailureLimiter(store=registry.store, lock=registry.lock)
    routes: list[BaseRoute] = []
    lifespan = None
    if mcp_library is not None:
        from .mcp import MCP_PATH, McpGateway

        gateway = McpGateway(registry, limiter, mcp_library, host=host)
        routes.append(Route(MCP_PATH, gateway, methods=["GET", "POST", "DELETE"]))
        lifespan = gateway.lifespan
    if web:
        from .web import web_routes

        routes += web_routes(registry, limiter)
    routes += api_routes(registry, limiter)
    middleware = []
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.registry = registry
    return app


def run(app: Starlette, *, host: str = "127.0.0.1", port: int = 8080,
        sock: socket.socket | None = None,
        on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (port 0 picks a free port; ``on_ready`` gets the base URL).
    Access logging is off: request lines would carry nothing secret, but headers never are
    logged either way."""
    sock = sock if sock is not None else listen(host, port)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    serve_asgi(app, sock, on_ready=on_ready, keep_alive=30)
