"""Indexing throughput: skillyard vs a plain read-and-hash loop over the same input.

Run: .venv/bin/python bench/index.py [--copies 25]

Phases run in fresh processes so that each peak RSS is its own. The baseline reads every byte
and hashes it (what any indexer must at least do); skillyard also parses, validates,
inventories, compresses and commits to SQLite, so the ratio shows what it adds.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS = DATA / "skills-corpus.jsonl.gz"
SAMPLES = DATA / "sample-skills"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_corpus(path: str) -> tuple[int, float]:
    count = 0
    with gzip.open(path, "rb") as handle:
        for line in handle:
            record = json.loads(line)
            hashlib.sha256(record.get("skill_md", "").encode()).hexdigest()
            count += 1
    return count, _peak_mb()


def baseline_tree(path: str) -> tuple[int, float]:
    count = 0
    for root, dirs, files in os.walk(path):
        dirs.sort()
        if "SKILL.md" in files:
            count += 1
        for name in files:
            hashlib.sha256(Path(root, name).read_bytes()).hexdigest()
    return count, _peak_mb()


def skillyard_index(source: str, db: str) -> tuple[int, float]:
    from skillyard import Library

    with Library(db) as lib:
        report = lib.index([source])
    return report.loaded, _peak_mb()


def timed(func, *args) -> tuple[int, float, float]:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        start = time.perf_counter()
        count, peak = pool.apply(func, args)
        elapsed = time.perf_counter() - start
    return count, elapsed, peak


def make_tree(copies: int, into: Path) -> Path:
    for i in range(copies):
        shutil.copytree(SAMPLES, into / f"copy{i:03d}", ignore=shutil.ignore_patterns("*.md~"))
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=25, help="copies of sample-skills")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        tree = make_tree(args.copies, tmpdir / "tree")
        for label, source, base in (
            ("JSONL corpus", str(CORPUS), baseline_corpus),
            (f"folder tree ({args.copies}x sample-skills)", str(tree), baseline_tree),
        ):
            db = tmpdir / f"{len(rows)}.db"
            b_count, b_time, b_peak = timed(base, source)
            s_count, s_time, s_peak = timed(skillyard_index, source, str(db))
            r_count, r_time, _ = timed(skillyard_index, source, str(db))  # nothing changed
            size = sum(p.stat().st_size for p in tmpdir.glob(f"{db.name}*"))
            rows.append((label, b_count, b_time, b_peak, s_count, s_time, s_peak, r_time, size))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    header = (f"{'input':38} {'skills':>7} {'baseline/s':>11} {'skillyard/s':>12} "
              f"{'ratio':>6} {'re-index/s':>11} {'db MB':>7} {'peak MB (base/sy)':>18}")
    print(header)
    print("-" * len(header))
    for label, bc, bt, bp, sc, st, sp, rt, size in rows:
        print(f"{label:38} {sc:>7} {bc / bt:>11.0f} {sc / st:>12.0f} {(sc / st) / (bc / bt):>6.2f} "
              f"{sc / rt:>11.0f} {size / 1e6:>7.1f} {bp:>8.0f}/{sp:<8.0f}")
    print("ratio = skillyard skills/s ÷ baseline skills/s (process start included in both)")


if __name__ == "__main__":
    main()
