"""The shared OpenAI-compatible client over real HTTP: replies, errors, record and replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillyard.llm import LLMClient, LLMConfig, LLMError
from support.llm_server import LLMServer


def test_chat_over_http_with_tool_calls() -> None:
    def respond(payload):
        assert payload["model"] == "m1" and payload["temperature"] == 0.0
        return {"content": "ok", "tool_calls": [{"name": "read_file", "arguments": {"p": 1}}]}

    with LLMServer(respond) as server:
        client = LLMClient(LLMConfig(server.base_url, "m1"))
        reply = client.chat([{"role": "user", "content": "hi"}])
    assert reply.content == "ok" and reply.tool_calls[0]["name"] == "read_file"
    assert reply.prompt_tokens > 0


def test_record_then_replay_without_network(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    messages = [{"role": "user", "content": "what is 2+2"}]
    with LLMServer(lambda p: "4") as server:
        first = LLMClient(LLMConfig(server.base_url, "m1"), record=recording).chat(messages)
    replayed = LLMClient(None, replay=recording).chat(messages)
    assert replayed == first
    with pytest.raises(LLMError, match="not recorded"):
        LLMClient(None, replay=recording).chat([{"role": "user", "content": "other"}])


def test_errors_are_clear(tmp_path: Path) -> None:
    with LLMServer(lambda p: 500) as server:
        client = LLMClient(LLMConfig(server.base_url, "m", max_retries=0))
        with pytest.raises(LLMError, match="500"):
            client.chat([{"role": "user", "content": "x"}])
    dead = LLMClient(LLMConfig("http://127.0.0.1:9/v1", "m", max_retries=0, timeout=2))
    with pytest.raises(LLMError, match="cannot reach"):
        dead.chat([{"role": "user", "content": "x"}])
    with pytest.raises(LLMError, match="no LLM configured"):
        LLMClient(None)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(LLMError, match="bad.jsonl:1"):
        LLMClient(None, replay=bad)


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LLMConfig.from_env() is None
    monkeypatch.setenv("SKILLYARD_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("SKILLYARD_LLM_MODEL", "local")
    config = LLMConfig.from_env()
    assert config is not None and config.model == "local" and config.api_key == "not-needed"
