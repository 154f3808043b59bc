"""A registry served over real HTTP (uvicorn on a free loopback port) in a thread, and skill
folders to publish."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import uvicorn

from conftest import write_skill
from skillyard import Library
from skillyard.registry import Registry, UploadLimits, create_app
from skillyard.registry.access import Access
from skillyard.registry.tokens import Token
from skillyard.serve.run import listen
from support.gitrepo import BLOCKED_BODY

LOCAL_ADMIN = Access(Token("local", "test", "admin", ("*",), "", "test"))


@contextmanager
def running(db: str, *, anonymous_read: tuple[str, ...] = (), web: bool = True,
            max_upload: int = 2 * 1024 * 1024, limit: int = 10,
            mcp: bool = False) -> Iterator[tuple[str, Registry]]:
    """(base URL, Registry) of a registry served in this process until the block ends."""
    from skillyard.registry.http import FailureLimiter

    lib = Library(db)
    registry = Registry(lib, anonymous_read=anonymous_read,
                        limits=UploadLimits(max_upload=max_upload, max_file=max_upload))
    app = create_app(registry, web=web, limiter=FailureLimiter(limit=limit, window=60),
                     mcp_library=(lambda: Library(db)) if mcp else None)
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("registry server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", registry
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        lib.close()


def token(registry: Registry, role: str, scope: str = "*", **kw: object) -> str:
    return registry.create_token(LOCAL_ADMIN, role=role, scope=scope, **kw)[1]


def skill_folder(root: Path, name: str = "pdf-forms", *, version: str | None = None,
                 body: str = "\n# PDF forms\n\nRead references/fields.md first.\n",
                 description: str = "Fill and extract PDF form fields. Use when a task "
                 "involves PDF forms.", files: dict[str, str | bytes] | None = None) -> Path:
    extra = f"version: \"{version}\"\n" if version else ""
    return write_skill(root, name, description, body=body, extra=extra,
                       files=files if files is not None else
                       {"references/fields.md": "# Fields\n\nText, checkbox, radio.\n"})


def blocked_folder(root: Path) -> Path:
    return write_skill(root, "table-helper", "Formats tables. Use when formatting tables.",
                       body=BLOCKED_BODY)


def client(**kw: object) -> httpx.Client:
    """An HTTP client with room for a publish (audit + index) on a busy machine."""
    return httpx.Client(timeout=60, **kw)
