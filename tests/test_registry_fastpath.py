"""The fast path for cached reads (issue 13): a request whose answer is cached runs on the
event loop without a thread of its own; the generation check is one query shared by a burst;
token expiry and revocation still end a cached verification at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from skillyard import Library
from skillyard.registry import Registry, pack_folder
from skillyard.registry import http as http_mod
from skillyard.registry.cache import CacheMiss, ReadCache, cache_only
from support.registry import LOCAL_ADMIN, client, running, skill_folder, token


class Hops:
    """A test double of ``run_in_threadpool`` in registry/http.py that counts the calls and
    then runs them for real."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls: list[str] = []

    async def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.calls.append(getattr(fn, "__name__", repr(fn)))
        return await self.real(fn, *args, **kwargs)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Hops:
    counter = Hops(http_mod.run_in_threadpool)
    monkeypatch.setattr(http_mod, "run_in_threadpool", counter)
    return counter


def _publish(c: httpx.Client, url: str, registry: Registry, tmp_path: Path) -> None:
    pub = token(registry, "publish", "team/*")
    r = c.post(f"{url}/api/v1/skills/team/pdf-forms/versions",
               content=pack_folder(skill_folder(tmp_path / "src")),
               headers={"Authorization": f"Bearer {pub}"})
    assert r.status_code == 201, r.text


def test_a_cached_search_is_served_without_a_thread_hop(tmp_path: Path, hops: Hops) -> None:
    with running(str(tmp_path / "r.db"), web=False) as (url, registry), client() as c:
        _publish(c, url, registry, tmp_path)
        auth = {"Authorization": f"Bearer {token(registry, 'read', 'team/*')}"}

        def search() -> dict[str, Any]:
            r = c.get(f"{url}/api/v1/search", params={"q": "fill in a PDF form"}, headers=auth)
            assert r.status_code == 200, r.text
            return r.json()

        hops.calls.clear()
        first = search()
        assert first["results"][0]["skill"] == "team/pdf-forms"
        assert hops.calls  # the token verified and the router run in threads
        assert c.get(f"{url}/api/v1/skills/team/pdf-forms", headers=auth).status_code == 200
        hits, checks = registry.cache.fast_hits, registry.cache.checks
        hops.calls.clear()
        for _ in range(3):
            assert search() == first
            got = c.get(f"{url}/api/v1/skills/team/pdf-forms", headers=auth)
            assert got.status_code == 200 and got.json()["name"] == "pdf-forms"
        assert hops.calls == []  # no request took a thread of its own
        assert registry.cache.fast_hits - hits == 6
        # each request still checked the generation (a query in a thread, shared by the
        # requests that arrive while it runs): a write elsewhere is never missed
        assert registry.cache.checks - checks >= 1
        # an uncached read still works, in a thread
        other = c.get(f"{url}/api/v1/search", params={"q": "extract form fields"}, headers=auth)
        assert other.status_code == 200 and hops.calls


def test_an_expired_token_is_refused_though_its_verification_is_cached(
        tmp_path: Path, hops: Hops, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillyard.registry import tokens as tokens_mod

    with running(str(tmp_path / "r.db"), web=False, limit=3) as (url, registry), client() as c:
        expiring = token(registry, "read", "*", expires="1h")
        auth = {"Authorization": f"Bearer {expiring}"}
        for _ in range(2):
            assert c.get(f"{url}/api/v1/skills", headers=auth).status_code == 200
        hops.calls.clear()
        assert c.get(f"{url}/api/v1/skills", headers=auth).status_code == 200
        assert hops.calls == []  # the verification is cached: no thread
        # the clock moves past the expiry; nothing in the database changes
        year = int(tokens_mod.utc_now()[:4])
        monkeypatch.setattr(tokens_mod, "utc_now", lambda: f"{year + 1}-01-01T00:00:00Z")
        gone = c.get(f"{url}/api/v1/skills", headers=auth)
        assert gone.status_code == 401 and "expired" in gone.json()["error"]
        # it counts as a failed sign-in: the limiter still refuses the address
        codes = [c.get(f"{url}/api/v1/skills", headers=auth).status_code for _ in range(3)]
        assert codes == [401, 401, 429]


def test_a_revocation_by_another_registry_is_seen_at_once(tmp_path: Path, hops: Hops) -> None:
    db = str(tmp_path / "r.db")
    with running(db, web=False) as (url, registry), client() as c, Library(db) as lib:
        other = Registry(lib)  # another server process over the same database
        made, secret = other.create_token(LOCAL_ADMIN, role="read", scope="*")
        auth = {"Authorization": f"Bearer {secret}"}
        for _ in range(2):
            assert c.get(f"{url}/api/v1/skills", headers=auth).status_code == 200
        hits = registry.cache.fast_hits
        assert c.get(f"{url}/api/v1/skills", headers=auth).status_code == 200
        assert registry.cache.fast_hits > hits  # served on the loop from the cache
        other.revoke_token(LOCAL_ADMIN, made.id)
        gone = c.get(f"{url}/api/v1/skills", headers=auth)
        assert gone.status_code == 401 and "revoked" in gone.json()["error"]


def test_concurrent_requests_share_the_generation_check(tmp_path: Path) -> None:
    """Fifty requests at once: one or two queries, not fifty, and each request's check
    started after it arrived (a write committed before it is seen)."""
    with Library(str(tmp_path / "r.db")) as lib:
        registry = Registry(lib)
        cache: ReadCache = registry.cache

        async def burst() -> list[float]:
            async def one() -> float:
                arrived = time.monotonic()
                await cache.fresh_async(since=arrived)
                return arrived
            return await asyncio.gather(*(one() for _ in range(50)))

        before = cache.checks
        arrivals = asyncio.run(burst())
        assert 1 <= cache.checks - before <= 2
        assert all(cache._covered(a) for a in arrivals)
        # a write by another connection moves the generation: the next burst sees it
        with Library(str(tmp_path / "r.db")) as writer:
            Registry(writer).create_token(LOCAL_ADMIN, role="read", scope="*")
            generation = cache.generation
            made, _ = Registry(writer).create_token(LOCAL_ADMIN, role="read", scope="*")
            Registry(writer).revoke_token(LOCAL_ADMIN, made.id)
        asyncio.run(burst())
        assert cache.generation != generation


def test_cache_only_reads_raise_cache_miss_instead_of_querying(tmp_path: Path) -> None:
    with Library(str(tmp_path / "r.db")) as lib:
        registry = Registry(lib)
        with cache_only(), pytest.raises(CacheMiss):
            registry.list_skills(LOCAL_ADMIN)  # generation not checked in this context
        assert registry.list_skills(LOCAL_ADMIN) == []
        off = Registry(lib, cache=False)
        with cache_only(), pytest.raises(CacheMiss):
            off.list_skills(LOCAL_ADMIN)  # caches off: always the thread
