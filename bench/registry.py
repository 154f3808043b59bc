"""Registry load benchmark: concurrent HTTP clients against two `skillyard registry serve`
processes over one PostgreSQL library, next to the same calls made in-process.

Run from the repository root (needs PostgreSQL + pgvector: scripts/install-postgres.sh):

    .venv/bin/python bench/registry.py                          # 200 clients, 60 s
    .venv/bin/python bench/registry.py --clients 20 --seconds 10

The library holds the sample skills (../shared/data/sample-skills) published through the
registry (validated and audited; blocked ones are refused and left out). Each client loops:
search (a development query from routing-dev.jsonl), get a skill (metadata, versions,
manifest) and download a version archive, alternating between the two servers. Printed per
call: calls/s, p50 and p95 latency and errors, over HTTP and in-process (``Registry`` methods
called directly, one thread), and the p50 ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SAMPLES = DATA / "sample-skills"
QUERIES = DATA / "routing-dev.jsonl"
sys.path[:0] = [str(ROOT / "tests")]
OPS = ("search", "get", "download")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0


def publish_samples(db: str, limit: int) -> tuple[list[str], str]:
    """Publish up to ``limit`` sample skills; return their paths and a read token."""
    from skillyard import Library
    from skillyard.registry import Registry, RegistryError, UploadError, pack_folder
    from skillyard.registry.access import Access
    from skillyard.registry.tokens import Token
    from skillyard.sources.folders import find_skill_dirs

    admin = Access(Token("bench", "bench", "admin", ("*",), "", "bench"))
    paths: list[str] = []
    with Library(db) as lib:
        registry = Registry(lib)
        seen: set[str] = set()
        for folder in find_skill_dirs(SAMPLES):
            owner = folder.relative_to(SAMPLES).parts[0].split("@")[0].lower()
            ns = re.sub(r"[^a-z0-9]+", "-", owner).strip("-")
            path = f"{ns}/{folder.name}"
            if path in seen or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", folder.name):
                continue
            seen.add(path)
            try:
                registry.publish(admin, path, pack_folder(folder))
                paths.append(path)
            except (RegistryError, UploadError, OSError):
                continue  # blocked or not loadable: the registry refuses it
            if len(paths) >= limit:
                break
        _, secret = registry.create_token(admin, role="read", scope="*", name="bench")
    return paths, secret


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(db: str, route_dir: Path, fast: bool) -> tuple[subprocess.Popen[str], str]:
    """``fast``: read caches on and uvloop+httptools; else both off (the baseline)."""
    flags = {"SKILLYARD_REGISTRY_CACHE": "1" if fast else "0",
             "SKILLYARD_FAST_LOOP": "1" if fast else "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillyard", "registry", "serve", "--db", db, "--port", "0",
         "--json", "--no-web", "--no-mcp"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, env={**os.environ, **flags, "SKILLYARD_ROUTE_DIR": str(route_dir)})
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit(f"registry serve exited with {proc.wait()}")
        if line.startswith("{"):
            return proc, json.loads(line)["url"]


class Conn:
    """One keep-alive HTTP/1.1 connection on asyncio streams: GET, status and a body of
    Content-Length bytes. httpx costs the load generator about 2 ms of CPU per call (more than
    the server's own work), which on a shared 2-core machine measured the client, not the
    server; this costs a small fraction of that."""

    def __init__(self, base: str, secret: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (f"Host: {parts.netloc}\r\nAuthorization: Bearer {secret}\r\n"
                     "Accept: */*\r\n\r\n").encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        try:
            writer.write(f"GET {target} HTTP/1.1\r\n".encode() + self.head)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in
                      (line.partition(":") for line in lines[1:] if line)}
            if "content-length" not in fields:
                raise ValueError("no Content-Length")
            body = await reader.readexactly(int(fields["content-length"]))
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status, body
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def http_load(urls: list[str], secret: str, paths: list[str], queries: list[str],
                    clients: int, seconds: float) -> dict[str, Any]:
    lat: dict[str, list[float]] = {op: [] for op in OPS}
    errors: dict[str, int] = dict.fromkeys(OPS, 0)
    stop = time.monotonic() + seconds

    async def client(n: int) -> None:
        rng = random.Random(n)
        conns = [Conn(base, secret) for base in urls]  # one keep-alive connection per server
        i = n
        while time.monotonic() < stop:
            conn = conns[i % len(conns)]
            op = OPS[i % len(OPS)]
            i += 1
            path = rng.choice(paths)
            target = {"search": "/api/v1/search?" + urlencode({"q": rng.choice(queries),
                                                                "k": 5}),
                      "get": f"/api/v1/skills/{path}",
                      "download": f"/api/v1/skills/{path}/versions/latest/archive"}[op]
            t0 = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(conn.get(target), 60)
                ok = status == 200 and bool(body)
            except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError,
                    asyncio.LimitOverrunError):
                ok = False
            (lat[op].append(time.perf_counter() - t0) if ok else None)
            if not ok:
                errors[op] += 1
        for conn in conns:
            conn.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return {op: {"calls": len(lat[op]), "per_s": len(lat[op]) / seconds,
                 "p50_ms": percentile(lat[op], 0.5) * 1000,
                 "p95_ms": percentile(lat[op], 0.95) * 1000, "errors": errors[op]}
            for op in OPS}


def in_process(db: str, paths: list[str], queries: list[str], seconds: float) -> dict[str, Any]:
    from skillyard import Library
    from skillyard.registry import Registry
    from skillyard.registry.access import Access
    from skillyard.registry.tokens import Token

    reader = Access(Token("bench", "bench", "read", ("*",), "", "bench"))
    lat: dict[str, list[float]] = {op: [] for op in OPS}
    rng = random.Random(1)
    with Library(db) as lib:
        registry = Registry(lib)
        registry.search(reader, "warm up the router", 5)
        stop = time.monotonic() + seconds
        i = 0
        while time.monotonic() < stop:
            op = OPS[i % len(OPS)]
            i += 1
            path = rng.choice(paths)
            t0 = time.perf_counter()
            if op == "search":
                registry.search(reader, rng.choice(queries), 5)
            elif op == "get":
                registry.describe(reader, path)
            else:
                registry.download(reader, path)
            lat[op].append(time.perf_counter() - t0)
    return {op: {"calls": len(lat[op]), "per_s": len(lat[op]) / seconds,
                 "p50_ms": percentile(lat[op], 0.5) * 1000,
                 "p95_ms": percentile(lat[op], 0.95) * 1000} for op in OPS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--skills", type=int, default=300, help="sample skills to publish")
    parser.add_argument("--postgres", default="", help="superuser URL of an existing server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from support.postgres import PostgresServer

    if args.postgres:
        os.environ["SKILLYARD_TEST_POSTGRES"] = args.postgres
    server = PostgresServer()
    server.start()
    db = server.create_database()
    work = Path(tempfile.mkdtemp(prefix="skillyard-bench-registry-"))
    procs: list[subprocess.Popen[str]] = []
    try:
        print("publishing sample skills ...", file=sys.stderr)
        paths, secret = publish_samples(db, args.skills)
        lines = [json.loads(x) for x in QUERIES.read_text("utf-8").splitlines() if x.strip()]
        queries = [x["query"] for x in lines]
        print(f"{len(paths)} skills published; starting two servers ...", file=sys.stderr)
        runs: dict[str, Any] = {}
        cpu: dict[str, dict[str, float]] = {}
        load = os.getloadavg()[0]
        for mode in ("baseline", "skillyard"):
            fast = mode == "skillyard"
            urls = []
            for n in range(2):
                proc, url = start_server(db, work / f"route-{n}", fast)
                procs.append(proc)
                urls.append(url)
            print(f"{mode}: {args.clients} clients for {args.seconds:.0f} s ...", file=sys.stderr)
            before = [cpu_seconds(p.pid) for p in procs]
            client_before = time.process_time()
            runs[mode] = asyncio.run(http_load(urls, secret, paths, queries, args.clients,
                                               args.seconds))
            calls = sum(runs[mode][op]["calls"] for op in OPS) or 1
            server_cpu = sum(cpu_seconds(p.pid) for p in procs) - sum(before)
            cpu[mode] = {"server_ms_per_call": server_cpu * 1000 / calls,
                         "client_ms_per_call": (time.process_time() - client_before) * 1000
                         / calls}
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
            procs.clear()
        http = runs["skillyard"]
        print("the same calls in-process ...", file=sys.stderr)
        local = in_process(db, paths, queries, max(5.0, args.seconds / 4))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        server.drop_database(db)
        server.stop()
    result = {"skills": len(paths), "clients": args.clients, "seconds": args.seconds,
              "servers": 2, "cores": os.cpu_count(), "http": http,
              "http_baseline": runs["baseline"], "in_process": local, "cpu": cpu,
              "load_average": load}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"registry: {len(paths)} skills, {args.clients} clients x {args.seconds:.0f} s, "
          f"2 server processes over one PostgreSQL, {os.cpu_count()} cores")
    print(f"{'call':<10}{'HTTP/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}   "
          f"{'local/s':>9}{'p50 ms':>9}{'p95 ms':>9}   {'p50 ratio':>9}")
    for op in OPS:
        h, loc = http[op], local[op]
        ratio = h["p50_ms"] / loc["p50_ms"] if loc["p50_ms"] else float("nan")
        print(f"{op:<10}{h['per_s']:>9.1f}{h['p50_ms']:>9.1f}{h['p95_ms']:>9.1f}"
              f"{h['errors']:>8}   {loc['per_s']:>9.1f}{loc['p50_ms']:>9.1f}"
              f"{loc['p95_ms']:>9.1f}   {ratio:>8.1f}x")
    total = sum(http[op]["per_s"] for op in OPS)
    print(f"total HTTP calls/s {total:.1f}, errors {sum(http[op]['errors'] for op in OPS)}")
    base = runs["baseline"]
    print("\nbaseline (read caches off, asyncio loop + h11) vs skillyard (generation-keyed "
          "caches, uvloop + httptools), same clients and library:")
    print(f"{'call':<10}{'base/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'err':>5}   "
          f"{'ours/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'err':>5}   {'calls/s ratio':>13}")
    for op in OPS:
        b, h = base[op], http[op]
        ratio = h["per_s"] / b["per_s"] if b["per_s"] else float("nan")
        print(f"{op:<10}{b['per_s']:>9.1f}{b['p50_ms']:>9.1f}{b['p95_ms']:>9.1f}{b['errors']:>5}"
              f"   {h['per_s']:>9.1f}{h['p50_ms']:>9.1f}{h['p95_ms']:>9.1f}{h['errors']:>5}"
              f"   {ratio:>12.1f}x")
    btotal = sum(base[op]["per_s"] for op in OPS)
    print(f"total calls/s: baseline {btotal:.1f}, skillyard {total:.1f} "
          f"({total / btotal if btotal else float('nan'):.1f}x)")
    b, o = cpu["baseline"]["server_ms_per_call"], cpu["skillyard"]["server_ms_per_call"]
    print(f"server CPU per call (both processes): baseline {b:.2f} ms, skillyard {o:.2f} ms "
          f"({b / o if o else float('nan'):.1f}x less); load generator "
          f"{cpu['skillyard']['client_ms_per_call']:.2f} ms per call; load average at "
          f"the start {load:.1f} on {os.cpu_count()} cores (other work on the machine "
          "shares them)")


if __name__ == "__main__":
    main()
