"""Routing: find the right skill for a task among many, offline, on CPU.

``text`` extracts fields and passages, ``lexical`` is the BM25F core, ``dense`` the ONNX
embedder, ``dedup`` near-duplicate groups and families, ``build`` keeps the on-disk index
(``storage``) up to date and ``index`` opens it; ``router`` fuses, reranks (``rerank``),
groups and abstains (``calibrate``) into ``results``; ``bodyrank`` reranks on the body
passages ``bodies`` keeps in the index, and ``api`` is what ``Library.route``/
``Library.route_index`` call.
"""

from .api import RouteError, make_reranker, reindex, route, router_for
from .bodyrank import BodyReranker
from .build import BuildReport, build_index
from .index import RouteIndex
from .rerank import Candidate, LLMReranker, Reranker, RerankOutcome
from .results import RouteHit, RouteResult
from .router import Router
from .settings import RouteSettings
from .storage import RouteIndexError

__all__ = [
    "BodyReranker", "BuildReport", "Candidate", "LLMReranker", "RerankOutcome", "Reranker",
    "RouteError", "RouteHit", "RouteIndex", "RouteIndexError", "RouteResult", "RouteSettings",
    "Router", "build_index", "make_reranker", "reindex", "route", "router_for",
]
