"""The Library store: versions, blobs, identity, atomicity, concurrency and crash safety."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SAMPLE_SKILLS, write_skill
from skillyard import Library
from skillyard.errors import AmbiguousNameError, NotFoundError, StoreError
from skillyard.library import SQLiteStore


def test_index_sample_skills_and_read_back(db_path: Path) -> None:
    with Library(db_path) as lib:
        report = lib.index([str(SAMPLE_SKILLS)])
        assert report.added == 41 and not report.rejected
        skill = lib.get("dir:" + str(SAMPLE_SKILLS / "anthropics@skills" / "mcp-builder"))
        original = (SAMPLE_SKILLS / "anthropics@skills/mcp-builder/SKILL.md").read_bytes()
        assert skill.skill_md.encode() == original
        assert skill.body and skill.resources
        again = lib.index([str(SAMPLE_SKILLS)])
        assert again.unchanged == 41 and again.added == again.updated == 0
        assert lib.stats()["versions"] == 41


def test_changed_skill_adds_version_and_old_stays_readable(tmp_path: Path, db_path: Path) -> None:
    folder = write_skill(tmp_path / "src", "evolving", description="First.",
                         files={"references/r.md": "one"})
    with Library(db_path) as lib:
        lib.index([str(tmp_path / "src")])
        write_skill(tmp_path / "src", "evolving", description="Second.")
        (folder / "references" / "r.md").write_text("two")
        report = lib.index([str(tmp_path / "src")])
        assert report.updated == 1
        assert [v.version for v in lib.versions("evolving")] == [1, 2]
        assert lib.get("evolving").description == "Second."
        old = lib.get("evolving", version=1)
        assert old.description == "First."
        assert lib.store.read_blob(old.file("references/r.md").sha256) == b"one"
        with pytest.raises(NotFoundError):
            lib.get("evolving", version=7)


def test_blobs_are_content_addressed(tmp_path: Path, db_path: Path) -> None:
    for name in ("one", "two", "three"):
        write_skill(tmp_path / "src", name, files={"LICENSE": "same license text " * 50})
    with Library(db_path) as lib:
        lib.index([str(tmp_path / "src")])
        stats = lib.stats()
        assert stats["skills"] == 3 and stats["blobs"] == 4  # 3 SKILL.md + 1 shared LICENSE


def test_resolve_by_id_name_suffix_and_ambiguity(db_path: Path) -> None:
    with Library(db_path) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        with pytest.raises(AmbiguousNameError) as info:
            lib.resolve("frontend-design")
        assert len(info.value.candidates) == 2
        assert lib.resolve("HKUDS@ClawTeam/frontend-design").endswith(
            "HKUDS@ClawTeam/frontend-design")
        assert lib.resolve("excalidraw").endswith("/excalidraw")
        with pytest.raises(NotFoundError):
            lib.resolve("no-such-skill")


def test_default_db_path_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLYARD_DB", str(tmp_path / "env.db"))
    with Library() as lib:
        assert lib.path == str(tmp_path / "env.db")
    assert (tmp_path / "env.db").exists()


def test_schema_migrations_are_numbered_and_recorded(db_path: Path) -> None:
    from skillyard.library.migrate import available

    Library(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == available()[-1][0]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    numbers = [n for (n,) in conn.execute("SELECT number FROM schema_migrations")]
    assert numbers == [n for n, _ in available()]
    conn.execute("INSERT INTO schema_migrations (number) VALUES (999)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Library(db_path)


def test_a_late_lower_numbered_migration_still_runs(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillyard.library import migrate

    steps = migrate.available()
    without_second = steps[:1] + steps[2:]
    monkeypatch.setattr(migrate, "available", lambda: without_second)
    Library(db_path).close()
    monkeypatch.setattr(migrate, "available", lambda: steps)
    Library(db_path).close()  # the skipped migration arrives now
    conn = sqlite3.connect(db_path)
    numbers = [n for (n,) in conn.execute("SELECT number FROM schema_migrations ORDER BY 1")]
    assert numbers == [n for n, _ in steps]


def test_garbage_file_is_not_a_library(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable"):
        Library(bad)
    with pytest.raises(StoreError, match="folder"):
        Library(tmp_path)


def test_readers_are_not_blocked_by_a_writer(db_path: Path) -> None:
    with Library(db_path) as lib:
        lib.index([str(SAMPLE_SKILLS)])
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE skills SET description = 'changing'")
    try:
        reader = SQLiteStore(db_path, readonly=True)
        assert len(reader.summaries()) == 41
        assert all(s.description != "changing" for s in reader.summaries())
        reader.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def _make_corpus(path: Path, count: int, tag: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps({
                "id": f"test@repo/skills/s{i}", "name": f"s{i}",
                "description": f"Skill {i} {tag}.", "body": f"# S{i}\n\n{tag} " * 20,
            }) + "\n")


def _index_process(db: str, corpus: str) -> int:
    with Library(db) as lib:
        return lib.index([corpus]).loaded


def _open_when_told(db: str, start: object) -> str:
    start.wait()  # type: ignore[attr-defined]
    try:
        SQLiteStore(db).close()
    except StoreError as exc:
        return str(exc)
    return ""


def test_processes_opening_a_new_library_at_once(tmp_path: Path) -> None:
    # Switching a new file to WAL does not wait on a busy file: before the store retried it,
    # this failed ("database is locked") in 4 runs of 4, and test_two_index_runs_at_once
    # now and then in CI.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(4) as pool:
        for trial in range(20):
            start = manager.Barrier(4)
            db = str(tmp_path / f"new-{trial}.db")
            errors = pool.starmap(_open_when_told, [(db, start)] * 4)
            assert errors == [""] * 4
            with Library(db) as lib:
                assert lib.stats()["skills"] == 0


def test_two_index_runs_at_once(tmp_path: Path, db_path: Path) -> None:
    corpus_a, corpus_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _make_corpus(corpus_a, 600, "alpha")
    _make_corpus(corpus_b, 600, "beta")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        counts = pool.starmap(_index_process, [(str(db_path), str(corpus_a)),
                                               (str(db_path), str(corpus_b))])
    assert counts == [600, 600]
    with Library(db_path) as lib:
        assert lib.stats()["skills"] == 600
        assert lib.stats()["versions"] == 1200  # each skill: one version per writer
        for summary in lib.list()[:20]:
            skill = lib.get(summary.id)
            tag = "alpha" if "alpha" in skill.description else "beta"
            assert tag in skill.body  # description and body from the same write


KILLER = textwrap.dedent("""
    import os, signal, sys
    from skillyard import Library
    seen = 0
    def progress(result):
        global seen
        seen += 1
        if seen == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)
    with Library(sys.argv[1]) as lib:
        lib.index([sys.argv[2]], progress=progress)
