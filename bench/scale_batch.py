"""Batch throughput: routing-index embedding and library audit on Ray workers vs one process.

Run from the repository root:

    .venv/bin/python bench/scale_batch.py                 # sample skills, then 2,000 corpus
    .venv/bin/python bench/scale_batch.py --skills 500 --workers 2

For each job the same skills go through the single-process path users get without --ray
(``Library.route_index`` embedding on one process with two ONNX threads; ``Library.audit``)
and through the Ray job (``build_index_ray``: workers with one ONNX thread each;
``audit_library_ray``: analysis on workers, then the driver's cross-skill pass). Each side
starts from an empty embedding store / re-analyses every skill. Items/s count the whole job
as a user waits for it, minus Ray's start-up (printed apart: paid once per command).
``bench/scale.py`` calls :func:`measure_index` and :func:`measure_audit`.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPUS = DATA / "skills-corpus.jsonl.gz"
SAMPLES = DATA / "sample-skills"
sys.path.insert(0, str(ROOT / "src"))

from skillyard.api import Library  # noqa: E402
from skillyard.batch import RayRuntime, RaySettings  # noqa: E402


def _source(n: int, folder: Path) -> str:
    """The 41 sample skills when ``n`` is 0, else the first ``n`` corpus records."""
    if n <= 0:
        return str(SAMPLES)
    target = folder / f"corpus-{n}.jsonl.gz"
    if not target.exists():
        with gzip.open(CORPUS, "rt", encoding="utf-8") as src, \
                gzip.open(target, "wt", encoding="utf-8") as out:
            for line in itertools.islice(src, n):
                out.write(line)
    return str(target)


def _library(path: Path, source: str) -> int:
    with Library(path) as lib:
        return lib.index([source]).loaded


@contextmanager
def _runtime(runtime: RayRuntime | None, workers: int) -> Iterator[tuple[RayRuntime, float]]:
    if runtime is not None:
        yield runtime, 0.0
        return
    started = time.perf_counter()
    with RayRuntime(RaySettings(workers=workers)) as fresh:
        fresh.connect()
        yield fresh, time.perf_counter() - started


def _result(items: int, single_s: float, ray_s: float, workers: int, startup: float,
            **extra: Any) -> dict[str, Any]:
    single_rate, ray_rate = items / single_s, items / ray_s
    return {"items": items, "workers": workers, "single_s": round(single_s, 2),
            "ray_s": round(ray_s, 2), "single_per_s": round(single_rate, 1),
            "ray_per_s": round(ray_rate, 1), "ratio": round(ray_rate / single_rate, 2),
            "ray_startup_s": round(startup, 2), **extra}


def measure_index(n: int, *, workers: int = 2, runtime: RayRuntime | None = None
                  ) -> dict[str, Any]:
    """Routing-index build of ``n`` corpus skills (0: the sample skills), embedding in one
    process vs on Ray; passages embedded per second, and whether the vectors are equal."""
    import numpy as np

    from skillyard.batch import build_index_ray
    from skillyard.route import storage

    with tempfile.TemporaryDirectory(prefix="sy-bench-") as tmp:
        folder = Path(tmp)
        source = _source(n, folder)
        single_db, ray_db = folder / "single.db", folder / "ray.db"
        _library(single_db, source)
        _library(ray_db, source)
        with Library(single_db) as lib:
            t0 = time.perf_counter()
            single = lib.route_index(full=True, full_model=True)  # as the Ray build does
            single_s = time.perf_counter() - t0
        with _runtime(runtime, workers) as (rt, startup), Library(ray_db) as lib:
            t0 = time.perf_counter()
            build, job = build_index_ray(lib.store, rt, full=True)
            ray_s = time.perf_counter() - t0
        same = bool(np.array_equal(
            storage.current(storage.index_dir(single_db)).array("desc", mmap=False),
            storage.current(storage.index_dir(ray_db)).array("desc", mmap=False)))
        return _result(single.embedded, single_s, ray_s, rt.workers, startup,
                       skills=single.skills, single_embed_s=single.stages.get("embed"),
                       ray_embed_s=build.stages.get("embed"), chunks=job.chunks,
                       vectors_equal=same)


def measure_audit(n: int, *, workers: int = 2, runtime: RayRuntime | None = None
                  ) -> dict[str, Any]:
    """``audit --library`` of ``n`` corpus skills (0: the sample skills), every skill analysed
    again, in one process vs on Ray; skills per second, and whether the results are equal."""
    from skillyard.batch import audit_library_ray

    with tempfile.TemporaryDirectory(prefix="sy-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "lib.db"
        _library(db, _source(n, folder))
        with Library(db) as lib:
            t0 = time.perf_counter()
            single = lib.audit(force=True)
            single_s = time.perf_counter() - t0
        with _runtime(runtime, workers) as (rt, startup):
            t0 = time.perf_counter()
            results, job = audit_library_ray(str(db), rt, force=True)
            ray_s = time.perf_counter() - t0
        same = [r.to_dict() for r in results] == [r.to_dict() for r in single]
        return _result(len(single), single_s, ray_s, rt.workers, startup, chunks=job.chunks,
                       results_equal=same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skills", type=int, default=2_000, help="corpus skills (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [0] + ([args.skills] if args.skills > 0 else [])
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    started = time.perf_counter()
    with RayRuntime(RaySettings(workers=args.workers)) as runtime:
        runtime.connect()
        out["ray_startup_s"] = round(time.perf_counter() - started, 2)
        for n in sizes:
            label = "sample" if n == 0 else str(n)
            print(f"measuring {label} ...", file=sys.stderr)
            out[f"index_{label}"] = measure_index(n, runtime=runtime)
            out[f"audit_{label}"] = measure_audit(n, runtime=runtime)
    out["load_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(f"{out['cpus']} CPUs, load average {out['load_before']:.2f} -> "
          f"{out['load_after']:.2f}; Ray start-up {out['ray_startup_s']} s (not counted)")
    for key, res in out.items():
        if not isinstance(res, dict):
            continue
        job, label = key.split("_", 1)
        check = res.get("vectors_equal", res.get("results_equal"))
        print(f"{job:5s} {label:>6s}: {res['items']:5d} items  single {res['single_per_s']:7.1f}"
              f"/s ({res['single_s']} s)  Ray {res['workers']} workers "
              f"{res['ray_per_s']:7.1f}/s ({res['ray_s']} s)  ratio {res['ratio']:.2f}  "
              f"equal={check}")


if __name__ == "__main__":
    main()
