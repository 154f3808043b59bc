"""Cross-lingual routing benchmark: requests in other languages over English-described skills.

Run from the repository root:

    nice .venv/bin/python bench/routing_xling.py                    # load + build + eval
    nice .venv/bin/python bench/routing_xling.py --workdir DIR      # reuse DIR's library

On the shared 11K corpus, each phase in its own subprocess (peak memory is its own):

1. load the corpus into a library and build the English-only routing index
   (``--monolingual``), unless the work folder already has the library;
2. ``route_index(multilingual=True)``: what the multilingual vectors (on by default) add to
   a build (seconds, CPU, peak RSS, skills encoded; the glossary of route/gloss.py
   included), then a rebuild with nothing changed;
3. route ``bench/data/routing/multilingual.jsonl`` (German, Spanish, Chinese, French and
   Japanese versions of English development requests, English requests for skills
   described in another language, and foreign small talk) and the English originals, in
   the same run, with plain BM25 over name+description, skillyard ``--monolingual`` (the
   multilingual vectors hidden) and skillyard's default; per language and split (``tune``
   chose the weights in ``route/xling.py``; ``heldout`` did not), Hit@1 lenient, abstention
   and latency; and the English development queries both ways (the vectors must not cost
   them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import routing  # noqa: E402  (bench/routing.py: corpus, phases, judging)

ML = routing.OURS / "multilingual.jsonl"
SPLITS = ("tune", "heldout")
MONO = "skillyard --monolingual"
DEFAULT = "skillyard (default)"


def run_phase(*args: str) -> dict[str, Any]:
    return routing.run_phase(*args, script=__file__)


def phase_monobuild(db: str) -> None:
    """The English-only index (``reindex --full --monolingual``), so that the next phase
    measures what the multilingual vectors and the glossary cost."""
    from skillyard.api import Library

    t0 = time.perf_counter()
    with Library(db) as lib:
        report = lib.route_index(full=True, multilingual=False)
    routing.emit({**report.to_dict(), "wall": time.perf_counter() - t0})


def phase_mlbuild(db: str) -> None:
    from skillyard.api import Library

    t0, c0 = time.perf_counter(), routing.cpu_s()
    with Library(db) as lib:
        report = lib.route_index(multilingual=True)
    routing.emit({**report.to_dict(), "wall": time.perf_counter() - t0,
                  "cpu": routing.cpu_s() - c0, "peak_mb": routing.peak_mb()})


def _hit1(queries: list[dict[str, Any]], ranked: list[list[str]],
          group_of: dict[str, str]) -> float | None:
    if not queries:
        return None
    return routing._judge(queries, ranked, [False] * len(queries),
                          group_of)["lenient"]["hit@1"]


def _bm25(corpus: str) -> Any:
    """Plain BM25 (k1=1.2, b=0.75) over name+description, as bench/routing.py's baseline."""
    import gzip

    from skillyard.route.lexical import BM25FIndex, BM25FParams, TermCounts
    from skillyard.route.text import tokenize

    ids, docs = [], []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for rec in map(json.loads, handle):
            ids.append(rec["id"])
            docs.append([tokenize(f"{rec.get('name') or ''} {rec.get('description') or ''}"),
                         [], [], []])
    index = BM25FIndex.build(TermCounts.from_fields(docs),
                             BM25FParams(weights=(1.0, 0.0, 0.0, 0.0), b=(0.75, 0.0, 0.0, 0.0),
                                         k1=1.2))

    def search(query: str) -> list[str]:
        scores = index.score(tokenize(query))
        top = np.argsort(-scores, kind="stable")[: routing.K]
        return [ids[i] for i in top if scores[i] > 0]

    return search


def phase_eval(db: str, corpus: str) -> None:
    from skillyard.route.router import RouteIndex, Router
    from skillyard.route.xling import is_foreign

    group_of = routing.load_groups(corpus)
    english = {q["qid"]: q for q in routing._queries(str(routing.OURS / "queries.jsonl"))}
    requests = routing._queries(str(ML))
    bm25 = _bm25(corpus)
    with_ml = RouteIndex.open(db)
    if with_ml.ml is None:
        raise SystemExit("the index has no multilingual vectors: run the mlbuild phase first")
    without = RouteIndex.open(db)
    without.ml = None
    systems: dict[str, Any] = {"plain BM25, name+description": None,
                               MONO: Router(without), DEFAULT: Router(with_ml)}
    for router in systems.values():
        if router is not None:
            router.warm()
    langs = sorted({q["lang"] for q in requests if q["english"]})
    out: dict[str, Any] = {"detected": {}, "systems": {}}
    for lang in langs:
        mine = [q for q in requests if q["lang"] == lang and q["english"]]
        out["detected"][lang] = sum(is_foreign(q["query"]) for q in mine) / len(mine)
    for label, router in systems.items():
        rows: dict[str, Any] = {}

        def run(qs: list[dict[str, Any]], router: Any = router) -> tuple[list[list[str]],
                                                                          list[float], list[bool]]:
            ranked, lat, abst = [], [], []
            for q in qs:
                if router is None:
                    t0 = time.perf_counter()
                    ranked.append(bm25(q["query"]))
                    lat.append((time.perf_counter() - t0) * 1000)
                    abst.append(False)
                    continue
                res = router.route(q["query"], routing.K)
                ranked.append([h.id for h in res.results])
                lat.append(res.latency_ms)
                abst.append(res.abstain)
            return ranked, lat, abst

        foreign_lat: list[float] = []
        for lang in langs:
            for split in SPLITS:
                mine = [q for q in requests
                        if q["lang"] == lang and q["english"] and q["split"] == split]
                twins = [english[q["english"]] for q in mine]
                ranked, lat, abst = run(mine)
                foreign_lat += lat
                ranked_en, _, _ = run(twins)
                rows[f"{lang}/{split}"] = {
                    "n": len(mine), "hit@1": _hit1(mine, ranked, group_of),
                    "english_hit@1": _hit1(twins, ranked_en, group_of),
                    "abstained": sum(abst) / len(abst)}
        for split in SPLITS:  # English requests for skills described in another language
            rev = [q for q in requests
                   if not q["english"] and q["should_trigger"] and q["split"] == split]
            ranked, _, _ = run(rev)
            rows[f"reverse/{split}"] = {"n": len(rev), "hit@1": _hit1(rev, ranked, group_of)}
        small = [q for q in requests if not q["should_trigger"]]
        _, _, abst = run(small)
        rows["foreign small talk"] = {"n": len(small), "abstained": sum(abst) / len(abst)}
        dev = [q for q in english.values() if q["should_trigger"]]
        ranked, lat, abst = run(dev)
        rows["english dev"] = {"n": len(dev), "hit@1": _hit1(dev, ranked, group_of),
                               "abstained": sum(abst) / len(abst), **routing._latency(lat)}
        rows["foreign latency"] = routing._latency(foreign_lat)
        out["systems"][label] = rows
    out["peak_mb"] = routing.peak_mb()
    routing.emit(out)


def pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}"


def report(res: dict[str, Any]) -> None:
    ml = res["mlbuild"]
    print(f"\nthe multilingual vectors on {ml['skills']} skills: {ml['wall']:.1f} s wall, "
          f"{ml['cpu']:.1f} s CPU (multilingual stage {ml['stages'].get('multilingual', 0):.1f} s"
          f"), peak RSS {ml['peak_mb']:.0f} MB; rebuild with nothing changed "
          f"{res['rebuild']['wall']:.1f} s")
    per = ml["stages"].get("multilingual", 0) / max(1, ml["skills"])
    print(f"  per skill {1000 * per:.1f} ms -> about {61000 * per / 60:.1f} min for 61K skills "
          "on this machine (load average at the start of the run: "
          f"{res['load_avg']:.1f})")
    ev = res["eval"]
    print("detected as not English: " + ", ".join(
        f"{k} {100 * v:.0f}%" for k, v in ev["detected"].items()))
    print("\nHit@1 lenient of the foreign request (the same request in English), per split")
    systems = ev["systems"]
    keys = [k for k in next(iter(systems.values())) if "/" in k and not k.startswith("reverse")]
    print("requests: " + ", ".join(f"{k} {systems[DEFAULT][k]['n']}" for k in keys))
    print(f"{'':32s}" + "".join(f"{k:>18s}" for k in keys))
    for label, rows in systems.items():
        cells = [f"{pct(rows[k]['hit@1'])} ({pct(rows[k]['english_hit@1']).strip()})"
                 for k in keys]
        print(f"{label:32s}" + "".join(f"{c:>18s}" for c in cells))
    print()
    for label, rows in systems.items():
        dev = rows["english dev"]
        small, lat = rows["foreign small talk"], rows["foreign latency"]
        rev = "; ".join(f"{split} {pct(rows[f'reverse/{split}']['hit@1']).strip()} "
                        f"(n={rows[f'reverse/{split}']['n']})" for split in SPLITS)
        print(f"{label:32s} English requests for other-language skills, Hit@1 {rev}; English "
              f"dev Hit@1 {pct(dev['hit@1'])} (n={dev['n']}), p50/p95 {dev['p50_ms']:.1f}/"
              f"{dev['p95_ms']:.1f} ms; foreign "
              f"p50/p95 {lat['p50_ms']:.1f}/{lat['p95_ms']:.1f} ms; foreign small talk "
              f"abstained {pct(small['abstained'])}%, foreign requests abstained "
              f"{pct(np.mean([rows[k]['abstained'] for k in keys]))}%")
    base, ours = systems[MONO], systems[DEFAULT]
    for split in SPLITS:
        f = [ours[k]["hit@1"] for k in keys if k.endswith(split)]
        e = [ours[k]["english_hit@1"] for k in keys if k.endswith(split)]
        b = [base[k]["hit@1"] for k in keys if k.endswith(split)]
        print(f"{split}: foreign mean Hit@1 {100 * np.mean(f):.1f} vs the same requests in "
              f"English {100 * np.mean(e):.1f} ({100 * (np.mean(f) - np.mean(e)):+.1f} points); "
              f"--monolingual {100 * np.mean(b):.1f} ({100 * (np.mean(f) - np.mean(b)):+.1f} "
              "points)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", nargs="+")
    parser.add_argument("--corpus", default=str(routing.DATA / "skills-corpus.jsonl.gz"))
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        globals()[f"phase_{name}"](*rest)
        return
    import os

    work = Path(args.workdir or tempfile.mkdtemp(prefix="skillyard-bench-xling-"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "library.db")
    res: dict[str, Any] = {"load_avg": os.getloadavg()[0]}
    if not Path(db).exists():
        res["load"] = routing.run_phase("load", db, args.corpus)
        res["build"] = run_phase("monobuild", db)
        print(f"library loaded and default index built ({res['build']['wall']:.0f} s)",
              flush=True)
    if not res.get("build"):  # a reused work folder: start from the English-only index
        run_phase("monobuild", db)
    res["mlbuild"] = run_phase("mlbuild", db)
    res["rebuild"] = run_phase("mlbuild", db)
    res["eval"] = run_phase("eval", db, args.corpus)
    report(res)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), "utf-8")


if __name__ == "__main__":
    main()
