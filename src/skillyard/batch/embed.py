"""The routing index build with its embedding spread over Ray workers.

The build itself runs as always (:func:`skillyard.route.build.build_index`): it works out which
passages have no vector in the previous index or in the library's embedding store, and hands
those to :class:`RayEmbedding`, which sends them to workers in chunks (each worker process loads
the ONNX model once and keeps it) and writes each chunk's vectors through
``store.put_vectors`` as it comes back. The model's output does not depend on what else shares
a batch, so the vectors equal those of a single-process build bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..library.store import Store
from ..route.build import BuildReport, build_index
from ..route.dense import Embedder
from ..route.vectors import STORE_MODEL, Item, Tick, chunks, embed_texts
from .jobs import JobReport, chunk_size, run_job
from .runtime import RayRuntime

CHUNK = 64  # passages per task: a second or so of one worker's time

_WORKER: dict[str, Embedder] = {}


def embed_chunk(items: Sequence[Item]) -> np.ndarray:
    """On a worker: the vectors of a chunk of (key, text), in order. One model per process,
    on one thread (the workers are the parallelism)."""
    if "model" not in _WORKER:
        _WORKER["model"] = Embedder(threads=1)
    return embed_texts(_WORKER["model"], [text for _, text in items])


class RayEmbedding:
    """A :class:`skillyard.route.vectors.VectorMaker` that embeds on Ray workers."""

    def __init__(self, runtime: RayRuntime, chunk: int = CHUNK) -> None:
        self.runtime = runtime
        self.chunk = chunk
        self.report = JobReport("embedding")

    def __call__(self, store: Store, items: Sequence[Item], tick: Tick | None
                 ) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}

        def write(part: Sequence[Item], vectors: np.ndarray) -> None:
            pairs = [(key, np.asarray(vec, np.float32))
                     for (key, _), vec in zip(part, vectors, strict=True)]
            store.put_vectors(STORE_MODEL, pairs)
            out.update(pairs)

        self.report.items += len(items)
        size = chunk_size(len(items), self.runtime.parallelism(), self.chunk, least=8)
        run_job(self.runtime, embed_chunk, chunks(items, size), write, self.report, tick=tick)
        return out


def build_index_ray(
    store: Store,
    runtime: RayRuntime,
    *,
    full: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    chunk: int = CHUNK,
) -> tuple[BuildReport, JobReport]:
    """Bring the routing index up to date with the embedding done on Ray workers."""
    maker = RayEmbedding(runtime, chunk)
    # Ray spreads the model's work, so this build always encodes descriptions with it.
    build = build_index(store, full=full, full_model=True, progress=progress, vectors=maker)
    job = maker.report
    job.workers = runtime.workers
    # Passages whose vector already existed: reused rows, previous index, embedding store.
    job.skipped = build.skills if build.up_to_date else build.reused + build.cached
    job.items = job.skipped + job.done
    return build, job
