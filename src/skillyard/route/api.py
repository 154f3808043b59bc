"""The routing entry points the Library façade delegates to."""

from __future__ import annotations

import time
from typing import Any

from ..errors import SkillyardError
from ..llm import LLMClient, LLMConfig
from . import storage
from .bodyrank import BodyReranker
from .build import BuildReport, Progress, build_index
from .index import RouteIndex
from .rerank import LLMReranker, Reranker
from .results import RouteResult
from .router import Router

RERANKERS = ("none", "llm", "body")


class RouteError(SkillyardError):
    """A routing request is malformed (empty query, bad k, unknown reranker)."""


def make_reranker(name: str | Reranker | None) -> Reranker | None:
    """A reranker from its name: ``none``, ``llm`` (configured from SKILLYARD_LLM_*) or
    ``body`` (reads the candidates' bodies; route/bodyrank.py)."""
    if name is None or name == "none":
        return None
    if not isinstance(name, str):
        return name
    if name == "llm":
        return LLMReranker(LLMClient(LLMConfig.from_env()))
    if name == "body":
        return BodyReranker()
    raise RouteError(f"unknown reranker {name!r}; choose one of: {', '.join(RERANKERS)}")


REFRESH_SECONDS = 2.0


class _Cache:
    """The router of one library, reopened when a build publishes a new generation."""

    def __init__(self) -> None:
        self.generation: str | None = None
        self.router: Router | None = None
        self.fingerprint: tuple[Any, ...] | None = None
        self.checked = 0.0


def _fingerprint(store: Any) -> tuple[Any, ...]:
    """Changes whenever a skill is added or gets a new version (both indexed columns)."""
    return tuple(store.query("SELECT COUNT(*), MAX(updated_at) FROM skills")[0])


def _refresh_shared(lib: Any, cache: _Cache) -> None:
    """A database library is shared: other processes and machines write to it, and this
    process's index lives in a local cache. Bring that cache up to date when the library has
    changed (checked at most every REFRESH_SECONDS); the stored vectors make this cheap."""
    now = time.monotonic()
    if now - cache.checked < REFRESH_SECONDS:
        return
    cache.checked = now
    seen = _fingerprint(lib.store)
    if seen != cache.fingerprint:
        build_index(lib.store)
        cache.fingerprint = seen


def router_for(lib: Any) -> Router:
    """The (cached) router of a Library; builds the index once if the library has none.
    Safe to share between threads (the serve module routes from several)."""
    cache: _Cache = lib.__dict__.setdefault("_route_cache", _Cache())
    root = storage.index_dir(lib.path)
    if storage.is_shared(lib.path):
        _refresh_shared(lib, cache)
    for attempt in range(3):
        gen = storage.current(root)
        if gen is None:
            build_index(lib.store)
            continue
        if cache.router is not None and cache.generation == gen.path.name:
            return cache.router
        try:
            router = Router(RouteIndex(gen))
        except (OSError, storage.RouteIndexError) as exc:
            if attempt == 2:
                raise storage.RouteIndexError(
                    f"{gen.path}: unreadable routing index ({exc}); run 'skillyard reindex'"
                ) from None
            if isinstance(exc, storage.OldFormatError):
                build_index(lib.store)  # written by another version: rebuild it
            continue  # or a concurrent build replaced this generation while we opened it
        router.warm()
        cache.router, cache.generation = router, gen.path.name
        return router
    raise storage.RouteIndexError(f"{root}: the routing index could not be opened; reindex")


def route(lib: Any, query: str, k: int = 5, *, explain: bool = False,
          reranker: str | Reranker | None = None) -> RouteResult:
    if not isinstance(query, str) or not query.strip():
        raise RouteError("the query is empty; give the task to route")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 1000:
        raise RouteError(f"k must be an integer from 1 to 1000, not {k!r}")
    return router_for(lib).route(query, k, explain=explain, reranker=make_reranker(reranker))


def reindex(lib: Any, *, full: bool = False, full_model: bool | None = None,
            multilingual: bool | None = None, progress: Progress | None = None) -> BuildReport:
    return build_index(lib.store, full=full, full_model=full_model, progress=progress,
                       multilingual=multilingual)
