"""The PostgreSQL backend on a real server: same semantics as SQLite, bad locations refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_SKILLS, write_skill
from skillyard import Library
from skillyard.errors import NotFoundError, StoreError
from skillyard.library.migrate import available
from skillyard.library.postgres import PostgresStore, redact, to_pyformat
from skillyard.skill import Provenance, parse_skill_md


def test_dialects_have_the_same_migration_numbers() -> None:
    assert [n for n, _ in available("sqlite")] == [n for n, _ in available("postgresql")]


def test_same_skills_and_digests_as_sqlite(pg_dsn: str, tmp_path: Path) -> None:
    with Library(tmp_path / "a.db") as lite, Library(pg_dsn) as pg:
        lite.index([str(SAMPLE_SKILLS)])
        report = pg.index([str(SAMPLE_SKILLS)])
        assert report.added == 41
        assert [s.digest for s in lite.list()] == [s.digest for s in pg.list()]
        assert lite.store.stats() == pg.store.stats()
        for summary in pg.list()[:10]:
            a, b = lite.get(summary.id), pg.get(summary.id)
            assert (a.digest, a.body, a.frontmatter, a.files) == (b.digest, b.body,
                                                                   b.frontmatter, b.files)
            for entry in b.files:
                if entry.kind == "file":
                    assert pg.store.read_blob(entry.sha256) == lite.store.read_blob(entry.sha256)
        again = pg.index([str(SAMPLE_SKILLS)])
        assert (again.added, again.unchanged) == (0, 41)


def test_versions_and_provenance(pg_dsn: str, tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "src", "pdf-tool", body="\n# One\n")
    with Library(pg_dsn) as lib:
        lib.index([str(tmp_path / "src")])
        (folder / "SKILL.md").write_text(
            "---\nname: pdf-tool\ndescription: Does a thing. Use when testing.\n---\n# Two\n")
        lib.index([str(tmp_path / "src")])
        sid = lib.resolve("pdf-tool")
        assert [v.version for v in lib.versions(sid)] == [1, 2]
        assert lib.get(sid, version=1).body.strip() == "# One"
        assert lib.get(sid).body.strip() == "# Two"
        assert lib.versions(sid)[0].source == str(tmp_path / "src")
        with pytest.raises(NotFoundError):
            lib.get(sid, version=3)
        with pytest.raises(NotFoundError):
            lib.store.read_blob("0" * 64)


def test_capability_tables_round_trip(pg_dsn: str) -> None:
    with Library(pg_dsn) as lib:
        lib.store.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("a%b?", "50% 'q'?"))
        assert lib.store.query("SELECT value FROM meta WHERE key = ?", ("a%b?",)) == [
            ("50% 'q'?",)]
        assert lib.store.query("SELECT key FROM meta WHERE key LIKE 'a%'") == [("a%b?",)]
        with pytest.raises(RuntimeError), lib.store.transaction():
            lib.store.execute("INSERT INTO meta (key, value) VALUES ('gone', 'x')")
            raise RuntimeError("abort")
        assert lib.store.query("SELECT 1 FROM meta WHERE key = 'gone'") == []


def test_vectors_are_stored_in_pgvector(pg_dsn: str) -> None:
    rng = np.random.default_rng(1)
    items = [(bytes([i]) * 16, rng.standard_normal(384).astype(np.float32)) for i in range(5)]
    with Library(pg_dsn) as lib:
        assert lib.store.put_vectors("m", items) == 5
        assert lib.store.put_vectors("m", items[:2]) == 0
        got = lib.store.get_vectors("m", [k for k, _ in items] + [b"x" * 16])
        assert set(got) == {k for k, _ in items}
        for key, vec in items:
            assert np.array_equal(got[key], vec)
        assert lib.store.get_vectors("other", [items[0][0]]) == {}
    with psycopg.connect(pg_dsn) as conn:
        kind = conn.execute("SELECT pg_typeof(vector)::text FROM embeddings LIMIT 1").fetchone()
        assert kind == ("vector",)


def test_reopening_applies_no_migration_twice(pg_dsn: str) -> None:
    Library(pg_dsn).close()
    Library(pg_dsn).close()
    with psycopg.connect(pg_dsn) as conn:
        numbers = [r[0] for r in conn.execute("SELECT number FROM schema_migrations")]
    assert sorted(numbers) == [n for n, _ in available("postgresql")]


def test_newer_schema_is_refused(pg_dsn: str) -> None:
    Library(pg_dsn).close()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (number) VALUES (9999)")
    with pytest.raises(StoreError, match="newer than this skillyard"):
        Library(pg_dsn)


def test_foreign_database_is_refused_untouched(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE skills (x int)")
    with pytest.raises(StoreError, match="not a skillyard library"):
        Library(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)


def test_unreachable_server_and_bad_urls(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        Library("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="unsupported library URL"):
        Library("mysql://localhost/db")
    assert redact("postgresql://u:secret@h:5/d") == "postgresql://u:***@h:5/d"
    assert redact("postgresql://u@h/d") == "postgresql://u@h/d"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skillyard", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_cli_over_postgres(pg_dsn: str) -> None:
    out = _cli("index", str(SAMPLE_SKILLS), "--db", pg_dsn, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["added"] == 41
    listed = _cli("list", "--json", env={"SKILLYARD_DB": pg_dsn})
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 41
    bad = _cli("list", "--db", "postgresql://x:pw@127.0.0.1:1/none")
    assert bad.returncode == 2
    assert "cannot connect" in bad.stderr and ":pw@" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ? FROM t WHERE a = ?", "SELECT %s FROM t WHERE a = %s"),
    ("SELECT '?' , '%' FROM t WHERE b LIKE ?", "SELECT '?' , '%%' FROM t WHERE b LIKE %s"),
    ("SELECT \"q?\" FROM t WHERE c = '\\' AND d = ?", "SELECT \"q?\" FROM t WHERE c = '\\' AND "
     "d = %s"),
])
def test_placeholder_translation(sql: str, expected: str) -> None:
    assert to_pyformat(sql) == expected


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=200)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=_text.filter(lambda s: s.strip()), body=_text)
def test_any_text_survives_postgres(pg_dsn: str, description: str, body: str) -> None:
    text = "---\nname: prop\ndescription: " + json.dumps(description) + "\n---\n" + body
    skill = parse_skill_md(text, folder_name="prop", skill_id="prop:1",
                           provenance=Provenance(source="prop", kind="corpus"))
    store = PostgresStore(pg_dsn)
    try:
        store.put([skill])
        back = store.get("prop:1")
        assert (back.description, back.body, back.digest) == (skill.description, skill.body,
                                                              skill.digest)
    finally:
        store.close()


def test_concurrent_writer_processes(pg_dsn: str, tmp_path: Path) -> None:
    Library(pg_dsn).close()
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\nfrom skillyard import Library\n"
        "dsn, root, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])\n"
        "with Library(dsn) as lib:\n"
        "    for r in range(rounds):\n"
        "        for i in range(3):\n"
        "            d = root / f'{root.name}-{i}'\n"
        "            d.mkdir(parents=True, exist_ok=True)\n"
        "            (d / 'SKILL.md').write_text(f'---\\nname: {root.name}-{i}\\n"
        "description: Writer skill. Use when testing.\\n---\\nround {r}\\n')\n"
        "        lib.index([str(root)])\n"
    )
    procs = [subprocess.Popen([sys.executable, str(script), pg_dsn, str(tmp_path / f"w{n}"),
                               "6"], stderr=subprocess.PIPE) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    with Library(pg_dsn) as lib:
        summaries = lib.list()
        assert len(summaries) == 12
        for s in summaries:
            assert [v.version for v in lib.versions(s.id)] == list(range(1, 7))
            assert lib.get(s.id).body.strip() == "round 5"


def test_writer_killed_mid_transaction_leaves_nothing(pg_dsn: str, tmp_path: Path) -> None:
    Library(pg_dsn).close()
    ready = tmp_path / "ready"
    script = tmp_path / "killed.py"
    script.write_text(
        "import sys, time\nfrom pathlib import Path\nfrom skillyard import Library\n"
        f"lib = Library({pg_dsn!r})\n"
        "with lib.store.transaction():\n"
        f"    lib.index([{str(SAMPLE_SKILLS)!r}])\n"
        f"    Path({str(ready)!r}).write_text('x')\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        for _ in range(600):
            if ready.exists() or proc.poll() is not None:
                break
            __import__("time").sleep(0.1)
        assert ready.exists(), "the writer never reached the middle of its transaction"
    finally:
        proc.kill()
        proc.wait()
    with Library(pg_dsn) as lib:
        assert lib.store.stats() == {"skills": 0, "versions": 0, "blobs": 0, "blob_bytes": 0}
        report = lib.index([str(SAMPLE_SKILLS)])  # the write lock went with the connection
        assert report.added == 41


def test_route_sees_what_another_process_wrote(pg_dsn: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from skillyard.route import api, storage

    monkeypatch.setattr(api, "REFRESH_SECONDS", 0.0)
    monkeypatch.setenv("SKILLYARD_ROUTE_DIR", str(tmp_path / "cache"))
    write_skill(tmp_path / "a", "git-commits", "Write conventional git commit messages. Use "
                "when committing code changes.")
    write_skill(tmp_path / "b", "pdf-forms", "Fill and extract PDF form fields. Use when a "
                "task involves PDF forms.")
    with Library(pg_dsn) as reader, Library(pg_dsn) as writer:
        writer.index([str(tmp_path / "a")])
        first = reader.route("fill the fields of a PDF form", k=3)
        assert [h.name for h in first.results] != ["pdf-forms"]
        root = storage.index_dir(pg_dsn)
        before = storage.current(root).path.name
        writer.index([str(tmp_path / "b")])  # another process: no index build of its own
        assert storage.current(root).path.name == before
        second = reader.route("fill the fields of a PDF form", k=3)
        assert second.results[0].name == "pdf-forms"


def test_busy_library_is_a_clear_error_then_usable(pg_dsn: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from skillyard.library import postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "300ms")
    write_skill(tmp_path / "src", "pdf-tool")
    with Library(pg_dsn) as lib, psycopg.connect(pg_dsn) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (postgres.WRITE_LOCK,))
        with pytest.raises(StoreError, match="library is busy"):
            lib.index([str(tmp_path / "src")])
        other.rollback()  # the other writer finishes
        assert lib.index([str(tmp_path / "src")]).added == 1
