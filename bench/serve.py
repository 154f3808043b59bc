"""MCP serving latency and throughput over a 10K-skill library, against the direct Python API.

Run: .venv/bin/python bench/serve.py [--skills 10000] [--queries 100] [--clients 50]

Builds (once, cached in --work) a library of the first N corpus skills, audits it and builds its
routing index. Then, on the same library and queries:
  baseline  the same tool functions called in-process (skillyard.serve.tools), no MCP;
  stdio     `skillyard serve` as a subprocess, the SDK client over stdio;
  http      `skillyard serve --transport http`, the SDK client over streamable HTTP;
  50 http   concurrent clients, each searching and activating in a loop (throughput).
Prints p50/p95 per operation and transport, the ratio to the baseline, and the targets
(search p50 <= 50 ms over stdio, activate p50 <= 10 ms).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS = DATA / "skills-corpus.jsonl.gz"
QUERIES = DATA / "routing-dev.jsonl"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def prepare(work: Path, n: int) -> Path:
    from skillyard import Library

    work.mkdir(parents=True, exist_ok=True)
    db = work / f"library-{n}.db"
    subset = work / f"corpus-{n}.jsonl.gz"
    if not subset.exists():
        with gzip.open(CORPUS, "rb") as src, gzip.open(subset, "wb") as dst:
            for i, line in enumerate(src):
                if i >= n:
                    break
                dst.write(line)
    with Library(db) as lib:
        t0 = time.perf_counter()
        report = lib.index([str(subset)])
        if report.added or report.updated:
            print(f"indexed {report.loaded} skills in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
        t0 = time.perf_counter()
        results = lib.audit()
        print(f"audited {len(results)} skills in {time.perf_counter() - t0:.1f} s "
              f"({sum(r.verdict == 'block' for r in results)} blocked)", file=sys.stderr)
        t0 = time.perf_counter()
        lib.route_index()
        print(f"routing index ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return db


def load_queries(limit: int) -> list[str]:
    out = []
    with QUERIES.open(encoding="utf-8") as handle:
        for line in handle:
            out.append(json.loads(line)["query"])
    return out[:limit]


def direct(db: Path, queries: list[str]) -> tuple[dict[str, list[float]], list[str], float]:
    """The baseline: the server's own tool functions, in-process, no protocol."""
    from skillyard import Library
    from skillyard.serve import open_served
    from skillyard.serve import tools as T

    lib = Library(db)
    t0 = time.perf_counter()
    served = open_served(lib)
    startup = time.perf_counter() - t0
    times: dict[str, list[float]] = {"search": [], "activate": []}
    targets: list[str] = []
    for query in queries:
        t0 = time.perf_counter()
        hits = T.search_skills(served, query, 5)["results"]
        times["search"].append(time.perf_counter() - t0)
        if hits:
            targets.append(hits[0]["id"])
    for sid in targets:
        t0 = time.perf_counter()
        T.activate_skill(served, sid)
        times["activate"].append(time.perf_counter() - t0)
    lib.close()
    return times, targets, startup


