"""Abstention: calibrate the "no skill fits" threshold on should-not-trigger queries.

After each build the router scores off-topic requests (``data/offtopic.txt``, plus any the
user adds) against this very library, because how close small talk comes to some skill
depends on the library. The threshold is a high quantile of their best description cosine: a
task whose closest skill description is no closer than that is abstained on.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np

from . import storage
from .dense import Embedder
from .settings import RouteSettings
from .static import StaticEncoder


def offtopic_queries() -> list[str]:
    text = (resources.files("skillyard.route") / "data" / "offtopic.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def calibrate(gen: storage.Generation, settings: RouteSettings, embedder: Embedder | None,
              queries: list[str] | None = None, static: StaticEncoder | None = None
              ) -> dict[str, Any] | None:
    """The abstention threshold for this generation, or None for an empty library."""
    from .index import RouteIndex
    from .router import Router

    index = RouteIndex(gen)
    if not index.ids:
        return None
    router = Router(index, settings=settings, embedder=embedder, static=static)
    queries = queries if queries is not None else offtopic_queries()
    tops = [router.signals(q)[1] for q in queries]
    threshold = float(np.quantile(tops, settings.abstain_quantile))
    return {"threshold": round(threshold, 4), "quantile": settings.abstain_quantile,
            "queries": len(queries), "median_offtopic": round(float(np.median(tops)), 4)}