""")


@pytest.mark.parametrize("kill_after", [1, 450, 777])
def test_killed_mid_index_leaves_every_skill_old_or_new(
    tmp_path: Path, db_path: Path, kill_after: int
) -> None:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    _make_corpus(old, 1000, "old")
    _make_corpus(new, 1000, "new")
    with Library(db_path) as lib:
        lib.index([str(old)])
    proc = subprocess.run([sys.executable, "-c", KILLER, str(db_path), str(new),
                           str(kill_after)], capture_output=True, check=False)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Library(db_path) as lib:
        assert lib.stats()["skills"] == 1000
        newer = 0
        for summary in lib.list():
            skill = lib.get(summary.id)
            tag = "new" if skill.description.endswith("new.") else "old"
            assert f"{tag} " in skill.body and skill.digest == summary.digest
            newer += tag == "new"
        assert newer % 200 == 0 and newer < 1000  # whole batches only
        assert lib.index([str(new)]).updated == 1000 - newer


def test_busy_library_is_a_clear_error(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import skillyard.library.sqlite as backend

    Library(db_path).close()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        store = SQLiteStore(db_path)
        store._conn.execute("PRAGMA busy_timeout = 50")
        with Library(store=store) as lib, pytest.raises(StoreError, match="busy"):
            lib.index([str(SAMPLE_SKILLS)])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert backend.BUSY_TIMEOUT_MS >= 1000


def test_catalog_activate_and_resources(db_path: Path) -> None:
    with Library(db_path) as lib:
        lib.index([str(SAMPLE_SKILLS)])
        catalog = lib.catalog()
        assert len(catalog.entries) == 41 and catalog.omitted == 0
        ref = "anthropics@skills/mcp-builder"
        act = lib.activate(ref)
        assert act.body and act.resources
        path, size = act.resources[0]
        data = lib.read_resource(ref, path)
        assert len(data) == size
        assert "<skill_resources>" in act.text()


def test_process_env_isolation() -> None:
    assert os.environ["SKILLYARD_DB"].endswith("library.db")


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a skillyard library"):
        Library(other)
    conn = sqlite3.connect(other)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    conn.close()


def test_empty_source_is_refused(db_path: Path) -> None:
    from skillyard.errors import SourceError

    with Library(db_path) as lib, pytest.raises(SourceError, match="empty source"):
        lib.index([""])
