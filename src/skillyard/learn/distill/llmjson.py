"""Ask the model for JSON, check it, and retry with the reason when it is unusable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ...llm import LLMClient, LLMError
from ..errors import DistillError, PatchError

T = TypeVar("T")
_FENCED = re.compile(r"```(?:json)?\s*\n(.*?)\n```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The JSON object in a reply: the whole text, a fenced block, or the outermost braces."""
    stripped = text.strip()
    candidates = [stripped]
    candidates += [m.group(1) for m in _FENCED.finditer(text)]
    if "{" in stripped and "}" in stripped:
        candidates.append(stripped[stripped.index("{"): stripped.rindex("}") + 1])
    last: Exception | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            last = exc
    raise ValueError(f"not JSON ({last})" if last else "empty reply")


def ask_json(
    client: LLMClient,
    messages: list[dict[str, Any]],
    check: Callable[[Any], T],
    *,
    what: str,
    retries: int = 2,
    max_tokens: int | None = None,
) -> T:
    """Send ``messages``; return ``check(parsed reply)``. A reply that is not JSON, or that
    ``check`` rejects (ValueError or PatchError), is sent back with the reason and asked again,
    ``retries`` times; then DistillError names what was asked and why the replies failed."""
    conversation = list(messages)
    reason = "no reply"
    for _attempt in range(retries + 1):
        try:
            reply = client.chat(conversation, temperature=0.0, max_tokens=max_tokens)
        except LLMError as exc:
            raise DistillError(f"{what}: {exc}") from None
        try:
            return check(extract_json(reply.content))
        except (ValueError, PatchError) as exc:
            reason = str(exc)
        conversation = conversation + [
            {"role": "assistant", "content": reply.content},
            {"role": "user", "content": (
                f"That reply was not usable: {reason}. Answer again with only the JSON object "
                "described above, no prose.")},
        ]
    raise DistillError(
        f"{what}: the model's reply was not usable after {retries + 1} attempts ({reason})")
