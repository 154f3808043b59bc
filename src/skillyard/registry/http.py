"""Shared HTTP plumbing: credentials from a request, failed-auth rate limiting, JSON errors."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import AmbiguousNameError, NotFoundError, SkillyardError
from ..library.store import Store
from ..sources.skill_archive import UploadError
from ..utf8 import readable
from .access import Access, BlockedError, RegistryError
from .cache import CacheMiss, cache_only, checked_once
from .service import Registry
from .tokens import AuthError, TokenError

COOKIE = "skillyard_token"
LOG = logging.getLogger("skillyard.registry")
T = TypeVar("T")


class FailureLimiter:
    """At most ``limit`` failed authentications per client address in ``window`` seconds;
    past that, every request from the address is refused (429) until the window moves on.
    With a ``store`` the failures live in the database (``registry_auth_failures``), so every
    server process over it counts the same failures; without one, in this process only.
    An address found without any failure is not queried again for ``CLEAR_FOR`` seconds (a
    failure here ends that at once; one in another process is seen that much later)."""

    CLEAR_FOR = 1.0

    def __init__(self, limit: int = 10, window: float = 60.0, *, store: Store | None = None,
                 lock: Any = None) -> None:
        self.limit = limit
        self.window = window
        self.store = store
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._store_lock = lock if lock is not None else threading.RLock()
        self._clear: dict[str, float] = {}  # address -> until when it had no failures

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def known_wait(self, client: str) -> int | None:
        """``retry_after`` when it needs no database query (the in-process limiter, or an
        address found clean a moment ago), else None: ask ``retry_after`` in a thread."""
        if self.store is None:
            return self.retry_after(client)
        with self._lock:
            return 0 if self._clear.get(client, 0.0) > time.monotonic() else None

    def retry_after(self, client: str) -> int:
        """Seconds to wait, or 0 when the client may try."""
        if self.store is not None:
            with self._lock:  # no failure from this address a moment ago: skip the query
                if self._clear.get(client, 0.0) > time.monotonic():
                    return 0
            with self._store_lock:
                with self._lock:  # another thread found it clean while this one waited
                    if self._clear.get(client, 0.0) > time.monotonic():
                        return 0
                now = time.time()
                rows = self.store.query(
                    "SELECT COUNT(*), MIN(at) FROM registry_auth_failures "
                    "WHERE client = ? AND at > ?", (client, now - self.window))
            count, first = rows[0] if rows else (0, None)
            if not count:
                with self._lock:
                    if len(self._clear) > 10_000:
                        self._clear.clear()
                    self._clear[client] = time.monotonic() + self.CLEAR_FOR
            if int(count or 0) < self.limit or first is None:
                return 0
            return max(1, int(float(first) + self.window - now) + 1)
        with self._lock:
            now = time.monotonic()
            times = self._recent(client, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(times[0] + self.window - now) + 1)

    def failed(self, client: str) -> None:
        with self._lock:
            self._clear.pop(client, None)
        if self.store is not None:
            now = time.time()
            with self._store_lock, self.store.transaction():
                self.store.execute("DELETE FROM registry_auth_failures WHERE at <= ?",
                                   (now - self.window,))
                self.store.execute("INSERT INTO registry_auth_failures (client, at) "
                                   "VALUES (?, ?)", (client[:200], now))
            return
        with self._lock:
            self._recent(client, time.monotonic()).append(time.monotonic())


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    # a message may echo a request's lone surrogate (utf8.py), which has no UTF-8
    return JSONResponse({"error": readable(message), "status": status, **extra},
                        status_code=status)


def status_of(exc: Exception) -> int:
    if isinstance(exc, AuthError):
        return 401
    if isinstance(exc, RegistryError | UploadError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AmbiguousNameError | TokenError | SkillyardError | ValueError):
        return 400
    return 500


def error_response(exc: Exception) -> JSONResponse:
    status = status_of(exc)
    if status == 500:
        LOG.error("internal error: %s", exc, exc_info=exc)
        return error(500, "internal error; see the server log")
    extra = {"report": exc.report} if isinstance(exc, BlockedError) else {}
    response = error(status, str(exc), **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="skillyard"'
    return response


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def presented_token(request: Request, *, cookie: bool = False) -> str | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else header
    if cookie:
        return request.cookies.get(COOKIE) or None
    return None


async def cached_call(registry: Registry, fn: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
    """``fn(*args)`` answered on the event loop when every read it makes is cached (no thread
    hop), else run in a thread. Only for registry reads that reach the database through the
    read cache alone (search, describe, versions, list_skills, download, authenticate)."""
    if registry.cache.enabled:
        try:
            with cache_only():
                value = fn(*args, **kwargs)
            registry.cache.fast_hits += 1
            return value
        except CacheMiss:
            pass
    return await run_in_threadpool(fn, *args, **kwargs)


async def caller(registry: Registry, limiter: FailureLimiter, request: Request, *,
                 cookie: bool = False) -> Access:
    """The verified caller; AuthError (401) or a RateLimited (429) refusal.

    Fast path: the rate limit known without a query, the generation checked by a query shared
    with the requests around this one (``fresh_async``) and the token's verification cached:
    no thread of its own. A cached token's expiry is checked against the clock every time
    (``Registry.authenticate``); a revocation moves the generation, which drops it."""
    arrived = time.monotonic()
    client = client_of(request)
    secret = presented_token(request, cookie=cookie)

    def failed() -> None:
        limiter.failed(client)

    wait = limiter.known_wait(client)
    if wait is not None and registry.cache.enabled:
        if wait:
            raise RateLimited(wait)
        await registry.cache.fresh_async(since=arrived)
        checked_once()  # the reads of this request (and threads it starts) skip the check
        try:
            with cache_only():
                return registry.authenticate(secret)
        except CacheMiss:
            pass  # not verified yet: the thread below
        except AuthError:  # a cached token that expired since
            await run_in_threadpool(failed)
            raise

    def check() -> Access:
        # one thread hop: the rate limit, the generation (once per request: the reads this
        # request makes then skip it; a no-op when fresh_async covered it) and the token
        wait = limiter.retry_after(client)
        if wait:
            raise RateLimited(wait)
        registry.cache.fresh(since=arrived)
        checked_once()
        try:
            return registry.authenticate(secret)
        except AuthError:
            failed()
            raise

    access = await run_in_threadpool(check)
    checked_once()
    return access


def anonymous_off(registry: Registry, access: Access) -> None:
    """Refuse (401) a caller without a token when the registry has no anonymous read."""
    if access.token is None and not registry.anonymous_read:
        raise AuthError("this registry needs a token: send Authorization: Bearer TOKEN")


class RateLimited(RegistryError):
    status = 429

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many failed sign-ins from this address; retry in {wait} s")
        self.wait = wait
