"""Routing benchmark: skillyard vs plain BM25 on the shared corpus and development queries.

Run from the repository root:

    .venv/bin/python bench/routing.py                 # full run (11K corpus, then 60K)
    .venv/bin/python bench/routing.py --scales ""     # skip the scale replication
    .venv/bin/python bench/routing.py --workdir W --latency-only   # latency at 11K and 60K only

``--latency-only`` reuses the library and index in ``--workdir`` and the replicated
generations already there (``scale-N.route``), skips the build timings, the ablations and the
multilingual rows, and prints wall and CPU time per query next to plain BM25.

Each phase runs in its own subprocess so that its peak memory (ru_maxrss) is its own:

1. load the corpus into a fresh library (not timed as routing);
2. first build of the routing index (tokenize, MinHash, embed, BM25F, groups, calibration);
3. rebuild with nothing changed; then an update after 1% of the skills changed their body;
4. route the development queries (the shared 312, our 378 requests, our 225 long
   messages, 161 task descriptions and 64 chat messages, and our 109 requests with pasted
   material, of ``bench/data/routing``, each split into ``tune`` and ``heldout``) through
   ``Library.route`` (Hit@1, Recall@10 strict and lenient, abstention, latency) and, in the
   same run, today's configuration (full MiniLM query, z-score fusion, no second stage), the
   body reranker (``--rerank body``), per-signal ablations, plain BM25 over
   name+description and over the full SKILL.md text, and the multilingual requests;
5. scale: the index replicated with perturbations to 60K and 200K skills (see ``replicate``),
   routed with the same queries (fast, and with the body reranker), for latency and memory
   growth.

The lenient metrics count any member of the gold's corpus ``dup_group`` as a hit (as the data
README prescribes); the router itself never sees ``dup_group``: it computes its own groups.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from routing_scale import plain_bm25, plain_top, replicate, scale_bm25  # noqa: E402
from skillyard.route.metrics import Judged, abstention, expand, summarize  # noqa: E402

K = 10


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(data: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(data), flush=True)


def run_phase(*args: str, script: str = __file__) -> dict[str, Any]:
    """Run ``script --phase ARGS`` in its own process (its peak RSS is its own) and return
    the JSON it emitted."""
    cmd = [sys.executable, script, "--phase", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"phase {args[0]} failed ({proc.returncode})")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"phase {args[0]} printed no result")


# -- phases ---------------------------------------------------------------------------------
def phase_load(db: str, corpus: str) -> None:
    from skillyard.api import Library

    t0 = time.perf_counter()
    with Library(db) as lib:
        report = lib.index([corpus])
    emit({"loaded": report.loaded, "seconds": time.perf_counter() - t0})


def cpu_s() -> float:
    """CPU time of this process and of the children it waited for (a build's encoder
    process, route/encode_ahead.py)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def child_peak_mb() -> float:
    """Peak RSS of the largest child process waited for (0 when there was none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def phase_build(db: str, full: str, docs: str = "keep") -> None:
    """``docs``: model (--full-model), static (--static-only) or keep (what the index has)."""
    from skillyard.api import Library

    t0, c0 = time.perf_counter(), cpu_s()
    with Library(db) as lib:
        report = lib.route_index(full=full == "full",
                                 full_model={"model": True, "static": False}.get(docs))
    emit({**report.to_dict(), "wall": time.perf_counter() - t0, "cpu": cpu_s() - c0,
          "peak_mb": peak_mb(), "child_peak_mb": child_peak_mb()})


def phase_touch(db: str, count: str) -> None:
    """Change the body of ``count`` skills (a new version each), as an edit would."""
    from skillyard.api import Library

    with Library(db) as lib:
        ids = [s.id for s in lib.list()][:: max(1, len(lib.list()) // int(count))][: int(count)]
        lib.add([lib.get(i).with_body(lib.get(i).body + "\n\nEdited for the benchmark.\n")
                 for i in ids])
    emit({"touched": len(ids)})


def _queries(path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line]


def load_groups(corpus: str) -> dict[str, str]:
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        return {r["id"]: r["dup_group"] for r in map(json.loads, handle)}


_groups = load_groups
OURS = ROOT / "bench" / "data" / "routing"


def hash_split(qid: str) -> str:
    """The split of a shared query (that file has none): about 30% held out, by hash."""
    return "heldout" if int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 10 < 3 else "tune"


def dev_queries(shared: str | Path = DATA / "routing-dev.jsonl",
                ours: str | Path = OURS / "queries.jsonl",
                tasks: str | Path | None = OURS / "tasks.jsonl",
                pasted: str | Path | None = OURS / "pasted.jsonl") -> list[dict[str, Any]]:
    """The shared author-written queries, ours, our long task descriptions (``tasks``) and
    our requests that carry pasted material (``pasted``; None leaves either out), each with
    ``set`` and ``split``."""
    out = []
    for q in _queries(str(shared)):
        out.append({**q, "set": "shared", "split": hash_split(q["qid"])})
    for q in _queries(str(ours)):
        out.append({**q, "set": "mine"})
    for q in _queries(str(tasks)) if tasks is not None else []:
        out.append({**q, "set": "tasks"})
    for q in _queries(str(pasted)) if pasted is not None else []:
        out.append({**q, "set": "pasted"})
    return out


def _judge(queries: list[dict[str, Any]], ranked: list[list[str]], abstained: list[bool],
           group_of: dict[str, str]) -> dict[str, Any]:
    strict = [Judged(r, frozenset(q["gold"]), a) for q, r, a in
              zip(queries, ranked, abstained, strict=True)]
    lenient = [Judged(r, expand(q["gold"], group_of) if q["gold"] else frozenset(), a)
               for q, r, a in zip(queries, ranked, abstained, strict=True)]
    # Scores without abstention: how good the ranking is when the router must answer.
    strict_rank = [Judged(j.ranked, j.gold) for j in strict]
    lenient_rank = [Judged(j.ranked, j.gold) for j in lenient]
    avoided = [not r or expand([q["not_skill"]], group_of).isdisjoint(r[:1]) or a
               for q, r, a in zip(queries, ranked, abstained, strict=True)
               if not q["should_trigger"] and q.get("not_skill")]
    return {"strict": summarize(strict_rank, K), "lenient": summarize(lenient_rank, K),
            "strict_with_abstain": summarize(strict, K),
            "lenient_with_abstain": summarize(lenient, K),
            "abstention": abstention(strict),
            "not_skill_avoided": sum(avoided) / len(avoided) if avoided else None}


SETS = ("shared", "mine", "tasks", "pasted")
PARTS = tuple((source, split) for source in SETS for split in ("tune", "heldout"))


def _by_part(queries: list[dict[str, Any]], ranked: list[list[str]], abstained: list[bool],
             group_of: dict[str, str]) -> dict[str, Any]:
    """Metrics on every (query set, split) part and on each set as a whole."""
    out = {}
    for source, split in (*PARTS, *((source, None) for source in SETS)):
        keep = [i for i, q in enumerate(queries)
                if q["set"] == source and (split is None or q["split"] == split)]
        label = f"{source}/{split or 'all'}"
        out[label] = _judge([queries[i] for i in keep], [ranked[i] for i in keep],
                            [abstained[i] for i in keep], group_of)
    return out


def phase_eval(db: str, queries_path: str, corpus: str, scope: str = "all") -> None:
    """The default router through Library.route (latency, abstention), then (scope "all")
    the same index under other settings (today's configuration and per-signal ablations),
    then the multilingual requests."""
    from skillyard.api import Library

    queries = dev_queries(queries_path)
    group_of = _groups(corpus)
    with Library(db) as lib:
        t0 = time.perf_counter()
        lib.route("warm up the model", k=1)
        open_s = time.perf_counter() - t0
        ranked, abstained, latency, cpu = [], [], [], []
        for q in queries:
            c0 = time.process_time()
            res = lib.route(q["query"], k=K)
            cpu.append((time.process_time() - c0) * 1000)
            ranked.append([h.id for h in res.results])
            abstained.append(res.abstain)
            latency.append(res.latency_ms)
    out = {"parts": _by_part(queries, ranked, abstained, group_of), **_latency(latency),
           **_cpu(cpu), "open_s": open_s, "peak_mb": peak_mb(),
           "load_avg": os.getloadavg()[0]}
    out["systems"] = _systems(db, queries, group_of) if scope == "all" else {}
    out["multilingual"] = _multilingual(db, group_of) if scope == "all" else {}
    emit(out)


TODAY = {"static_weight": 0.0, "desc_weight": 1.25, "stage2": False,
         "prefer_focused_sources": True}
SYSTEMS = {
    "today: MiniLM query, z-fusion": TODAY,
    "skillyard fast (default)": {},
    "  - learned stage 2": {"stage2": False},
    "  - lexical": {"lexical_weight": 0.0},
    "  - static dense": {"static_weight": 0.0},
    "  - long-request rule": {"long_request": (10**9, 10**9 + 1)},
    "  - pasted material left out": {"leave_out_pasted": False},
    "  - material beside the ask": {"pasted_weight": 0.0},
    "  + MiniLM query signal": {"desc_weight": 0.8},
    "  forks: smallest source": {"prefer_focused_sources": True},
}
FAST = "skillyard fast (default)"
RERANKED = "skillyard reranked (--rerank body)"


def _route_all(router: Any, queries: list[dict[str, Any]], reranker: Any = None
               ) -> tuple[list[list[str]], list[float]]:
    ranked, latency = [], []
    for q in queries:
        res = router.route(q["query"], K, reranker=reranker)
        ranked.append([h.id for h in res.results])
        latency.append(res.latency_ms)
    return ranked, latency


def _systems(db: str, queries: list[dict[str, Any]], group_of: dict[str, str]
             ) -> dict[str, Any]:
    """The same index routed with parts of the pipeline switched off or on."""
    from dataclasses import replace

    from skillyard.route.bodyrank import BodyReranker
    from skillyard.route.router import RouteIndex, Router
    from skillyard.route.settings import RouteSettings

    index = RouteIndex.open(db)
    out = {}
    for label, change in SYSTEMS.items():
        if replace(RouteSettings(), **change).desc_weight and index.desc is None:
            continue  # needs the model's description vectors: build with --full-model
        router = Router(index, settings=replace(RouteSettings(), **change))
        router.warm()
        ranked, latency = _route_all(router, queries)
        out[label] = {"parts": _by_part(queries, ranked, [False] * len(queries), group_of),
                      **_latency(latency)}
        if label == FAST:  # the same router with the body reranker on its candidates
            ranked, latency = _route_all(router, queries, BodyReranker())
            out[RERANKED] = {"parts": _by_part(queries, ranked, [False] * len(queries),
                                               group_of), **_latency(latency)}
    return out


def _multilingual(db: str, group_of: dict[str, str]) -> dict[str, Any]:
    """Hit@1 of the requests in other languages next to the same requests in English."""
    from dataclasses import replace

    from skillyard.route.router import RouteIndex, Router
    from skillyard.route.settings import RouteSettings

    english = {q["qid"]: q for q in _queries(str(OURS / "queries.jsonl"))}
    requests = _queries(str(OURS / "multilingual.jsonl"))
    index = RouteIndex.open(db)
    out: dict[str, Any] = {}
    for label, change in (("skillyard fast (default)", {}), ("today", TODAY)):
        if replace(RouteSettings(), **change).desc_weight and index.desc is None:
            continue
        router = Router(index, settings=replace(RouteSettings(), **change))
        router.warm()
        rows: dict[str, Any] = {}
        for lang in sorted({q["lang"] for q in requests if q["english"]}):
            mine = [q for q in requests if q["lang"] == lang and q["english"]]
            twins = [english[q["english"]] for q in mine]
            judged = {}
            for name, qs in (("foreign", mine), ("english", twins)):
                ranked, _ = _route_all(router, qs)
                judged[name] = _judge(qs, ranked, [False] * len(qs), group_of)["lenient"]
            rows[lang] = {"n": len(mine), "hit@1": judged["foreign"]["hit@1"],
                          "english_hit@1": judged["english"]["hit@1"]}
        rev = [q for q in requests if not q["english"] and q["should_trigger"]]
        ranked, _ = _route_all(router, rev)
        rows["English, other-language skills"] = {"n": len(rev), "hit@1": _judge(
            rev, ranked, [False] * len(rev), group_of)["lenient"]["hit@1"]}
        out[label] = rows
    return out


def _latency(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {"p50_ms": float(np.percentile(arr, 50)), "p95_ms": float(np.percentile(arr, 95)),
            "mean_ms": float(arr.mean())}


def _timed(times: dict[str, list[float]]) -> dict[str, float]:
    return {**_latency(times["wall"]), **_cpu(times["cpu"])}


def _cpu(values: list[float]) -> dict[str, float]:
    """CPU time per query (this process): what the query costs, whatever else runs."""
    return {f"cpu_{k}": v for k, v in _latency(values).items()}


def phase_baselines(queries_path: str, corpus: str) -> None:
    """Plain BM25 (k1=1.2, b=0.75, same tokenizer) over name+description and full text."""
    from skillyard.route.text import tokenize

    queries = dev_queries(queries_path)
    group_of = _groups(corpus)
    ids, nd_docs, full_docs = [], [], []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for rec in map(json.loads, handle):
            ids.append(rec["id"])
            nd = tokenize(f"{rec.get('name') or ''} {rec.get('description') or ''}")
            nd_docs.append(nd)
            full_docs.append(tokenize(rec["skill_md"]))
    out: dict[str, Any] = {}
    for label, docs in (("bm25_name_desc", nd_docs), ("bm25_full_text", full_docs)):
        index = plain_bm25(docs)
        ranked, latency, cpu = [], [], []
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            top = plain_top(index, q["query"])
            latency.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            ranked.append([ids[i] for i in top])
        out[label] = {"parts": _by_part(queries, ranked, [False] * len(queries), group_of),
                      **_latency(latency), **_cpu(cpu)}
    emit(out)


def phase_replicate(db: str, target: str, workdir: str) -> None:
    t0 = time.perf_counter()
    gen = replicate(db, int(target), Path(workdir))
    emit({"path": str(gen.path), "seconds": time.perf_counter() - t0, "peak_mb": peak_mb()})


def phase_scale(gen_path: str, queries_path: str) -> None:
    """Open a replicated generation in a fresh process and route the dev queries on it."""
    from skillyard.route import storage
    from skillyard.route.bodyrank import BodyReranker
    from skillyard.route.router import RouteIndex, Router

    gen = storage.Generation(Path(gen_path))
    t0 = time.perf_counter()
    index = RouteIndex(gen)
    router = Router(index)
    router.warm()
    open_s = time.perf_counter() - t0
    queries = _queries(queries_path)
    timed: dict[str, Any] = {}
    for label, reranker in (("fast", None), ("body", BodyReranker())):
        ranked, latency, cpu = [], [], []
        for q in queries:
            c0 = time.process_time()
            res = router.route(q["query"], k=K, reranker=reranker)
            cpu.append((time.process_time() - c0) * 1000)
            ranked.append([h.id.split("~r")[0] for h in res.results])
            latency.append(res.latency_ms)
        judged = summarize([Judged(r, frozenset(q["gold"])) for q, r in
                            zip(queries, ranked, strict=True)], K)
        timed[label] = {**_latency(latency), **_cpu(cpu),
                        "hit@1_strict_original": judged["hit@1"]}
    emit({"skills": len(index.ids), **timed["fast"], "body": timed["body"], "open_s": open_s,
          "load_avg": os.getloadavg()[0], "peak_mb": peak_mb(),
          "index_mb": sum(f.stat().st_size for f in gen.path.iterdir()) / 2**20,
          # the static vectors are scanned as their int8 copy (route/scan.py)
          "query_arrays_mb": ((gen.path / "sdesc_proj.npy").stat().st_size / 4 + sum(
              (gen.path / f"{n}.npy").stat().st_size for n in
              ("lex_vocab", "lex_indptr", "lex_docs", "lex_weights"))) / 2**20,
          "bm25": _timed(scale_bm25(gen, queries, K))})


# -- driver ---------------------------------------------------------------------------------
def _storage_current(root: Path) -> str | None:
    """The live generation of a replicated index made by an earlier run, if any."""
    from skillyard.route import storage

    gen = storage.current(root) if root.is_dir() else None
    return str(gen.path) if gen is not None else None


def pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:4.2f}x" if b else "  n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", nargs="+")
    parser.add_argument("--corpus", default=str(DATA / "skills-corpus.jsonl.gz"))
    parser.add_argument("--queries", default=str(DATA / "routing-dev.jsonl"))
    parser.add_argument("--scales", default="60000")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--eval-only", action="store_true",
                        help="Reuse the library and index in --workdir; skip the build timings.")
    parser.add_argument("--latency-only", action="store_true",
                        help="Reuse --workdir's library, index and replicated generations; "
                             "time queries only (no build timings, ablations or "
                             "multilingual rows).")
    parser.add_argument("--json", dest="json_out", default=None, help="Also write results.")
    parser.add_argument("--full-model", action="store_true",
                        help="Build with the MiniLM model over descriptions too (slow; adds "
                             "the rows that need it: today's configuration, +MiniLM query).")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        globals()[f"phase_{name}"](*rest)
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="skillyard-bench-routing-"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "library.db")
    docs = "model" if args.full_model else "static"
    res: dict[str, Any] = {"cores": os.cpu_count(), "docs": docs}
    if not Path(db).exists():
        res["load"] = run_phase("load", db, args.corpus)
        print(f"library loaded: {res['load']['loaded']} skills in "
              f"{res['load']['seconds']:.0f} s", flush=True)
    if args.eval_only or args.latency_only:  # reuse the index of --workdir
        res["build"] = res["rebuild"] = res["update"] = run_phase("build", db, "incremental",
                                                                 docs)
        res["touch"] = {"touched": 0}
    else:
        res["build"] = run_phase("build", db, "full", docs)
        print(f"first build: {res['build']['wall']:.1f} s", flush=True)
        res["rebuild"] = run_phase("build", db, "incremental")
        res["touch"] = run_phase("touch", db, "110")
        res["update"] = run_phase("build", db, "incremental")
    res["eval"] = run_phase("eval", db, args.queries, args.corpus,
                            "latency" if args.latency_only else "all")
    res["baselines"] = run_phase("baselines", args.queries, args.corpus)
    res["scale"] = []
    for size in [s.strip() for s in args.scales.split(",") if s.strip()]:
        made_gen = _storage_current(work / f"scale-{size}.route") if args.latency_only else None
        made = ({"path": made_gen, "seconds": 0.0} if made_gen is not None
                else run_phase("replicate", db, size, str(work)))
        res["scale"].append({**run_phase("scale", made["path"], args.queries),
                             "replicate_s": made["seconds"]})
        print(f"scale {size}: done", flush=True)
    report(res)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), "utf-8")


def _row(label: str, parts: dict[str, Any], extra: str = "") -> str:
    cells = []
    for source, split in PARTS:
        r = parts[f"{source}/{split}"]
        cells.append(f"{pct(r['strict']['hit@1'])}/{pct(r['lenient']['hit@1'])}")
    rec = [pct(parts[f"{s}/all"]["lenient"]["recall@10"]) for s in SETS]
    return f"{label:34s} " + " ".join(f"{c:>11s}" for c in cells) + f"  {' '.join(rec)} {extra}"


def report(res: dict[str, Any]) -> None:
    ev, base = res["eval"], res["baselines"]
    parts = ev["parts"]
    n = {p: parts[f"{p[0]}/{p[1]}"]["strict"]["n"] for p in PARTS}
    print(f"\nRouting on {res['build']['skills']} skills, {res['cores']} cores. Hit@1 "
          "strict/lenient (lenient: any member of the gold's dup_group) on should-trigger "
          "queries; R@10 lenient; latency per query")
    print(f"{'':34s} " + " ".join(f"{s[:6] + '/' + p[:4]:>11s}" for s, p in PARTS)
          + "  R@10sh R@10my R@10tk R@10ps   p50/p95 ms")
    print(f"{'':34s} " + " ".join(f"{'n=' + str(n[p]):>11s}" for p in PARTS))
    for label, key in (("plain BM25, name+description", "bm25_name_desc"),
                       ("plain BM25, full text", "bm25_full_text")):
        r = base[key]
        print(_row(label, r["parts"], f"{r['p50_ms']:6.2f}/{r['p95_ms']:.2f}"))
    for label, r in ev["systems"].items():
        print(_row(label, r["parts"], f"{r['p50_ms']:6.2f}/{r['p95_ms']:.2f}"))
    print(_row("skillyard via Library.route", parts, f"{ev['p50_ms']:6.2f}/{ev['p95_ms']:.2f}"))
    first = next(iter(ev["systems"]), "")
    today = ev["systems"][first]["parts"] if first.startswith("today") else None
    for source in SETS:
        for split in ("tune", "heldout"):
            a = parts[f"{source}/{split}"]["strict"]["hit@1"]
            c = base["bm25_full_text"]["parts"][f"{source}/{split}"]["strict"]["hit@1"]
            vs_today = ""
            if today is not None:
                b = today[f"{source}/{split}"]["strict"]["hit@1"]
                vs_today = f"skillyard / today {ratio(a, b)} ({100 * (a - b):+.1f} points), "
            print(f"  {source}/{split}: Hit@1 strict {vs_today}"
                  f"skillyard / plain BM25 full text {ratio(a, c)} ({100 * (a - c):+.1f} points)")
    if RERANKED in ev["systems"] and FAST in ev["systems"]:
        for part in (f"{s}/{p}" for s, p in PARTS):
            fast = ev["systems"][FAST]["parts"][part]["strict"]["hit@1"]
            body = ev["systems"][RERANKED]["parts"][part]["strict"]["hit@1"]
            print(f"  {part}: Hit@1 strict, reranked (body) vs fast {100 * (body - fast):+.1f} "
                  "points")
    if today is None and ev["systems"]:
        print("  (today's configuration needs the model's description vectors: --full-model)")
    for label, rows in ev["multilingual"].items():
        cells = []
        for lang, r in rows.items():
            if "english_hit@1" in r:
                cells.append(f"{lang} {pct(r['hit@1'])} (English {pct(r['english_hit@1'])}, "
                             f"n={r['n']})")
            else:
                cells.append(f"{lang} {pct(r['hit@1'])} (n={r['n']})")
        print(f"multilingual Hit@1 lenient, {label}: " + "; ".join(cells))
    for source in SETS:
        ab = parts[f"{source}/all"]["abstention"]
        sa = parts[f"{source}/all"]["strict_with_abstain"]
        print(f"abstention, {source}: {ab['negatives']} should-not-trigger queries; precision "
              f"{pct(ab['precision'])}%, recall {pct(ab['recall'])}%; false-abstain rate "
              f"{pct(ab['false_abstain_rate'])}%; Hit@1 strict counting abstentions as "
              f"misses {pct(sa['hit@1'])}%")
        avoided = parts[f"{source}/all"]["not_skill_avoided"]
        if avoided is not None:
            print(f"  must-not-pick-X queries, {source}: X avoided at rank 1 {pct(avoided)}%")
    b, rb, up = res["build"], res["rebuild"], res["update"]
    print(f"\nindex ({res.get('docs', 'static')} descriptions): first build {b['wall']:.1f} s "
          f"wall, {b.get('cpu', 0):.1f} s CPU (stages {b['stages']}), "
          f"peak {b['peak_mb']:.0f} MB (its encoder process beside the reading: "
          f"{b.get('child_peak_mb', 0):.0f} MB); rebuild with nothing changed {rb['wall']:.2f} s; "
          f"after {res['touch']['touched']} "
          f"body edits {up['wall']:.1f} s wall, {up.get('cpu', 0):.1f} s CPU "
          f"({up['read']} read, {up['embedded']} embedded, "
          f"{up['cached']} vectors from cache)")
    print(f"query process: open + first query {ev['open_s']:.2f} s, peak {ev['peak_mb']:.0f} MB")
    if res["scale"]:
        print(f"\n{'skills':>8s} {'p50 ms':>7s} {'p95 ms':>7s} {'CPU p50':>8s} {'CPU p95':>8s} "
              f"{'BM25 p50/p95 (CPU p50)':>24s} {'open s':>7s} {'peak MB':>8s} "
              f"{'index MB':>9s} {'scanned MB':>10s} {'Hit@1*':>7s}")
        bm = base["bm25_full_text"]
        rows = [(b["skills"], ev, bm, "", "")]
        rows += [(s["skills"], s, s.get("bm25", {}), f"{s['index_mb']:9.0f}",
                  f"{s['query_arrays_mb']:10.0f}") for s in res["scale"]]
        for skills, r, bm25, index_mb, scanned in rows:
            bm_cell = (f"{bm25['p50_ms']:.2f}/{bm25['p95_ms']:.2f} ({bm25['cpu_p50_ms']:.2f})"
                       if bm25 else "")
            hit = (r["parts"]["shared/all"]["strict"]["hit@1"] if "parts" in r
                   else r["hit@1_strict_original"])
            print(f"{skills:8d} {r['p50_ms']:7.2f} {r['p95_ms']:7.2f} "
                  f"{r.get('cpu_p50_ms', float('nan')):8.2f} "
                  f"{r.get('cpu_p95_ms', float('nan')):8.2f} {bm_cell:>24s} "
                  f"{r['open_s']:7.2f} {r['peak_mb']:8.0f} {index_mb:>9s} {scanned:>10s} "
                  f"{pct(hit):>7s}")
            body = r.get("body") or ev["systems"].get(RERANKED)
            if body:
                print(f"{'':8s} reranked (--rerank body): p50 {body['p50_ms']:.2f} ms, p95 "
                      f"{body['p95_ms']:.2f} ms" + (f", Hit@1* {pct(body['hit@1_strict_original'])}"
                                                     if "hit@1_strict_original" in body else ""))
            if bm25:
                print(f"{'':8s} skillyard / plain BM25 full text: p50 wall "
                      f"{ratio(r['p50_ms'], bm25['p50_ms'])}, p50 CPU "
                      f"{ratio(r.get('cpu_p50_ms', 0), bm25['cpu_p50_ms'])}")
        print("peak MB: the query process (index opened memory-mapped, model loaded); "
              "scanned MB: arrays a query reads; CPU: this process's CPU time per query")
        print("* strict Hit@1 where a perturbed copy of the gold also counts (copies are forks)")
    loads = [ev["load_avg"], *(s["load_avg"] for s in res["scale"])]
    print(f"1-minute load average while timing queries: {', '.join(f'{x:.1f}' for x in loads)}"
          f" on {res['cores']} cores (other processes inflate the latencies)")


if __name__ == "__main__":
    main()
