"""Run an MCP server over stdio or streamable HTTP (uvicorn), reporting the bound address."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from ..errors import SkillyardError

HTTP_PATH = "/mcp"


def run_stdio(server: MCPServer) -> None:
    """Serve on stdin/stdout until the client closes the stream."""
    anyio.run(server.run_stdio_async)


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a busy port is one clear error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise SkillyardError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise SkillyardError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    sock.setblocking(False)
    return sock


def run_http(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    sock: socket.socket | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> None:
    """Serve streamable HTTP at ``http://HOST:PORT/mcp`` (port 0 picks a free port); ``sock``
    is a socket already bound with ``listen`` (then host and port are not used to bind);
    ``wrap`` puts ASGI middleware (such as token auth) in front of the app."""
    sock = sock if sock is not None else listen(host, port)
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    if wrap is not None:
        app = wrap(app)
    logging.getLogger("mcp").setLevel(logging.WARNING)
    serve_asgi(app, sock, path=HTTP_PATH, on_ready=on_ready)


def serve_asgi(app: Any, sock: socket.socket, *, path: str = "",
               on_ready: Callable[[str], None] | None = None, keep_alive: int = 5) -> None:
    """Run an ASGI app on a bound socket until stopped; ``on_ready`` gets the URL (``path``
    appended) once uvicorn accepts connections. Access logging is off."""
    import uvicorn

    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    fast = _fast_loop()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_keep_alive=keep_alive,
                            http="httptools" if fast else "auto")
    httpd = uvicorn.Server(config)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            async def announce() -> None:
                while not httpd.started and not httpd.should_exit:
                    await anyio.sleep(0.02)
                if httpd.started and on_ready is not None:
                    on_ready(f"http://{shown}:{bound[1]}{path}")

            tg.start_soon(announce)
            await httpd.serve(sockets=[sock])
            tg.cancel_scope.cancel()

    try:
        anyio.run(main, backend_options={"use_uvloop": fast})
    finally:
        sock.close()


def _fast_loop() -> bool:
    """uvloop and httptools (C event loop and HTTP parser) when installed; else asyncio's.
    ``SKILLYARD_FAST_LOOP=0`` turns them off (bench/registry.py measures both)."""
    if os.environ.get("SKILLYARD_FAST_LOOP", "1") == "0":
        return False
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True
