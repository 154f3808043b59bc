"""Export/import benchmark: moving a library through an archive vs re-indexing its sources.

Run from the repository root (needs PostgreSQL + pgvector: scripts/install-postgres.sh):

    .venv/bin/python bench/transfer.py                  # the 11K corpus
    .venv/bin/python bench/transfer.py --limit 2000     # a quick run

The source library is the corpus indexed into SQLite, plus one 384-dimensional embedding per
skill (as a routing index build leaves them). Baseline: indexing the same corpus into the
target (what a team would do without export/import; it embeds nothing, so it flatters the
baseline). Measured: export from SQLite, import into a fresh SQLite and a fresh PostgreSQL
database, and export back from PostgreSQL; every digest is checked equal at the end.
A private PostgreSQL server is started unless ``--postgres URL`` names one (a superuser URL).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "skills-corpus.jsonl.gz"
sys.path[:0] = [str(ROOT / "tests")]

from skillyard import Library  # noqa: E402


def _corpus(workdir: Path, limit: int) -> Path:
    if not limit:
        return CORPUS
    part = workdir / f"corpus-{limit}.jsonl.gz"
    with gzip.open(CORPUS, "rb") as src, gzip.open(part, "wb") as out:
        out.writelines(itertools.islice(src, limit))
    return part


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _index(db: str, corpus: Path) -> float:
    with Library(db) as lib:
        return _timed(lambda: lib.index([str(corpus)]))[1]


def _add_vectors(db: str) -> int:
    rng = np.random.default_rng(0)
    with Library(db) as lib:
        items = [(hashlib.sha256(s.digest.encode()).digest(),
                  rng.standard_normal(384).astype(np.float32)) for s in lib.list()]
        for start in range(0, len(items), 2000):
            lib.store.put_vectors("bench-minilm", items[start:start + 2000])
    return len(items)


def _digests(db: str) -> list[tuple[str, int, str]]:
    with Library(db) as lib:
        return [(s.id, s.version, s.digest) for s in lib.list()]


def run(workdir: Path, pg_admin: Any, limit: int) -> dict[str, Any]:
    corpus = _corpus(workdir, limit)
    source = str(workdir / "source.db")
    res: dict[str, Any] = {}
    res["index_sqlite_s"] = _index(source, corpus)
    res["vectors"] = _add_vectors(source)
    with Library(source) as lib:
        res["stats"] = lib.stats()
        export, res["export_sqlite_s"] = _timed(
            lambda: lib.export_archive(workdir / "lib.skillyard.gz"))
    res["archive_mb"] = export.bytes / 1e6
    res["db_mb"] = os.path.getsize(source) / 1e6
    res["rows"] = sum(export.counts.values())

    with Library(str(workdir / "copy.db")) as lib:
        _, res["import_sqlite_s"] = _timed(lambda: lib.import_archive(workdir /
                                                                      "lib.skillyard.gz"))
    pg_index_url, pg_import_url = pg_admin.create_database(), pg_admin.create_database()
    try:
        res["index_postgres_s"] = _index(pg_index_url, corpus)
        with Library(pg_import_url) as lib:
            _, res["import_postgres_s"] = _timed(
                lambda: lib.import_archive(workdir / "lib.skillyard.gz"))
            _, res["export_postgres_s"] = _timed(
                lambda: lib.export_archive(workdir / "back.skillyard.gz"))
        with Library(str(workdir / "back.db")) as lib:
            _, res["import_back_sqlite_s"] = _timed(
                lambda: lib.import_archive(workdir / "back.skillyard.gz"))
        want = _digests(source)
        res["digests_equal"] = (want == _digests(str(workdir / "copy.db"))
                                == _digests(pg_import_url) == _digests(str(workdir / "back.db")))
    finally:
        pg_admin.drop_database(pg_index_url)
        pg_admin.drop_database(pg_import_url)
    return res


def report(res: dict[str, Any]) -> None:
    s = res["stats"]
    print(f"library: {s['skills']} skills, {s['versions']} versions, {s['blobs']} blobs "
          f"({s['blob_bytes'] / 1e6:.0f} MB raw), {res['vectors']} embeddings; "
          f"{res['rows']} rows")
    print(f"archive: {res['archive_mb']:.1f} MB (SQLite file {res['db_mb']:.1f} MB)")
    print(f"{'step':36} {'seconds':>8} {'rows/s':>9}")
    for label, key in (("export SQLite", "export_sqlite_s"),
                       ("import -> SQLite", "import_sqlite_s"),
                       ("import -> PostgreSQL", "import_postgres_s"),
                       ("export PostgreSQL", "export_postgres_s"),
                       ("import PostgreSQL archive -> SQLite", "import_back_sqlite_s")):
        print(f"{label:36} {res[key]:8.1f} {res['rows'] / res[key]:9.0f}")
    print(f"{'baseline: index corpus -> SQLite':36} {res['index_sqlite_s']:8.1f}")
    print(f"{'baseline: index corpus -> PostgreSQL':36} {res['index_postgres_s']:8.1f}")
    print(f"ratio re-index / import: SQLite "
          f"{res['index_sqlite_s'] / res['import_sqlite_s']:.1f}x, PostgreSQL "
          f"{res['index_postgres_s'] / res['import_postgres_s']:.1f}x "
          "(the baseline embeds nothing; an import also brings the embeddings)")
    print(f"every digest equal after SQLite -> SQLite, -> PostgreSQL -> SQLite: "
          f"{res['digests_equal']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N corpus records (0: all)")
    parser.add_argument("--postgres", default="", help="superuser URL of an existing server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from support.postgres import PostgresServer

    if args.postgres:
        os.environ["SKILLYARD_TEST_POSTGRES"] = args.postgres
    server = PostgresServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="skillyard-transfer-") as tmp:
            res = run(Path(tmp), server, args.limit)
    finally:
        server.stop()
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        report(res)


if __name__ == "__main__":
    main()
