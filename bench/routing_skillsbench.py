"""Routing on real task statements: the SkillsBench tasks of the shared evaluation data.

Each SkillsBench task ships the skills its author meant the agent to use
(``environment/skills``). This bench adds those skills to a library of the 11K corpus and
routes every task's ``instruction.md`` as a user would hand it over, whole:

    .venv/bin/python bench/routing_skillsbench.py
    .venv/bin/python bench/routing_skillsbench.py --workdir DIR   # reuse bench/routing.py's

With ``--workdir`` it copies the library and routing index that ``bench/routing.py --workdir
DIR`` left there (the copy is updated incrementally); without, it loads the corpus and builds
one. A task counts as a hit when the first result is one of its skills or a byte-identical
copy of one (the same ``xlsx`` SKILL.md ships with four tasks). Plain BM25 over the same
skills' full SKILL.md text is measured in the same run.

Report only: no setting of the router was chosen on these tasks, and none may be. There are
only 16 of them, so one task is 6 points.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TASKS = DATA / "eval-tasks" / "skillsbench"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from routing_scale import plain_bm25, plain_top  # noqa: E402

K = 10


def tasks(root: Path) -> list[dict[str, Any]]:
    """Each task's name, instruction and skill folders (tasks without skills are skipped)."""
    out = []
    for folder in sorted(p for p in root.iterdir() if (p / "instruction.md").is_file()):
        skills = sorted(p for p in (folder / "environment" / "skills").glob("*")
                        if (p / "SKILL.md").is_file())
        if skills:
            out.append({"task": folder.name, "skills": skills,
                        "instruction": (folder / "instruction.md").read_text("utf-8")})
    return out


def _digest(folder: Path) -> str:
    """The sha256 of a skill's SKILL.md bytes (the corpus's ``sha256`` field)."""
    return hashlib.sha256((folder / "SKILL.md").read_bytes()).hexdigest()


def skill_id(path: Path) -> str:
    """The library's id of a skill folder: the absolute path as given, not symlink-resolved
    (``../shared`` may be a symlink)."""
    return f"dir:{os.path.abspath(path)}"


def library(workdir: Path, corpus: Path, found: list[dict[str, Any]]) -> str:
    """A library of the corpus plus every task's skills, its routing index up to date."""
    from skillyard.api import Library

    db = workdir / "skillsbench.db"
    source = workdir / "library.db"
    fresh = not db.exists()
    if fresh and source.exists():  # bench/routing.py's library and index
        shutil.copy(source, db)
        if Path(f"{source}.route").is_dir():
            shutil.copytree(f"{source}.route", f"{db}.route", symlinks=True)
    with Library(str(db)) as lib:
        if fresh and not source.exists():
            lib.index([str(corpus)])
        lib.index([os.path.abspath(path) for task in found for path in task["skills"]])
        lib.route_index()
    return str(db)


def every_skill(corpus: Path, found: list[dict[str, Any]]
                ) -> Iterator[tuple[str, str, str]]:
    """(id, sha256 of SKILL.md, SKILL.md text) of every skill in the library: the corpus's,
    then the tasks'."""
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for rec in map(json.loads, handle):
            yield rec["id"], rec["sha256"], rec["skill_md"]
    for task in found:
        for path in task["skills"]:
            data = (path / "SKILL.md").read_bytes()
            yield skill_id(path), _digest(path), data.decode("utf-8", "replace")


def gold(task: dict[str, Any], copies: dict[str, set[str]]) -> set[str]:
    """The task's skills and every byte-identical copy of them (``copies``: ids by digest)."""
    out: set[str] = set()
    for path in task["skills"]:
        out |= copies[_digest(path)]
    return out


def first_rank(ranked: list[str], wanted: set[str]) -> int | None:
    return next((i + 1 for i, sid in enumerate(ranked) if sid in wanted), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=None,
                        help="bench/routing.py's --workdir, to reuse its library and index")
    parser.add_argument("--tasks", default=str(TASKS))
    parser.add_argument("--corpus", default=str(DATA / "skills-corpus.jsonl.gz"))
    parser.add_argument("--json", dest="json_out", default=None, help="Also write results.")
    args = parser.parse_args()
    if not Path(args.tasks).is_dir():
        sys.exit(f"error: no folder {args.tasks}")
    found = tasks(Path(args.tasks))
    if not found:
        sys.exit(f"error: no task with skills under {args.tasks}")
    with tempfile.TemporaryDirectory(prefix="skillyard-bench-skillsbench-") as scratch:
        work = Path(args.workdir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        rows = measure(work, Path(args.corpus), found)
    report(rows)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=1), "utf-8")


def measure(work: Path, corpus: Path, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each task's rank of its first skill: skillyard fast, with the body reranker, and plain
    BM25 over the full text."""
    from skillyard.api import Library
    from skillyard.route.bodyrank import BodyReranker
    from skillyard.route.text import tokenize

    db = library(work, corpus, found)
    copies: dict[str, set[str]] = {}
    ids, docs = [], []
    for sid, digest, text in every_skill(corpus, found):  # one pass: copies and the baseline
        copies.setdefault(digest, set()).add(sid)
        ids.append(sid)
        docs.append(tokenize(text))
    bm25 = plain_bm25(docs)
    rows = []
    with Library(db) as lib:
        for task in found:
            wanted = gold(task, copies)
            fast = lib.route(task["instruction"], K)
            body = lib.route(task["instruction"], K, reranker=BodyReranker())
            rows.append({
                "task": task["task"], "skills": len(task["skills"]),
                "words": len(task["instruction"].split()),
                "fast": first_rank([h.id for h in fast.results], wanted),
                "body": first_rank([h.id for h in body.results], wanted),
                "bm25": first_rank([ids[i] for i in plain_top(bm25, task["instruction"], K)],
                                   wanted),
                "first": fast.results[0].name if fast.results else "-",
                "fast_ms": fast.latency_ms, "body_ms": body.latency_ms})
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    def cell(rank: int | None) -> str:
        return f"{rank:>4d}" if rank is not None else f"{'>' + str(K):>4s}"

    print(f"SkillsBench tasks routed whole over the 11K corpus plus their skills "
          f"({len(rows)} tasks; rank of the first of the task's skills)")
    print(f"{'task':34s} {'skills':>6s} {'words':>6s} {'fast':>5s} {'body':>5s} "
          f"{'BM25':>5s}  fast's first result")
    for r in rows:
        print(f"{r['task']:34s} {r['skills']:6d} {r['words']:6d} {cell(r['fast']):>5s} "
              f"{cell(r['body']):>5s} {cell(r['bm25']):>5s}  {r['first']}")
    n = len(rows)
    for label, key in (("skillyard fast (default)", "fast"),
                       ("skillyard --rerank body", "body"), ("plain BM25, full text", "bm25")):
        hit1 = sum(r[key] == 1 for r in rows)
        at10 = sum(r[key] is not None for r in rows)
        print(f"{label:26s} Hit@1 {hit1:2d}/{n} ({100 * hit1 / n:5.1f}%)  "
              f"Recall@{K} {at10:2d}/{n} ({100 * at10 / n:5.1f}%)")
    ours, plain = (sum(r[key] == 1 for r in rows) for key in ("fast", "bm25"))
    print(f"Hit@1 skillyard fast / plain BM25 full text: "
          f"{ours / plain if plain else float('inf'):.2f}x ({ours - plain:+d} tasks)")
    for key in ("fast", "body"):
        ms = sorted(r[f"{key}_ms"] for r in rows)
        print(f"latency {key}: p50 {float(np.percentile(ms, 50)):.1f} ms, "
              f"max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
