"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks ``POST /v1/chat/completions`` over real HTTP. What it answers is decided by a Python
function the test passes in (``responder(request_json) -> reply``), so each test states the model
behaviour it needs. A reply is a string (assistant content), a dict with ``content`` and/or
``tool_calls`` ([{"name", "arguments"}]), or an int HTTP status to fail with.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], Any]


class LLMServer:
    def __init__(self, responder: Responder, model: str = "test-model") -> None:
        self.responder = responder
        self.model = model
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # /v1/models
                body = {"object": "list", "data": [{"id": server.model, "object": "model"}]}
                self._send(200, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                server.requests.append(payload)
                reply = server.responder(payload)
                if isinstance(reply, int):
                    self._send(reply, {"error": {"message": f"status {reply}", "type": "test"}})
                    return
                self._send(200, server._completion(payload, reply))

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _completion(self, payload: dict[str, Any], reply: Any) -> dict[str, Any]:
        if isinstance(reply, str):
            reply = {"content": reply}
        calls = [
            {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]
                          if isinstance(c["arguments"], str) else json.dumps(c["arguments"])}}
            for c in reply.get("tool_calls", [])
        ]
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
        if calls:
            message["tool_calls"] = calls
        prompt_chars = sum(len(str(m.get("content") or "")) for m in payload.get("messages", []))
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": 0,
            "model": payload.get("model", self.model),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": prompt_chars // 4 + 1,
                      "completion_tokens": len(str(reply.get("content") or "")) // 4 + 1,
                      "total_tokens": prompt_chars // 4 + 2},
        }

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