async def session_times(client: Client, queries: list[str], targets: list[str],
                        errors: list[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"search": [], "activate": []}
    for query in queries:
        t0 = time.perf_counter()
        result = await client.call_tool("search_skills", {"query": query, "k": 5})
        times["search"].append(time.perf_counter() - t0)
        if result.is_error:
            errors.append(result.content[0].text)
    for sid in targets:
        t0 = time.perf_counter()
        result = await client.call_tool("activate_skill", {"name": sid})
        times["activate"].append(time.perf_counter() - t0)
        if result.is_error:
            errors.append(result.content[0].text)
    return times


def over_stdio(db: Path, queries: list[str], targets: list[str],
               errors: list[str]) -> tuple[dict[str, list[float]], float]:
    params = StdioServerParameters(command=sys.executable, env=dict(os.environ),
                                   args=["-m", "skillyard", "serve", "--db", str(db)])
    out: dict[str, Any] = {}

    async def main() -> None:
        t0 = time.perf_counter()
        async with Client(params) as client:
            out["startup"] = time.perf_counter() - t0
            await client.call_tool("search_skills", {"query": "warm up", "k": 1})
            out["times"] = await session_times(client, queries, targets, errors)

    anyio.run(main)
    return out["times"], out["startup"]


def start_http(db: Path) -> tuple[subprocess.Popen, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillyard", "serve", "--db", str(db), "--transport", "http",
         "--port", "0", "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit(f"server exited with {proc.wait()}")
        if line.startswith("{"):
            return proc, json.loads(line)["url"], time.perf_counter() - t0


def over_http(url: str, queries: list[str], targets: list[str],
              errors: list[str]) -> dict[str, list[float]]:
    out: dict[str, Any] = {}

    async def main() -> None:
        async with Client(url) as client:
            await client.call_tool("search_skills", {"query": "warm up", "k": 1})
            out["times"] = await session_times(client, queries, targets, errors)

    anyio.run(main)
    return out["times"]


def concurrent(url: str, clients: int, rounds: int, queries: list[str], targets: list[str],
               errors: list[str]) -> tuple[float, int, dict[str, list[float]]]:
    times: dict[str, list[float]] = {"search": [], "activate": []}
    ops = 0

    async def one(i: int) -> None:
        nonlocal ops
        try:
            async with Client(url) as client:
                for r in range(rounds):
                    j = (i * rounds + r) % len(queries)
                    t0 = time.perf_counter()
                    res = await client.call_tool("search_skills", {"query": queries[j], "k": 5})
                    times["search"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    act = await client.call_tool("activate_skill",
                                                 {"name": targets[j % len(targets)]})
                    times["activate"].append(time.perf_counter() - t0)
                    if res.is_error or act.is_error:
                        errors.append((res if res.is_error else act).content[0].text)
                    ops += 2
        except Exception as exc:  # counted as an error, the run goes on
            errors.append(f"client {i}: {exc!r}")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(clients):
                tg.start_soon(one, i)

    t0 = time.perf_counter()
    anyio.run(main)
    return time.perf_counter() - t0, ops, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="search+activate per client")
    parser.add_argument("--work", type=Path, default=Path("/tmp/skillyard-bench-serve"))
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    db = prepare(args.work, args.skills)
    queries = load_queries(args.queries)
    base, targets, base_start = direct(db, queries)
    errors: list[str] = []
    stdio, stdio_start = over_stdio(db, queries, targets, errors)
    proc, url, http_start = start_http(db)
    try:
        http = over_http(url, queries, targets, errors)
        wall, ops, loaded = concurrent(url, args.clients, args.rounds, queries, targets, errors)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    print(f"\nserve benchmark: {args.skills} skills, {len(queries)} routing-dev queries, "
          f"{len(targets)} activations; times in ms")
    print(f"startup: in-process {base_start:.1f} s, stdio (spawn + audit cache + handshake) "
          f"{stdio_start:.1f} s, http {http_start:.1f} s")
    print(f"{'operation':10} {'transport':16} {'p50':>8} {'p95':>8} {'p50 ratio':>10}")
    rows = [("direct API", base), ("stdio", stdio), ("http", http),
            (f"http x{args.clients}", loaded)]
    for op in ("search", "activate"):
        ref = pct(base[op], 0.5)
        for label, times in rows:
            p50, p95 = pct(times[op], 0.5) * 1000, pct(times[op], 0.95) * 1000
            print(f"{op:10} {label:16} {p50:8.2f} {p95:8.2f} {p50 / (ref * 1000):9.1f}x")
    print(f"throughput: {args.clients} concurrent HTTP clients, {ops} calls in {wall:.1f} s = "
          f"{ops / wall:.0f} calls/s; errors: {len(errors)}")
    s50, a50 = pct(stdio["search"], 0.5) * 1000, pct(stdio["activate"], 0.5) * 1000
    print(f"targets: search p50 over stdio {s50:.1f} ms (<= 50: {'met' if s50 <= 50 else 'MISSED'})"
          f", activate p50 {a50:.1f} ms (<= 10: {'met' if a50 <= 10 else 'MISSED'})")
    for message in errors[:5]:
        print("error:", message[:200])


if __name__ == "__main__":
    main()
