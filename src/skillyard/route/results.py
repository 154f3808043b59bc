"""What a route returns: hits (one per skill family) and the result around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RouteHit:
    """One result: the best member of a near-duplicate group, with the others as alternatives."""

    id: str
    name: str
    score: float
    group: str
    alternatives: list[str] = field(default_factory=list)
    explain: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "score": round(self.score, 4)}
        if self.alternatives:
            out["alternatives"] = self.alternatives
        if self.explain is not None:
            out["explain"] = self.explain
        return out


@dataclass
class RouteResult:
    query: str
    results: list[RouteHit]
    abstain: bool
    confidence: float
    threshold: float | None
    latency_ms: float
    reranker: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "results": [h.to_dict() for h in self.results], "abstain": self.abstain,
            "confidence": round(self.confidence, 4),
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.reranker:
            out["reranker"] = self.reranker
        if self.notes:
            out["notes"] = self.notes
        return out
