"""export -> import is lossless: SQLite -> SQLite, SQLite -> PostgreSQL -> SQLite, the CLI,
stdin/stdout, merge of identical content and dry runs."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import write_skill
from skillyard import Library
from skillyard.library.transfer import ALL_TABLES
from skillyard.library.transfer_archive import FORMAT_VERSION
from support.transfer_data import VERSIONED, populate, snapshot

SKILLYARD = [sys.executable, "-m", "skillyard"]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    db = tmp_path / "source.db"
    with Library(db) as lib:
        populate(lib, tmp_path)
    return db


def _header(archive: Path) -> dict:
    with gzip.open(archive, "rb") as fh:
        return json.loads(fh.readline())


def test_sqlite_round_trip_keeps_every_row(source: Path, tmp_path: Path) -> None:
    archive = tmp_path / "team.skillyard.gz"
    with Library(source) as lib:
        before = snapshot(lib.store)
        report = lib.export_archive(archive)
        versions = lib.versions(VERSIONED)
    assert [v.version for v in versions] == [1, 2, 3]
    # Something in every table, so the comparison below covers them all.
    assert {t.name for t in ALL_TABLES} - {"meta"} <= {k for k, v in report.counts.items() if v}
    assert report.counts["meta"] == 1
    assert report.counts["skills"] == 42 and report.counts["versions"] == 44
    header = _header(archive)
    assert header["format_version"] == FORMAT_VERSION and header["backend"] == "sqlite"
    assert header["migrations"] == sorted(header["migrations"]) and header["counts"] == \
        report.counts

    with Library(tmp_path / "copy.db") as copy:
        result = copy.import_archive(archive)
        after = snapshot(copy.store)
        assert copy.versions(VERSIONED) == versions
        assert copy.audit_verdicts() == Library(source).audit_verdicts()
    assert result.verified_versions == 44
    assert {n: c.added for n, c in result.tables.items()} == \
        {n: c for n, c in report.counts.items() if c}
    assert result.sha256 == report.sha256
    assert after == before


def test_sqlite_to_postgres_and_back(source: Path, tmp_path: Path, pg_dsn: str) -> None:
    first, second = tmp_path / "a.skillyard.gz", tmp_path / "b.skillyard.gz"
    with Library(source) as lib:
        before = snapshot(lib.store)
        lib.export_archive(first)
    with Library(pg_dsn) as pg:
        pg.import_archive(first)
        assert snapshot(pg.store) == before
        assert [s.digest for s in pg.list()] == [s.digest for s in Library(source).list()]
        pg.export_archive(second)
    header = _header(second)
    assert header["backend"] == "postgresql" and "postgresql://" in header["source"]
    with Library(tmp_path / "back.db") as back:
        back.import_archive(second)
        assert snapshot(back.store) == before
        # The library works as before: routing from the imported embeddings, no re-embedding.
        build = back.route_index()
        assert build.embedded == 0
        assert back.route("take notes from a pdf document", k=3).results


def test_postgres_merge_of_the_same_archive_is_idempotent(source: Path, tmp_path: Path,
                                                          pg_dsn: str) -> None:
    archive = tmp_path / "a.skillyard.gz"
    Library(source).export_archive(archive)
    with Library(pg_dsn) as pg:
        pg.import_archive(archive)
        before = snapshot(pg.store)
        again = pg.import_archive(archive, merge=True)
        assert sum(c.added for c in again.tables.values()) == 0
        assert again.tables["versions"].skipped == 44
        assert again.tables["embeddings"].skipped == again.tables["embeddings"].rows > 0
        assert snapshot(pg.store) == before


def test_merge_adds_what_is_new_and_skips_what_is_identical(source: Path,
                                                            tmp_path: Path) -> None:
    archive = tmp_path / "a.skillyard.gz"
    Library(source).export_archive(archive)
    target = tmp_path / "target.db"
    write_skill(tmp_path / "mine", "team-only", body="\n# Ours\n")
    with Library(target) as lib:
        lib.index([str(tmp_path / "mine")])
        own = {s.id for s in lib.list()}
        report = lib.import_archive(archive, merge=True)
        ids = {s.id for s in lib.list()}
    assert own < ids and len(ids) == 42 + len(own)
    assert report.tables["skills"].added == 42


def test_dry_run_verifies_and_writes_nothing(source: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.skillyard.gz"
    Library(source).export_archive(archive)
    with Library(tmp_path / "empty.db") as lib:
        report = lib.import_archive(archive, dry_run=True)
        assert report.verified_versions == 44 and report.dry_run
        assert lib.stats()["skills"] == 0
        assert lib.store.query("SELECT COUNT(*) FROM embeddings") == [(0,)]


def test_cli_export_import_json_and_pipes(source: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SKILLYARD_DB": str(source)}
    archive = tmp_path / "cli.skillyard.gz"
    out = subprocess.run([*SKILLYARD, "export", str(archive), "--json"], env=env,
                         capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout)
    assert summary["tables"]["versions"] == 44 and summary["bytes"] == archive.stat().st_size
    imported = subprocess.run(
        [*SKILLYARD, "import", str(archive), "--db", str(tmp_path / "c1.db"), "--json"],
        capture_output=True, text=True, check=True)
    result = json.loads(imported.stdout)
    assert result["tables"]["skills"] == {"rows": 42, "added": 42, "skipped": 0}
    assert result["verified_versions"] == 44

    # export - | import -: the archive on stdout, the summary on stderr.
    exporter = subprocess.Popen([*SKILLYARD, "export", "-", "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    importer = subprocess.run([*SKILLYARD, "import", "-", "--db", str(tmp_path / "c2.db")],
                              stdin=exporter.stdout, capture_output=True, text=True)
    exporter.stdout.close()
    assert exporter.wait() == 0 and importer.returncode == 0, importer.stderr
    assert json.loads(exporter.stderr.read())["rows"] == summary["rows"]
    assert "44 versions" in importer.stdout
    assert snapshot(Library(tmp_path / "c2.db").store) == snapshot(Library(source).store)

    again = subprocess.run([*SKILLYARD, "import", str(archive), "--db", str(tmp_path / "c1.db")],
                           capture_output=True, text=True)
    assert again.returncode == 2
    assert again.stderr.strip().startswith("error:") and "--merge" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1

    nowhere = tmp_path / "typo.db"
    proc = subprocess.run([*SKILLYARD, "export", str(tmp_path / "x.gz"), "--db", str(nowhere)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no library there" in proc.stderr
    assert not nowhere.exists() and not (tmp_path / "x.gz").exists()


def test_export_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    empty, failed = tmp_path / "empty.skillyard.gz", tmp_path / "failed.skillyard.gz"
    with Library(tmp_path / "lib.db") as lib:
        lib.export_archive(empty)
        assert _header(empty)["counts"]["skills"] == 0
        lib.store.put_vectors("m", [(b"k", np.ones(3, np.float32))])

        def boom(stage: str, done: int, total: int) -> None:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            lib.export_archive(failed, progress=boom)
        with Library(tmp_path / "other.db") as other:
            assert other.import_archive(empty).tables == {}
    assert not failed.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_small_pages_and_batches_give_the_same_library(source: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Export reads blobs in size-bounded groups and import flushes size-bounded batches;
    with tiny bounds (one blob per query, one row per batch) nothing is lost or repeated."""
    from skillyard.library import transfer, transfer_import

    monkeypatch.setattr(transfer, "_PAGE_BYTES", 1)
    monkeypatch.setattr(transfer_import, "_BATCH_BYTES", 1)
    archive = tmp_path / "small.skillyard.gz"
    with Library(source) as lib:
        report = lib.export_archive(archive)
        before = snapshot(lib.store)
    with Library(tmp_path / "copy.db") as copy:
        assert copy.import_archive(archive).tables["blobs"].added == report.counts["blobs"]
        assert snapshot(copy.store) == before
