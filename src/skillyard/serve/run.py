"""Run an MCP server over stdio or streamable HTTP (uvicorn), reporting the bound address."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from mcp.server.mcpserver import MCPServer

from ..errors import SkillyardError

HTTP_PATH = "/mcp"


def run_stdio(server: MCPServer) -> None:
    """Serve on stdin/stdout until the client closes the stream."""
    anyio.run(server.run_stdio_async)


def run_http(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP at ``http://HOST:PORT/mcp`` (port 0 picks a free port)."""
    import uvicorn

    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on")
    httpd = uvicorn.Server(config)
    logging.getLogger("mcp").setLevel(logging.WARNING)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            async def announce() -> None:
                while not httpd.started:
                    if httpd.should_exit:
                        return
                    await anyio.sleep(0.02)
                sock = httpd.servers[0].sockets[0].getsockname()
                shown = f"[{sock[0]}]" if ":" in sock[0] else sock[0]
                if on_ready is not None:
                    on_ready(f"http://{shown}:{sock[1]}{HTTP_PATH}")

            tg.start_soon(announce)
            await httpd.serve()
            tg.cancel_scope.cancel()

    try:
        anyio.run(main)
    except OSError as exc:
        raise SkillyardError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    if httpd.started is False and httpd.should_exit:
        raise SkillyardError(f"cannot listen on {host}:{port}")
