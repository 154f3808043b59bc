"""Scale benchmark: batch work on Ray vs one process, and one library on PostgreSQL vs SQLite.

Run from the repository root (needs PostgreSQL + pgvector: scripts/install-postgres.sh):

    .venv/bin/python bench/scale.py                       # 60K skills, 2,000 for batch work
    .venv/bin/python bench/scale.py --skills 20000 --batch-skills 500 --queries 100

1. Batch throughput (``bench/scale_batch.py``): routing-index embedding and auditing with Ray
   (2 local workers) vs a single process, items/s and the ratio.
2. A library of ``--skills`` skills (the 11K corpus, then perturbed copies: same name and
   description, a tenth of the body lines dropped — forks, as in real registries) stored in
   SQLite and in PostgreSQL: write throughput, storage per skill, routing-index build.
3. Route latency over both stores (the 312 development queries): ``Library.route`` alone, and
   route + fetching the top skill from the store (what an MCP ``activate`` adds).
4. Learning: offline mining cost per trajectory (the tau-bench file), single process.
5. A capacity estimate for 1M skills and 10M trajectories from the per-item costs above
   (printed; docs/capacity.md explains it).

A private PostgreSQL server is started in a temporary folder unless ``--postgres URL`` names a
server (a superuser URL; a database is created in it and dropped at the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPUS = DATA / "skills-corpus.jsonl.gz"
QUERIES = DATA / "routing-dev.jsonl"
TAU = DATA / "trajectories" / "tau-bench" / "gpt-4o-airline.json"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- 1. batch ---------------------------------------------------------------------------------
def batch(n: int) -> dict[str, Any]:
    import scale_batch

    return {"index": scale_batch.measure_index(n), "audit": scale_batch.measure_audit(n)}


# -- 2. one library in both stores --------------------------------------------------------------
def perturbed_copies(lib: Any, target: int) -> Iterator[Any]:
    """Forks of the stored skills until the library would hold ``target`` skills."""
    rng = random.Random(7)
    ids = [s.id for s in lib.list()]
    need, replica = target - len(ids), 0
    while need > 0:
        replica += 1
        for sid in ids[:need]:
            skill = lib.get(sid)
            lines = skill.body.splitlines()
            kept = [line for line in lines if rng.random() >= 0.1] or lines
            fork = skill.with_body("\n".join(kept) + f"\n\nFork {replica}.\n")
            yield dataclasses.replace(fork, id=f"{sid}~r{replica}")
        need -= min(need, len(ids))


def fill(lib: Any, skills: Iterator[Any], batch_size: int = 500) -> float:
    """Store skills in batches; returns skills/s."""
    t0, count, chunk = time.perf_counter(), 0, []
    for skill in skills:
        chunk.append(skill)
        if len(chunk) == batch_size:
            lib.add(chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        lib.add(chunk)
        count += len(chunk)
    return count / max(time.perf_counter() - t0, 1e-9)


def copy_library(src: Any, dst: Any) -> dict[str, float]:
    """Current versions and every embedding of ``src`` into ``dst``; write rates."""
    rate = fill(dst, src.store.iter_skills())
    rows = src.store.query("SELECT model, key FROM embeddings")
    t0 = time.perf_counter()
    by_model: dict[str, list[bytes]] = {}
    for model, key in rows:
        by_model.setdefault(model, []).append(bytes(key))
    for model, keys in by_model.items():
        for start in range(0, len(keys), 1000):
            got = src.store.get_vectors(model, keys[start:start + 1000])
            dst.store.put_vectors(model, list(got.items()))
    return {"skills_per_s": rate,
            "vectors_per_s": len(rows) / max(time.perf_counter() - t0, 1e-9)}


def build_libraries(workdir: Path, pg_url: str, target: int) -> dict[str, Any]:
    from skillyard import Library

    out: dict[str, Any] = {}
    sqlite_path = workdir / "scale.db"
    with Library(sqlite_path) as lite:
        if len(lite.list()) < target:
            t0 = time.perf_counter()
            report = lite.index([str(CORPUS)])
            out["corpus_load_s"] = time.perf_counter() - t0
            out["corpus_skills"] = report.loaded
            build = lite.route_index()
            out["corpus_build"] = {"seconds": build.seconds, "embedded": build.embedded}
            out["sqlite_write_skills_per_s"] = fill(lite, perturbed_copies(lite, target))
        t0 = time.perf_counter()
        build = lite.route_index()
        out["sqlite_build"] = {"seconds": round(time.perf_counter() - t0, 1),
                               "embedded": build.embedded, "skills": build.skills}
        out["skills"] = len(lite.list())
        out["sqlite_bytes"] = sqlite_path.stat().st_size
        with Library(pg_url) as pg:
            out["postgres_copy"] = copy_library(lite, pg)
            t0 = time.perf_counter()
            build = pg.route_index()
            out["postgres_build"] = {"seconds": round(time.perf_counter() - t0, 1),
                                     "embedded": build.embedded, "skills": build.skills}
            size = pg.store.query("SELECT pg_database_size(current_database())")[0][0]
            out["postgres_bytes"] = int(size)
    return out


# -- 3. route latency ---------------------------------------------------------------------------
def route_latency(location: str, queries: list[str]) -> dict[str, float]:
    from skillyard import Library

    with Library(location) as lib:
        lib.route(queries[0], k=5)  # open the index, warm the model
        route_ms, full_ms = [], []
        for query in queries:
            t0 = time.perf_counter()
            result = lib.route(query, k=5)
            t1 = time.perf_counter()
            if result.results:
                lib.get(result.results[0].id)
            t2 = time.perf_counter()
            route_ms.append((t1 - t0) * 1000)
            full_ms.append((t2 - t0) * 1000)
    return {"route_p50": percentile(route_ms, 0.5), "route_p95": percentile(route_ms, 0.95),
            "fetch_p50": percentile(full_ms, 0.5), "fetch_p95": percentile(full_ms, 0.95)}


# -- 4. learning --------------------------------------------------------------------------------
def learn_cost() -> dict[str, float]:
    """Reading (JSON parse into trajectories) plus mining, per trajectory, one process."""
    from skillyard.learn import load_file, mine

    t0 = time.perf_counter()
    for _ in range(3):
        runs = load_file(TAU)
        mine(runs)
    seconds = (time.perf_counter() - t0) / 3
    return {"trajectories": len(runs), "per_s": len(runs) / seconds,
            "bytes_per_trajectory": TAU.stat().st_size / max(len(runs), 1)}


# -- 5. capacity --------------------------------------------------------------------------------
def capacity(res: dict[str, Any], workers: int = 16) -> dict[str, Any]:
    """1M skills and 10M trajectories from the measured per-item costs."""
    lib = res["library"]
    per_skill_pg = lib["postgres_bytes"] / lib["skills"]
    per_skill_lite = lib["sqlite_bytes"] / lib["skills"]
    index = res["batch"]["index"] if res.get("batch") else None
    # the embedding stage alone: the build around it (reading, the multilingual vectors)
    # is the routing-index cost, estimated from the library's build below
    embed = (index["items"] / index["single_embed_s"]
             if index and index.get("single_embed_s") else None)
    audit = res["batch"]["audit"]["single_per_s"] if res.get("batch") else None
    mine_rate = res["learn"]["per_s"]
    est: dict[str, Any] = {
        "postgres_gb_1m": per_skill_pg * 1e6 / 1e9,
        "sqlite_gb_1m": per_skill_lite * 1e6 / 1e9,
        "write_hours_1m": 1e6 / lib["postgres_copy"]["skills_per_s"] / 3600,
        "mine_hours_10m_single": 1e7 / mine_rate / 3600,
        "trajectory_gb_10m": res["learn"]["bytes_per_trajectory"] * 1e7 / 1e9,
    }
    if embed and audit:
        # a single process here uses both cores; a worker is one core's share
        est["embed_hours_1m_single"] = 1e6 / embed / 3600
        est["audit_hours_1m_single"] = 1e6 / audit / 3600
        est["embed_hours_1m_workers"] = 1e6 / (embed / 2 * workers) / 3600
        est["audit_hours_1m_workers"] = 1e6 / (audit / 2 * workers) / 3600
    # no per-worker mining estimate: the privacy scrub and the grouping, most of the cost,
    # run on the driver (docs/capacity.md)
    est["workers"] = workers
    return est


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=60_000)
    parser.add_argument("--batch-skills", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=312)
    parser.add_argument("--postgres", default="", help="superuser URL of an existing server")
    parser.add_argument("--workdir", default="", help="keep built libraries here (reused)")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from support.postgres import PostgresServer

    if args.postgres:
        os.environ["SKILLYARD_TEST_POSTGRES"] = args.postgres
    server = PostgresServer()
    server.start()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="skillyard-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SKILLYARD_ROUTE_DIR", str(workdir / "route-cache"))
    pg_url = server.create_database()
    res: dict[str, Any] = {"cores": os.cpu_count()}
    try:
        if not args.skip_batch:
            print(f"[1/4] batch throughput on {args.batch_skills} skills ...", file=sys.stderr)
            res["batch"] = batch(args.batch_skills)
        print(f"[2/4] a {args.skills}-skill library in SQLite and PostgreSQL ...",
              file=sys.stderr)
        res["library"] = build_libraries(workdir, pg_url, args.skills)
        lines = [json.loads(x) for x in QUERIES.read_text("utf-8").splitlines() if x]
        queries = [x["query"] for x in lines][: args.queries]
        print("[3/4] route latency ...", file=sys.stderr)
        res["route"] = {"sqlite": route_latency(str(workdir / "scale.db"), queries),
                        "postgresql": route_latency(pg_url, queries)}
        print("[4/4] learning cost ...", file=sys.stderr)
        res["learn"] = learn_cost()
        res["capacity"] = capacity(res)
    finally:
        server.drop_database(pg_url)
        server.stop()
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        report(res)


def report(res: dict[str, Any]) -> None:
    if "batch" in res:
        for name in ("index", "audit"):
            b = res["batch"][name]
            print(f"{name:6s} {b['items']} items: single {b['single_per_s']:.1f}/s, Ray "
                  f"{b['workers']} workers {b['ray_per_s']:.1f}/s  (ratio {b['ratio']:.2f})")
            if b.get("single_embed_s") and b.get("ray_embed_s"):
                print(f"       the embedding stage alone: single "
                      f"{b['items'] / b['single_embed_s']:.1f}/s, Ray "
                      f"{b['items'] / b['ray_embed_s']:.1f}/s")
    lib = res["library"]
    print(f"library {lib['skills']} skills: SQLite {lib['sqlite_bytes'] / 1e6:.0f} MB, "
          f"PostgreSQL {lib['postgres_bytes'] / 1e6:.0f} MB; PostgreSQL write "
          f"{lib['postgres_copy']['skills_per_s']:.0f} skills/s; index build SQLite "
          f"{lib['sqlite_build']['seconds']} s, PostgreSQL {lib['postgres_build']['seconds']} s "
          f"(embedded {lib['postgres_build']['embedded']}: vectors came from pgvector)")
    lite, pg = res["route"]["sqlite"], res["route"]["postgresql"]
    for key, label in (("route", "route"), ("fetch", "route + fetch top skill")):
        print(f"{label:24s} p50 SQLite {lite[key + '_p50']:.1f} ms, PostgreSQL "
              f"{pg[key + '_p50']:.1f} ms (ratio {pg[key + '_p50'] / lite[key + '_p50']:.2f}); "
              f"p95 {lite[key + '_p95']:.1f} / {pg[key + '_p95']:.1f} ms")
    learn = res["learn"]
    print(f"learn mining: {learn['per_s']:.0f} trajectories/s single process")
    cap = res["capacity"]
    print("capacity (16 workers): " + ", ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in cap.items()))


if __name__ == "__main__":
    main()
