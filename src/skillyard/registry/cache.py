"""Read caches keyed by the registry's generation.

Every registry write (publish, yank/deprecate/restore, re-audit, accepted finding) bumps one
counter in the database (``registry_state``, migration 0014) inside its own transaction. A
server process checks the counter before it answers from its caches and drops them when it
moved, so several processes over one PostgreSQL database never serve a stale read for longer
than the write's commit. Cached values are never mutated by callers.

An HTTP request checks the counter once, when it authenticates (``checked_once``): the reads
it then makes skip the check (one database round trip per request instead of one per read).
Verified tokens are cached here too (keyed by the hash of the presented text), so a token
revocation bumps the generation as well and every process drops them at its next request.

Fast path (``http.cached_call``): a request first runs its read on the event loop inside
``cache_only()``, where a read that is not cached raises ``CacheMiss`` instead of touching the
database; only then does it hop to a thread for the real work. ``fresh_async`` makes the
generation check awaitable and shared: one query in a thread serves every request of a burst.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from ..library.store import Store

T = TypeVar("T")
GENERATION_SQL = "SELECT value FROM registry_state WHERE key = 'generation'"
# set in a request's context once it checked the generation (see ``checked_once``)
_CHECKED: ContextVar[bool] = ContextVar("skillyard_registry_generation_checked",
                                        default=False)


# set while a read runs on the event loop: a read that is not cached raises CacheMiss
_CACHE_ONLY: ContextVar[bool] = ContextVar("skillyard_registry_cache_only", default=False)


class CacheMiss(Exception):  # noqa: N818 - a signal, not an error a caller sees
    """Raised inside ``cache_only()`` by a read whose answer is not cached (it would need the
    database); the caller then does the read in a thread."""


@contextmanager
def cache_only() -> Iterator[None]:
    """Reads in this block answer from the caches or raise ``CacheMiss``; none computes."""
    reset = _CACHE_ONLY.set(True)
    try:
        yield
    finally:
        _CACHE_ONLY.reset(reset)


def checked_once() -> None:
    """Mark the current context (one HTTP request's task) as having checked the generation;
    threads it starts afterwards (``run_in_threadpool`` copies the context) skip the check."""
    _CHECKED.set(True)


def bump(store: Store) -> None:
    """Advance the generation (call inside the write's transaction)."""
    store.execute("UPDATE registry_state SET value = value + 1 WHERE key = 'generation'")


class ReadCache:
    """Bounded LRU of read results, emptied whenever the database generation moves.
    ``enabled=False`` computes every read (bench/registry.py measures both)."""

    def __init__(self, store: Store, lock: Any, *, enabled: bool = True,
                 size: int = 4096) -> None:
        self.store = store
        self.lock = lock
        self.enabled = enabled
        self.size = size
        self.generation: int | None = None
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._mutex = threading.Lock()
        self._checked_from = float("-inf")  # when the last applied check started
        # the generation check running in a thread, shared by requests (see fresh_async)
        self._pending: asyncio.Future[None] | None = None
        self._pending_loop: asyncio.AbstractEventLoop | None = None
        self.checks = 0  # generation queries made (tests and the bench read these)
        self.fast_hits = 0  # requests answered on the event loop from the caches

    def _covered(self, since: float | None) -> bool:
        with self._mutex:
            return since is not None and self._checked_from >= since

    def fresh(self, since: float | None = None) -> None:
        """Drop everything when another write (here or in another process) happened.

        ``since`` (``time.monotonic()`` when the request arrived): a check that *started*
        after then already saw every write committed before the request, so it is not made
        again. Under load many concurrent requests share one query this way. A check that
        started before the newest applied one is ignored (the generation never goes back)."""
        if not self.enabled:
            return
        if self._covered(since):
            return
        with self.lock:  # waiting here, another check may have begun after ``since``
            if self._covered(since):
                return
            started = time.monotonic()
            rows = self.store.query(GENERATION_SQL)
            self.checks += 1
        now = int(rows[0][0]) if rows else -1
        with self._mutex:
            if started < self._checked_from:
                return
            if now != self.generation:
                self._items.clear()
                self.generation = now
            self._checked_from = started

    async def fresh_async(self, since: float) -> None:
        """``fresh(since)`` awaited on the event loop, with at most one query in flight.

        A request that finds a check already running awaits it instead of starting its own;
        if that check started before the request arrived (it may have missed a write the
        request must see), the request then starts or joins the next one. So a burst of
        requests shares one or two queries, and each still sees every write committed before
        it arrived."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        while not self._covered(since):
            pending = self._pending if self._pending_loop is loop else None
            if pending is None or pending.done():
                started = time.monotonic()  # >= since: this check covers the request
                pending = asyncio.ensure_future(run_in_threadpool(self.fresh, started))
                self._pending, self._pending_loop = pending, loop
            await asyncio.shield(pending)

    def get(self, key: Hashable, compute: Callable[[], T], *, check: bool = True) -> T:
        if not self.enabled:
            if _CACHE_ONLY.get():
                raise CacheMiss(key)
            return compute()
        if check and not _CHECKED.get():
            if _CACHE_ONLY.get():
                raise CacheMiss(key)
            self.fresh()
        with self._mutex:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            generation = self.generation
        if _CACHE_ONLY.get():
            raise CacheMiss(key)
        value = compute()
        with self._mutex:
            if generation == self.generation:  # not computed across a generation change
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._mutex:
            self._items.clear()
            self.generation = None
            self._checked_from = float("-inf")
