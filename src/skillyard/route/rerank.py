"""The rerank stage: one interface, and an LLM reranker over any OpenAI-compatible endpoint.

A reranker sees the top fused candidates (id, name, description) and returns them reordered,
optionally saying that none fits (the router then abstains). The LLM reranker asks for a JSON
answer; a reply it cannot read keeps the fused order and says so in the result's notes, so a
flaky model degrades routing to the non-LLM path instead of breaking it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..llm import LLMClient

if TYPE_CHECKING:
    from .index import RouteIndex

DESCRIPTION_CHARS = 400


@dataclass
class Candidate:
    row: int
    id: str
    name: str
    score: float


@dataclass
class RerankOutcome:
    candidates: list[Candidate]
    none_fit: bool | None = None  # None: the reranker does not judge fit
    notes: list[str] = field(default_factory=list)
    explain: dict[str, dict[str, Any]] = field(default_factory=dict)  # by candidate id


class Reranker(Protocol):
    name: str

    def rerank(self, query: str, candidates: list[Candidate], index: RouteIndex
               ) -> RerankOutcome:
        """Reorder ``candidates`` (best first); may add notes or judge that none fits."""


SYSTEM = (
    "You route a user's task to the agent skill that should handle it. You get the task and "
    "numbered candidate skills (name and description). Answer with JSON only: "
    '{"ranking": [candidate numbers, best first, only those that could help], '
    '"none_fit": true or false}. Set none_fit to true when no candidate fits the task.'
)


def build_prompt(query: str, candidates: list[Candidate], index: RouteIndex) -> str:
    lines = [f"Task:\n{query.strip()}\n", "Candidates:"]
    for number, cand in enumerate(candidates, start=1):
        desc = index.descriptions[cand.row] if cand.row < len(index.descriptions) else ""
        if len(desc) > DESCRIPTION_CHARS:
            desc = desc[: DESCRIPTION_CHARS - 1] + "…"
        lines.append(f"{number}. {cand.name}: {desc}")
    return "\n".join(lines)


_JSON = re.compile(r"\{.*\}", re.DOTALL)


def parse_reply(text: str, count: int) -> tuple[list[int], bool]:
    """(0-based candidate positions, none_fit) from a reply; ValueError when unreadable."""
    match = _JSON.search(text or "")
    if not match:
        raise ValueError("no JSON object in the reply")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ValueError(f"reply is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    ranking = data.get("ranking", [])
    none_fit = data.get("none_fit", False)
    if not isinstance(ranking, list) or not isinstance(none_fit, bool):
        raise ValueError("'ranking' must be a list and 'none_fit' a boolean")
    order: list[int] = []
    for item in ranking:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"ranking entry {item!r} is not a candidate number")
        try:
            number = int(item)
        except ValueError:
            raise ValueError(f"ranking entry {item!r} is not a candidate number") from None
        if not 1 <= number <= count:
            raise ValueError(f"ranking entry {number} is outside 1..{count}")
        if number - 1 not in order:
            order.append(number - 1)
    return order, none_fit


class LLMReranker:
    """Reranks with a chat model through ``skillyard.llm.LLMClient``."""

    name = "llm"

    def __init__(self, client: LLMClient, depth: int = 10) -> None:
        self.client = client
        self.depth = depth

    def rerank(self, query: str, candidates: list[Candidate], index: RouteIndex
               ) -> RerankOutcome:
        head, tail = candidates[: self.depth], candidates[self.depth :]
        if not head:
            return RerankOutcome(candidates)
        reply = self.client.chat(
            [{"role": "system", "content": SYSTEM},
             {"role": "user", "content": build_prompt(query, head, index)}],
            temperature=0.0, max_tokens=200,
        )
        try:
            order, none_fit = parse_reply(reply.content, len(head))
        except ValueError as exc:
            return RerankOutcome(candidates, notes=[f"llm rerank ignored: {exc}"])
        chosen = [head[i] for i in order]
        rest = [c for i, c in enumerate(head) if i not in set(order)]
        return RerankOutcome(chosen + rest + tail, none_fit=none_fit)
