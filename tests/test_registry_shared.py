"""State several registry server processes share through one database: the failed-auth rate
limit and the generation that invalidates each process's read caches."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2 as httpx

from skillyard import Library
from skillyard.registry import Registry, create_app, pack_folder
from skillyard.registry.http import FailureLimiter
from support.registry import LOCAL_ADMIN, skill_folder, token


def test_failed_auth_limit_is_shared_through_the_database(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    with Library(db) as one, Library(db) as two:  # two processes' connections
        a = FailureLimiter(limit=3, window=60, store=one.store)
        b = FailureLimiter(limit=3, window=60, store=two.store)
        for limiter in (a, b, a):
            assert limiter.retry_after("10.0.0.1") == 0
            limiter.failed("10.0.0.1")
        assert b.retry_after("10.0.0.1") >= 1 and a.retry_after("10.0.0.1") >= 1
        assert b.retry_after("10.0.0.2") == 0  # another address is not held back


def test_the_default_app_limiter_counts_in_the_database(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    with Library(db) as lib, Library(db) as other:
        apps = [create_app(Registry(lib), web=False), create_app(Registry(other), web=False)]
        codes: list[int] = []

        async def knock() -> None:
            for n in range(12):
                transport = httpx.ASGITransport(app=apps[n % 2], client=("10.9.9.9", 1234))
                async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
                    r = await http.get("/api/v1/skills", headers={"Authorization": "Bearer no"})
                    codes.append(r.status_code)

        asyncio.run(knock())
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_a_yank_in_one_process_is_seen_by_the_other_cache(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    folder = skill_folder(tmp_path, "tidy-notes")
    with Library(db) as lib, Library(db) as other:
        writer, reader = Registry(lib), Registry(other)
        writer.publish(LOCAL_ADMIN, "team/tidy-notes", pack_folder(folder))
        assert [r.path for r in reader.list_skills(LOCAL_ADMIN)] == ["team/tidy-notes"]
        assert reader.list_skills(LOCAL_ADMIN)  # served from the cache now
        writer.set_status(LOCAL_ADMIN, "team/tidy-notes", "latest", "yanked", "bad")
        assert reader.list_skills(LOCAL_ADMIN) == []
        assert reader.versions(LOCAL_ADMIN, "team/tidy-notes")[0].status == "yanked"
        off = Registry(other, cache=False)
        assert off.list_skills(LOCAL_ADMIN) == [] and not off.cache._items
        assert token(writer, "read")


def test_a_revocation_in_one_process_ends_the_other_s_cached_token(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    with Library(db) as lib, Library(db) as other:
        writer, reader = Registry(lib), Registry(other)
        made, secret = writer.create_token(LOCAL_ADMIN, role="read", scope="*")
        app = create_app(reader, web=False)

        async def get() -> int:
            transport = httpx.ASGITransport(app=app, client=("10.1.1.1", 1234))
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
                r = await http.get("/api/v1/skills", headers={"Authorization": f"Bearer {secret}"})
                return r.status_code

        assert asyncio.run(get()) == 200 and asyncio.run(get()) == 200
        assert any(isinstance(k, tuple) and k[0] == "token" for k in reader.cache._items)
        writer.revoke_token(LOCAL_ADMIN, made.id)
        assert asyncio.run(get()) == 401


def test_a_generation_check_is_shared_only_by_requests_that_arrived_before_it(
        tmp_path: Path) -> None:
    db = str(tmp_path / "lib.db")
    with Library(db) as lib, Library(db) as other:
        writer, reader = Registry(lib), Registry(other)
        writer.publish(LOCAL_ADMIN, "team/tidy-notes",
                       pack_folder(skill_folder(tmp_path, "tidy-notes")))
        first = time.monotonic()
        reader.cache.fresh(since=first)
        seen = reader.cache.generation
        assert [r.path for r in reader.list_skills(LOCAL_ADMIN)] == ["team/tidy-notes"]
        reader.cache.fresh(since=first)  # arrived before the last check began: shared
        writer.set_status(LOCAL_ADMIN, "team/tidy-notes", "latest", "yanked", "bad")
        reader.cache.fresh(since=time.monotonic())  # arrived after the write: queries again
        assert reader.cache.generation == seen + 1
        assert reader.list_skills(LOCAL_ADMIN) == []
