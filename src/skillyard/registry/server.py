"""The registry as an ASGI app (Starlette) and a uvicorn runner."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Route

from ..library import Library
from ..serve.run import listen
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
    limiter = limiter or FailureLimiter()
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
    import uvicorn

    sock = sock if sock is not None else listen(host, port)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_keep_alive=30)
    httpd = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            async def announce() -> None:
                while not httpd.started and not httpd.should_exit:
                    await anyio.sleep(0.02)
                if httpd.started and on_ready is not None:
                    on_ready(f"http://{shown}:{bound[1]}")

            tg.start_soon(announce)
            await httpd.serve(sockets=[sock])
            tg.cancel_scope.cancel()

    try:
        anyio.run(main)
    finally:
        sock.close()
