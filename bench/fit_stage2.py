"""Fit the router's learned second stage on the ``tune`` split of the development queries.

    .venv/bin/python bench/fit_stage2.py --db LIBRARY.db            # prints, writes nothing
    .venv/bin/python bench/fit_stage2.py --db LIBRARY.db --write    # updates route/data/stage2.json

LIBRARY.db must hold the shared 11K corpus with a built routing index (``bench/routing.py
--workdir DIR`` leaves one in DIR). Queries: ``../shared/data/routing-dev.jsonl`` and
``bench/data/routing/queries.jsonl``; only should-trigger queries of the ``tune`` split are
used (the shared file has no split field: a hash of its qid assigns one, as in
``bench/routing.py``). Positives are the gold ids and the members of their corpus dup_group.
The held-out split is reported, never fitted on. The long task descriptions
(``bench/data/routing/tasks.jsonl``) and the requests with pasted material (``pasted.jsonl``)
are not fitted on either: they measure.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from fitting import fit_and_report  # noqa: E402
from routing import DATA, dev_queries, load_groups  # noqa: E402
from skillyard.route import stage2  # noqa: E402
from skillyard.route.router import RouteIndex, Router, _z  # noqa: E402
from skillyard.route.settings import RouteSettings  # noqa: E402
from skillyard.route.text import tokenize  # noqa: E402

OUT = ROOT / "src" / "skillyard" / "route" / "data" / "stage2.json"


def pools(router: Router, queries: list[dict], group_of: dict[str, str]
          ) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """(features, positive mask, query) for each query whose gold reaches the pool."""
    index = router.index
    group_rows: dict[str, list[int]] = {}
    for row, sid in enumerate(index.ids):
        group_rows.setdefault(group_of.get(sid, sid), []).append(row)
    out = []
    for q in queries:
        signals, _ = router.signals(q["query"])
        zs = {name: _z(v) for name, v in signals.items()}
        share = router.static_share(q["query"])  # as Router.route weighs a long request
        fused = router.fuse(signals, zs, share=share)
        depth = router.settings.stage2_depth
        top = np.argpartition(-fused, depth - 1)[:depth]
        top = top[np.argsort(-fused[top], kind="stable")]
        gold = {r for g in q["gold"] for r in group_rows.get(group_of.get(g, g), [])}
        pos = np.array([int(r) in gold for r in top])
        feats = stage2.features(index, top, zs, fused, tokenize(q["query"]),
                                static_share=share)
        out.append((feats, pos, q))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--corpus", default=str(DATA / "skills-corpus.jsonl.gz"))
    parser.add_argument("--l2", type=float, default=1e-2)
    parser.add_argument("--full-model", action="store_true",
                        help="Also use the full MiniLM query signal (the slower mode).")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    group_of = load_groups(args.corpus)
    change = {"stage2": False}
    if args.full_model:
        change["desc_weight"] = 0.8
    router = Router(RouteIndex.open(args.db), settings=replace(RouteSettings(), **change))
    queries = [q for q in dev_queries(tasks=None, pasted=None) if q["should_trigger"]]
    data = pools(router, queries, group_of)
    fit_and_report(data, stage2.FEATURES, OUT, l2=args.l2, write=args.write,
                   labels=("pool-top", "stage 2"), pool=router.settings.stage2_depth,
                   full_model=args.full_model)


if __name__ == "__main__":
    main()
