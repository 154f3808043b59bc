"""An LLM judge: grades one assertion about an answer, or compares two answers in both orders.

A pairwise comparison asks twice with the answers swapped; a winner counts only when both
orders agree, otherwise it is a tie (this cancels the judge's position bias).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..llm import LLMClient, LLMError

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
MAX_ANSWER_CHARS = 20_000

CHECK_SYSTEM = (
    "You grade an AI agent's work against one assertion. Reply with a JSON object "
    '{"pass": true or false, "reason": "one sentence"} and nothing else.'
)
COMPARE_SYSTEM = (
    "You compare two answers to the same task. Reply with a JSON object "
    '{"winner": "first" | "second" | "tie", "reason": "one sentence"} and nothing else.'
)


def _json_object(text: str) -> dict[str, Any] | None:
    match = _OBJECT.search(text or "")
    if not match:
        return None
    try:
        value = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class Judge:
    def __init__(self, client: LLMClient, *, retries: int = 1) -> None:
        self.client = client
        self.retries = retries

    @property
    def model(self) -> str:
        return self.client.model

    def _ask(self, system: str, user: str, key: str, allowed: tuple[Any, ...]) -> tuple[Any, str]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        for _ in range(self.retries + 1):
            reply = self.client.chat(messages, temperature=0.0)
            data = _json_object(reply.content)
            if data is not None and data.get(key) in allowed:
                return data[key], str(data.get("reason", ""))
        raise LLMError(f"the judge did not answer with a JSON object holding {key!r}")

    def check(self, task: str, answer: str, assertion: str, files: str = "") -> tuple[bool, str]:
        """Does the agent's answer (and work dir listing) satisfy the assertion?"""
        user = (f"Task given to the agent:\n{task}\n\nThe agent's final answer:\n"
                f"{answer[-MAX_ANSWER_CHARS:]}\n\n")
        if files:
            user += f"Files in the agent's working directory:\n{files}\n\n"
        user += f"Assertion to check:\n{assertion}"
        verdict, reason = self._ask(CHECK_SYSTEM, user, "pass", (True, False))
        return bool(verdict), reason

    def compare(self, task: str, answer_a: str, answer_b: str) -> float:
        """1.0 when A is better in both orders, 0.0 when B is, else 0.5."""

        def ask(first: str, second: str) -> str:
            user = (f"Task:\n{task}\n\nFirst answer:\n{first[-MAX_ANSWER_CHARS:]}\n\n"
                    f"Second answer:\n{second[-MAX_ANSWER_CHARS:]}\n\nWhich answer does the "
                    "task better?")
            return self._ask(COMPARE_SYSTEM, user, "winner", ("first", "second", "tie"))[0]

        forward, backward = ask(answer_a, answer_b), ask(answer_b, answer_a)
        if forward == "first" and backward == "second":
            return 1.0
        if forward == "second" and backward == "first":
            return 0.0
        return 0.5
