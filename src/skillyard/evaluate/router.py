"""The one seam between evaluation and routing: ``query -> ranked skill ids``.

The routed arm and trigger evaluation call a :class:`Router`. ``library_router`` adapts
``Library.route(query, k=...)`` (whatever result objects it returns, as long as each carries an
id) and raises :class:`RouterUnavailableError` when this skillyard has no router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .errors import EvalError, RouterUnavailableError


class Router(Protocol):
    def route(self, query: str, k: int) -> list[str]:
        """Skill ids, best first, at most ``k``."""


def result_id(item: Any) -> str:
    """The skill id of one router result: a string, an object with ``id``/``skill_id``, or a
    mapping with such a key."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("id", "skill_id"):
            if isinstance(item.get(key), str):
                return item[key]
    for attr in ("id", "skill_id"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    raise EvalError(f"router result {item!r} carries no skill id")


class CallableRouter:
    """A router from any ``fn(query, k) -> results``: a list (of ids, objects or mappings with
    an id) or an object/mapping holding such a list in ``results``. A result that says
    ``abstain`` (no skill fits) routes to nothing, as it would for a real agent."""

    def __init__(self, fn: Callable[..., Any], name: str = "router", *,
                 respect_abstain: bool = True) -> None:
        self._fn = fn
        self.name = name
        self.respect_abstain = respect_abstain

    def route(self, query: str, k: int) -> list[str]:
        return [skill_id for skill_id, _alts in self.route_groups(query, k)]

    def route_groups(self, query: str, k: int) -> list[tuple[str, list[str]]]:
        """(id, near-duplicate alternatives) per result, best first."""
        results = self._fn(query, k=k)
        abstain = results.get("abstain") if isinstance(results, dict) else getattr(
            results, "abstain", False)
        if isinstance(results, dict):
            results = results.get("results")
        elif not isinstance(results, list | tuple) and hasattr(results, "results"):
            results = results.results
        if results is None or isinstance(results, str) or not hasattr(results, "__iter__"):
            raise EvalError(f"{self.name} returned {type(results).__name__}, not a list")
        if abstain is True and self.respect_abstain:
            return []
        out: list[tuple[str, list[str]]] = []
        for item in results:
            skill_id = result_id(item)
            if all(skill_id != seen for seen, _ in out):
                alts = item.get("alternatives") if isinstance(item, dict) else getattr(
                    item, "alternatives", None)
                out.append((skill_id, [a for a in alts or [] if isinstance(a, str)]))
        return out[:k]


def library_router(lib: Any, *, respect_abstain: bool = True) -> Router:
    """A Router over ``lib.route``; a clear error when the library has no router. With
    ``respect_abstain=False`` the ranked results count even when the router abstains."""
    method = getattr(lib, "route", None)
    if not callable(method):
        raise RouterUnavailableError(
            "routing is not available in this skillyard (Library.route is missing); the "
            "'routed' arm and trigger evaluation need a router"
        )
    return CallableRouter(method, name="Library.route", respect_abstain=respect_abstain)
