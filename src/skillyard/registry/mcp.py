"""MCP behind bearer tokens.

``McpGateway`` mounts the existing MCP server (``skillyard.serve``) in the registry at ``/mcp``
(streamable HTTP, stateless): each caller is authenticated with the registry's tokens and gets
an MCP server over the registry skills its scope covers, so a token for ``team/*`` never sees
another namespace listed, searched or read. The served set is rebuilt when something is
published, yanked or re-audited.

``BearerGate`` puts the same tokens in front of ``skillyard serve --transport http``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api import Library
from .access import Access
from .http import FailureLimiter, RateLimited, anonymous_off, caller, error_response
from .records import current_versions
from .service import Registry
from .tokens import AuthError, TokenStore

MCP_PATH = "/mcp"


class McpGateway:
    """An ASGI app serving MCP per token scope; its ``lifespan`` runs the session managers."""

    def __init__(self, registry: Registry, limiter: FailureLimiter,
                 open_library: Callable[[], Library], *, host: str = "127.0.0.1") -> None:
        self.registry = registry
        self.limiter = limiter
        self.open_library = open_library
        self.host = host
        self._lock = threading.Lock()
        self._alock = anyio.Lock()
        self._library: Library | None = None
        self._base: Any = None
        self._fingerprint: Any = None
        self._apps: dict[tuple[str, ...], tuple[Any, ASGIApp, anyio.CancelScope]] = {}
        self._tg: anyio.abc.TaskGroup | None = None

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
                if self._library is not None:
                    self._library.close()

    def _state(self) -> Any:
        with self.registry.lock:
            rows = self.registry.store.query(
                "SELECT COUNT(*), MAX(published_at), MAX(audited_at), "
                "SUM(CASE WHEN status = 'yanked' THEN 1 ELSE 0 END) FROM registry_versions")
        return tuple(rows[0])

    def _view(self, scope: tuple[str, ...]) -> Any:
        """The served set (audited, digest-checked) cut down to what ``scope`` may read."""
        from ..serve import open_served
        from .tokens import scope_covers

        with self._lock:
            if self._library is None:
                self._library = self.open_library()
            if self._base is None or self._fingerprint != self._state():
                self._fingerprint = self._state()
                self._base = open_served(self._library, policy=self.registry.policy_path,
                                         accepted=self.registry.accepted_findings)
            base = self._base
        with self.registry.lock:
            live = {r.skill_id: r for r in current_versions(self.registry.store)}
        keep = {sid: s for sid, s in base.skills.items()
                if sid in live and live[sid].version == s.version
                and scope_covers(scope, live[sid].path)}
        view = copy.copy(base)
        view.skills = keep
        view._by_name = {}
        for sid in sorted(keep, key=lambda i: (keep[i].name, i)):
            view._by_name.setdefault(keep[sid].name, []).append(sid)
        view._by_path = {s.skill_path: sid for sid, s in keep.items()}
        return view

    async def _app_for(self, scope: tuple[str, ...]) -> ASGIApp:
        """The MCP app of one scope, rebuilt (and the old one stopped) when the registry's
        published state changed."""
        async with self._alock:
            state = await run_in_threadpool(self._state)
            known = self._apps.get(scope)
            if known is not None and known[0] == state:
                return known[1]
            if self._tg is None:
                raise RuntimeError("the MCP gateway needs the app's lifespan to run")
            from ..serve import build_server

            view = await run_in_threadpool(self._view, scope)
            server = build_server(view)
            app = server.streamable_http_app(streamable_http_path=MCP_PATH,
                                             stateless_http=True, host=self.host)
            cancel = anyio.CancelScope()
            started = anyio.Event()

            async def run(manager: Any = server.session_manager) -> None:
                with cancel:
                    async with manager.run():
                        started.set()
                        await anyio.sleep_forever()

            self._tg.start_soon(run)
            await started.wait()
            if known is not None:
                known[2].cancel()
            self._apps[scope] = (state, app, cancel)
            return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            access = await caller(self.registry, self.limiter, request)
            anonymous_off(self.registry, access)
        except RateLimited as exc:
            response = error_response(exc)
            response.headers["Retry-After"] = str(exc.wait)
            await response(scope, receive, send)
            return
        except AuthError as exc:
            await error_response(exc)(scope, receive, send)
            return
        app = await self._app_for(_scope_of(access))
        inner = dict(scope)
        inner["path"] = MCP_PATH
        inner["raw_path"] = MCP_PATH.encode()
        inner["root_path"] = ""
        await app(inner, receive, send)


def _scope_of(access: Access) -> tuple[str, ...]:
    globs = tuple(access.token.scope) if access.token else ()
    return tuple(sorted(set(globs) | set(access.anonymous_scope)))


class BearerGate:
    """ASGI middleware: every request needs a valid registry token (role read or more) of the
    served library, checked in constant time; failures are rate-limited."""

    def __init__(self, app: ASGIApp, library: Library,
                 limiter: FailureLimiter | None = None) -> None:
        self.app = app
        self.tokens = TokenStore(library.store)
        self.limiter = limiter or FailureLimiter()
        self._lock = threading.Lock()

    def _verify(self, secret: str) -> None:
        with self._lock:
            self.tokens.verify(secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.retry_after(client)
        try:
            if wait:
                raise RateLimited(wait)
            header = request.headers.get("authorization", "")
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise AuthError("this MCP server needs a token: Authorization: Bearer TOKEN")
            try:
                await run_in_threadpool(self._verify, secret.strip())
            except AuthError:
                self.limiter.failed(client)
                raise
        except (AuthError, RateLimited) as exc:
            response = error_response(exc)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.wait)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
