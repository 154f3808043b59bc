"""Routing-index builds at the issue's scale, measured on a real library of 61K skills.

``bench/routing.py`` builds the 11K corpus and replicates its index to 60K for query timing;
this script builds a 61K index for real. The library holds the shared 11K corpus and
perturbed forks of it (bench/scale.py ``perturbed_copies``: a tenth of the body lines dropped,
a fork line added), so every skill has its own body, digest and passages. Each phase runs in
its own subprocess, so the peak RSS printed is that phase's own.

    nice .venv/bin/python bench/routing_build.py --workdir W                 # 61,000 skills
    nice .venv/bin/python bench/routing_build.py --workdir W --multilingual no  # English only
    nice .venv/bin/python bench/routing_build.py --workdir W --skills 20000

Phases: fill the library (once per work folder; not timed as part of the build), the first
build (the index folder removed first), a rebuild with nothing changed, a build after 100
skills changed, and, in the same run, the baseline: plain BM25 over the same skills' full
text (read from the same library, tokenised, indexed) with its own wall time, CPU and peak RSS.
By default the first build also encodes every description and the glossary for cross-lingual
routing (``--multilingual no`` builds as ``reindex --monolingual`` does). Then query latency
on the built index: English development queries and requests in other languages; and a whole
one-shot ``skillyard route`` process per request, beside the start-up every command pays.
Targets (issue 19): first build <= 20 min and <= 2 GiB peak RSS; no-change rebuild <= 10 s;
100 changed skills <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]

import routing  # noqa: E402  (phases in subprocesses, peak RSS, CPU time)

CORPUS = routing.DATA / "skills-corpus.jsonl.gz"
phase_touch = routing.phase_touch  # change the body of N skills (a new version each)


def run_phase(*args: str) -> dict[str, Any]:
    return routing.run_phase(*args, script=__file__)


def phase_fill(db: str, target: str) -> None:
    from scale import fill, perturbed_copies
    from skillyard.api import Library

    t0 = time.perf_counter()
    with Library(db) as lib:
        if not lib.list():
            lib.index([str(CORPUS)])
        have = len(lib.list())
        if have < int(target):
            fill(lib, perturbed_copies(lib, int(target)))
        routing.emit({"skills": len(lib.list()), "seconds": time.perf_counter() - t0})


def phase_build(db: str, multilingual: str) -> None:
    """``multilingual``: yes (--multilingual), no (--monolingual) or default (what the
    library's index does unless told)."""
    from skillyard.api import Library

    t0, c0 = time.perf_counter(), routing.cpu_s()
    with Library(db) as lib:
        report = lib.route_index(multilingual={"yes": True, "no": False}.get(multilingual))
    routing.emit({**report.to_dict(), "wall": time.perf_counter() - t0,
                  "cpu": routing.cpu_s() - c0, "peak_mb": routing.peak_mb(),
                  "child_peak_mb": routing.child_peak_mb()})


def phase_bm25(db: str) -> None:
    """Plain BM25 (k1=1.2, b=0.75, the router's tokenizer) over every skill's full text."""
    from skillyard.api import Library
    from skillyard.route.lexical import BM25FIndex, BM25FParams, TermCounts
    from skillyard.route.text import tokenize

    t0, c0 = time.perf_counter(), routing.cpu_s()
    docs = []
    with Library(db) as lib:
        for skill in lib.store.iter_skills():
            docs.append([tokenize(f"{skill.name} {skill.description} {skill.body}"), [], [], []])
    plain = BM25FParams(weights=(1.0, 0.0, 0.0, 0.0), b=(0.75, 0.0, 0.0, 0.0), k1=1.2)
    index = BM25FIndex.build(TermCounts.from_fields(docs), plain)
    routing.emit({"skills": index.n_docs, "wall": time.perf_counter() - t0,
                  "cpu": routing.cpu_s() - c0, "peak_mb": routing.peak_mb()})


def phase_latency(db: str) -> None:
    """Query latency on the built index: our English development queries, our long task
    descriptions, our requests with pasted material (searched twice: the ask, and the whole
    request) and the requests in other languages of bench/data/routing/multilingual.jsonl,
    fast mode."""
    from skillyard.route.router import RouteIndex, Router
    from skillyard.route.xling import is_foreign

    router = Router(RouteIndex.open(db))
    router.warm()
    english = [q["query"] for q in routing._queries(str(routing.OURS / "queries.jsonl"))]
    foreign = [q["query"] for q in routing._queries(str(routing.OURS / "multilingual.jsonl"))
               if is_foreign(q["query"])]
    tasks = [q["query"] for q in routing._queries(str(routing.OURS / "tasks.jsonl"))
             if q["should_trigger"]]
    pasted = [q["query"] for q in routing._queries(str(routing.OURS / "pasted.jsonl"))]
    out: dict[str, Any] = {"multilingual": router.index.ml is not None}
    for label, queries in (("english", english), ("tasks", tasks), ("pasted", pasted),
                           ("foreign", foreign)):
        out[label] = {"n": len(queries), **routing._latency(
            [router.route(q, routing.K).latency_ms for q in queries])}
    routing.emit(out)


ONE_SHOT_RUNS = 3  # per request


def phase_oneshot(db: str) -> None:
    """A whole ``skillyard route`` process per request, as a user at a shell runs it: start,
    imports, loading the index and the encoders, one query. Beside it, the start that every
    command pays: the interpreter, typer and the ``skillyard`` package (``skillyard
    --version``, which imports no command group)."""
    cli = [sys.executable, "-m", "skillyard"]
    requests = [q["query"] for name in ("queries.jsonl", "tasks.jsonl", "multilingual.jsonl")
                for q in routing._queries(str(routing.OURS / name))[:2]]

    def timed(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cli + args, check=True, capture_output=True)
        return (time.perf_counter() - t0) * 1000

    timed(["route", requests[0], "--db", db, "--json"])  # the page cache and the model cache
    floor = [timed(["--version"]) for _ in range(ONE_SHOT_RUNS)]
    shots = [timed(["route", q, "-k", "5", "--db", db, "--json"])
             for q in requests for _ in range(ONE_SHOT_RUNS)]
    routing.emit({"n": len(requests), "floor": routing._latency(floor),
                  "route": routing._latency(shots)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", nargs="+")
    parser.add_argument("--workdir", default=None, help="keep the library here (reused)")
    parser.add_argument("--skills", type=int, default=61_000)
    parser.add_argument("--multilingual", choices=("default", "yes", "no"), default="default",
                        help="build with --multilingual (yes), --monolingual (no) or neither")
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        globals()[f"phase_{name}"](*rest)
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="skillyard-bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / f"library-{args.skills}.db")
    res: dict[str, Any] = {"skills": args.skills, "multilingual": args.multilingual}
    res["fill"] = run_phase("fill", db, str(args.skills))
    print(f"library: {res['fill']['skills']} skills ({res['fill']['seconds']:.0f} s)",
          flush=True)
    shutil.rmtree(f"{db}.route", ignore_errors=True)
    ml = args.multilingual
    res["first"] = run_phase("build", db, ml)
    print(f"first build: {res['first']['wall']:.0f} s", flush=True)
    res["rebuild"] = run_phase("build", db, ml)
    res["touch"] = run_phase("touch", db, "100")
    res["update"] = run_phase("build", db, ml)
    res["bm25"] = run_phase("bm25", db)
    res["latency"] = run_phase("latency", db)
    res["oneshot"] = run_phase("oneshot", db)
    report(res)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), "utf-8")


def report(res: dict[str, Any]) -> None:
    first, bm25 = res["first"], res["bm25"]
    print(f"\n{res['fill']['skills']} skills; load average at the end "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'':34s}{'wall':>9s}{'CPU':>9s}{'peak RSS':>10s}")
    rows = [("plain BM25, full text (baseline)", bm25),
            (f"skillyard first build ({res['multilingual']})", first),
            ("skillyard, nothing changed", res["rebuild"]),
            (f"skillyard, {res['touch']['touched']} skills changed", res["update"])]
    for label, r in rows:
        print(f"{label:34s}{r['wall']:8.1f}s{r['cpu']:8.1f}s{r['peak_mb']:8.0f} MB")
    print(f"first build vs plain BM25: x{first['wall'] / max(bm25['wall'], 1e-9):.1f} wall, "
          f"x{first['peak_mb'] / max(bm25['peak_mb'], 1e-9):.1f} peak RSS")
    print(f"stages of the first build (s): {first.get('stages')}")
    if first.get("child_peak_mb"):
        print(f"its multilingual encoder process, beside the reading (route/encode_ahead.py): "
              f"peak RSS {first['child_peak_mb']:.0f} MB (CPU above includes it)")
    lat = res["latency"]
    print(f"query latency, fast mode (multilingual vectors: {lat['multilingual']}): "
          + "; ".join(f"{label} ({lat[label]['n']}) p50 {lat[label]['p50_ms']:.1f} ms, "
                      f"p95 {lat[label]['p95_ms']:.1f} ms"
                      for label in ("english", "tasks", "pasted", "foreign") if label in lat))
    shot = res.get("oneshot")
    if shot:
        print(f"one-shot 'skillyard route' process ({shot['n']} requests): p50 "
              f"{shot['route']['p50_ms'] / 1000:.2f} s, p95 {shot['route']['p95_ms'] / 1000:.2f} s;"
              f" of which the start ('skillyard --version') "
              f"{shot['floor']['p50_ms'] / 1000:.2f} s")


if __name__ == "__main__":
    main()
