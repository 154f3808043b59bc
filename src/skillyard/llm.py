"""One OpenAI-compatible client for every LLM call (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM).

Configuration comes from the environment (or explicit arguments):
``SKILLYARD_LLM_BASE_URL``, ``SKILLYARD_LLM_MODEL`` and ``SKILLYARD_LLM_API_KEY``. When no base
URL and model are configured, ``LLMConfig.from_env()`` returns None and callers take their
documented non-LLM path. Every exchange can be recorded to a JSONL file and replayed, so a run
that used an LLM is deterministic given its recorded replies.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SkillyardError

ENV_BASE_URL = "SKILLYARD_LLM_BASE_URL"
ENV_MODEL = "SKILLYARD_LLM_MODEL"
ENV_API_KEY = "SKILLYARD_LLM_API_KEY"


class LLMError(SkillyardError):
    """The endpoint failed, timed out, or answered with something unusable."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str = "not-needed"
    timeout: float = 120.0
    max_retries: int = 2

    @classmethod
    def from_env(cls, **overrides: Any) -> LLMConfig | None:
        base = overrides.pop("base_url", None) or os.environ.get(ENV_BASE_URL)
        model = overrides.pop("model", None) or os.environ.get(ENV_MODEL)
        if not base or not model:
            return None
        key = overrides.pop("api_key", None) or os.environ.get(ENV_API_KEY) or "not-needed"
        return cls(base_url=base, model=model, api_key=key, **overrides)


@dataclass
class ChatReply:
    """The parts of a chat completion that callers use."""

    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {id, name, arguments}
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content, "tool_calls": self.tool_calls,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatReply:
        return cls(**data)


def request_key(model: str, messages: list[dict[str, Any]], **params: Any) -> str:
    """A stable digest of one request, used to find its recorded reply."""
    blob = json.dumps({"model": model, "messages": messages, **params}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class LLMClient:
    """Chat completions over any OpenAI-compatible endpoint, with optional record/replay.

    ``record`` appends every exchange to a JSONL file; ``replay`` answers from such a file and
    never touches the network (a request that was not recorded is an error).
    """

    def __init__(
        self,
        config: LLMConfig | None = None,
        *,
        record: str | Path | None = None,
        replay: str | Path | None = None,
    ) -> None:
        self.config = config
        self._record = Path(record) if record else None
        self._lock = threading.Lock()
        self._replay: dict[str, ChatReply] | None = None
        self._replay_model = "replay"
        if replay:
            self._replay, models = _load_recording(Path(replay))
            if len(models) == 1:  # key requests as they were recorded
                self._replay_model = models.pop()
        elif config is None:
            raise LLMError(
                f"no LLM configured: set {ENV_BASE_URL} and {ENV_MODEL} (and {ENV_API_KEY} if "
                "the endpoint needs one)"
            )
        self._client: Any = None

    @property
    def model(self) -> str:
        return self.config.model if self.config else self._replay_model

    def _openai(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            assert self.config is not None
            self._client = OpenAI(
                base_url=self.config.base_url, api_key=self.config.api_key,
                timeout=self.config.timeout, max_retries=self.config.max_retries,
            )
        return self._client

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> ChatReply:
        params: dict[str, Any] = {"temperature": temperature}
        if tools:
            params["tools"] = tools
        if max_tokens:
            params["max_tokens"] = max_tokens
        if response_format:
            params["response_format"] = response_format
        key = request_key(self.model, messages, **params)
        if self._replay is not None:
            if key not in self._replay:
                raise LLMError("replay: this request was not recorded")
            return self._replay[key]
        reply = self._call(messages, params)
        if self._record is not None:
            line = json.dumps(
                {"key": key, "model": self.model, "messages": messages, "params": params,
                 "reply": reply.to_dict()},
                ensure_ascii=False, default=str,
            )
            with self._lock, self._record.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return reply

    def _call(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> ChatReply:
        import openai

        assert self.config is not None
        try:
            response = self._openai().chat.completions.create(
                model=self.config.model, messages=messages, **params
            )
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach the LLM at {self.config.base_url}: {exc}") from None
        except openai.APIStatusError as exc:
            raise LLMError(f"the LLM endpoint answered {exc.status_code}: {exc.message}") from None
        except openai.APIError as exc:
            raise LLMError(f"LLM request failed: {exc}") from None
        if not response.choices:
            raise LLMError("the LLM endpoint returned no choices")
        choice = response.choices[0]
        calls = [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in (choice.message.tool_calls or [])
            if getattr(c, "function", None) is not None
        ]
        usage = response.usage
        return ChatReply(
            content=choice.message.content or "",
            tool_calls=calls,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            finish_reason=choice.finish_reason,
        )


def _load_recording(path: Path) -> tuple[dict[str, ChatReply], set[str]]:
    if not path.is_file():
        raise LLMError(f"{path}: no such recording")
    out: dict[str, ChatReply] = {}
    models: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out[item["key"]] = ChatReply.from_dict(item["reply"])
            models.add(str(item.get("model", "replay")))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise LLMError(f"{path}:{number}: not a recorded exchange ({exc})") from None
    return out, models
