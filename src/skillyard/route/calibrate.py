"""Abstention: calibrate the "no skill fits" threshold on should-not-trigger queries.

After each build the router scores off-topic requests (``data/offtopic.txt``, plus any the
user adds with ``--negatives``) against this very library, because what a "high" top score
is depends on the library. The threshold is a high quantile of their top fused scores: a real
task whose best match stands out less than that from the rest of the library is abstained on.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from . import storage
from .dense import Embedder
from .settings import RouteSettings


def offtopic_queries(extra: Path | None = None) -> list[str]:
    text = (resources.files("skillyard.route") / "data" / "offtopic.txt").read_text("utf-8")
    if extra is not None:
        text += "\n" + extra.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def calibrate(gen: storage.Generation, settings: RouteSettings, embedder: Embedder | None,
              queries: list[str] | None = None) -> dict[str, Any] | None:
    """The abstention threshold for this generation, or None for an empty library."""
    from .router import RouteIndex, Router

    index = RouteIndex(gen)
    if not index.ids:
        return None
    router = Router(index, settings=settings, embedder=embedder)
    queries = queries if queries is not None else offtopic_queries()
    tops = [float(router.fuse(router.signals(q)).max()) for q in queries]
    threshold = float(np.quantile(tops, settings.abstain_quantile))
    return {"threshold": round(threshold, 4), "quantile": settings.abstain_quantile,
            "queries": len(queries), "median_offtopic_top": round(float(np.median(tops)), 4)}
