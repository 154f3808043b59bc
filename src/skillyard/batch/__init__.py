"""Batch jobs on Ray: the routing index's embedding, the library audit's analysis and learn's
mining spread over workers, each result written through the library store as it arrives.

Work is keyed by content (embedding keys, skill digests, trajectory ids) and what the store
already holds is skipped, so a job is idempotent, and a re-run after a lost driver finishes the
remainder; a lost worker's task is retried. Ray is optional: ``pip install 'skillyard[ray]'``.

The jobs (imported on first use, so that importing this package stays cheap)::

    build_index_ray(store, runtime)          # skillyard index --ray
    audit_library_ray(db, runtime, refs)     # skillyard audit --library --ray
    learn_ray(library, paths, runtime)       # skillyard learn --ray
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .jobs import JobReport
from .runtime import BatchError, RayRuntime, RaySettings, RayUnavailableError

_LAZY = {"audit_library_ray": "audit", "build_index_ray": "embed", "RayEmbedding": "embed",
         "learn_ray": "learn"}

__all__ = ["BatchError", "JobReport", "RayRuntime", "RaySettings", "RayUnavailableError",
           *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
