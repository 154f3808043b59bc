"""Fit the body reranker (``route --rerank body``) on the ``tune`` split of the development queries.

    .venv/bin/python bench/fit_bodyrank.py --db LIBRARY.db            # prints, writes nothing
    .venv/bin/python bench/fit_bodyrank.py --db LIBRARY.db --write    # route/data/bodyrank.json

LIBRARY.db must hold the shared 11K corpus with a built routing index (``bench/routing.py
--workdir DIR`` leaves one in DIR). The candidates are what the default fast router hands a
reranker (its top ``bodyrank.DEPTH`` after the learned second stage); queries, splits and
positives (gold ids and the members of their corpus dup_group) are those of
``bench/fit_stage2.py``. Only should-trigger queries of the ``tune`` split are fitted on; the
held-out split is reported, never fitted on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from fitting import fit_and_report  # noqa: E402
from routing import DATA, dev_queries, load_groups  # noqa: E402
from skillyard.route import bodyrank  # noqa: E402
from skillyard.route.rerank import Candidate, RerankOutcome  # noqa: E402
from skillyard.route.router import RouteIndex, Router  # noqa: E402
from skillyard.route.static import shared_static  # noqa: E402

OUT = ROOT / "src" / "skillyard" / "route" / "data" / "bodyrank.json"


class Recorder:
    """A reranker that keeps the candidates it is handed and changes nothing."""

    name = "record"
    depth = bodyrank.DEPTH

    def __init__(self) -> None:
        self.seen: list[Candidate] = []

    def rerank(self, query: str, candidates: list[Candidate], index: RouteIndex
               ) -> RerankOutcome:
        self.seen = candidates[: self.depth]
        return RerankOutcome(candidates)


def pools(router: Router, queries: list[dict], group_of: dict[str, str]
          ) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """(features, positive mask, query) for each query."""
    index = router.index
    group_rows: dict[str, set[int]] = {}
    for row, sid in enumerate(index.ids):
        group_rows.setdefault(group_of.get(sid, sid), set()).add(row)
    recorder, static = Recorder(), shared_static()
    out = []
    for q in queries:
        router.route(q["query"], 10, reranker=recorder)
        head = recorder.seen
        gold = set().union(*(group_rows.get(group_of.get(g, g), set()) for g in q["gold"]))
        pos = np.array([c.row in gold for c in head])
        out.append((bodyrank.features(q["query"], head, index, static), pos, q))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--corpus", default=str(DATA / "skills-corpus.jsonl.gz"))
    parser.add_argument("--l2", type=float, default=1e-2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    group_of = load_groups(args.corpus)
    router = Router(RouteIndex.open(args.db))
    router.warm()
    queries = [q for q in dev_queries(tasks=None, pasted=None) if q["should_trigger"]]
    data = pools(router, queries, group_of)
    fit_and_report(data, bodyrank.FEATURES, OUT, l2=args.l2, write=args.write,
                   labels=("fast", "body rerank"), pool=bodyrank.DEPTH)


if __name__ == "__main__":
    main()
