from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
import pytest

if TYPE_CHECKING:
    from skillyard.route.router import RouteIndex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SAMPLE_SKILLS = SHARED / "sample-skills"
CORPUS = SHARED / "skills-corpus.jsonl.gz"
# The router's distilled token table depends only on the model: every test (and CLI
# subprocess) shares the machine's copy instead of distilling again under its private HOME.
STATIC_TABLES = os.environ.get("SKILLYARD_STATIC_DIR") or str(
    Path(platformdirs.user_cache_dir("skillyard", appauthor=False)) / "static")


@pytest.fixture(scope="session")
def sample_route_index(tmp_path_factory: pytest.TempPathFactory) -> RouteIndex:
    """The sample skills, indexed and routed once for the tests that only read the index."""
    from skillyard.api import Library
    from skillyard.route.router import RouteIndex

    db = tmp_path_factory.mktemp("sample-route") / "library.db"
    with Library(db) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        lib.route_index()
    return RouteIndex.open(db)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own library db and home, never the user's."""
    monkeypatch.setenv("SKILLYARD_DB", str(tmp_path / "library.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLYARD_STATIC_DIR", STATIC_TABLES)
    for var in ("SKILLYARD_LLM_BASE_URL", "SKILLYARD_LLM_MODEL", "SKILLYARD_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


def write_skill(root: Path, name: str, description: str = "Does a thing. Use when testing.",
                body: str = "\n# Title\n\nSteps.\n", extra: str = "",
                files: dict[str, str | bytes] | None = None) -> Path:
    """Create a skill folder with SKILL.md (and optional extra files); return the folder."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    front = f"---\nname: {name}\ndescription: {description}\n{extra}---\n"
    (folder / "SKILL.md").write_text(front + body, encoding="utf-8")
    for rel, content in (files or {}).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (see tests/support/postgres.py)."""
    from support.postgres import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_dsn(postgres_server) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    dsn = postgres_server.create_database()
    try:
        yield dsn
    finally:
        postgres_server.drop_database(dsn)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh library location on each backend: an SQLite path, then a PostgreSQL DSN."""
    if request.param == "sqlite":
        return str(tmp_path / "any.db")
    return request.getfixturevalue("pg_dsn")
