"""OpenTelemetry GenAI spans exported as JSON.

Two export shapes are read, as a JSON document or one object per line:

- OTLP/JSON (collector file exporter, ``ExportTraceServiceRequest``):
  ``{"resourceSpans": [{"resource", "scopeSpans": [{"spans": [...]}]}]}`` with typed attribute
  values (``{"key", "value": {"stringValue" | "intValue" | ...}}``);
- flat spans as the Python SDK's console exporter writes them:
  ``{"name", "context": {"trace_id", "span_id"}, "parent_id", "start_time", "status":
  {"status_code"}, "attributes": {...}}``, as a list or one per line.

Spans are grouped into one trajectory per trace (or per ``gen_ai.conversation.id``) and ordered
by start time. ``execute_tool`` spans become tool calls with their result
(``gen_ai.tool.call.arguments`` / ``.result``; status ERROR or ``error.type`` marks a failure);
``chat`` spans give model text, the task (first user input message) and token usage
(``gen_ai.usage.input_tokens`` / ``output_tokens``). Outcome comes from a ``skillyard.outcome``
or ``skillyard.reward`` attribute when present, else an ERROR root span means failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TrajectoryError
from ..model import OUTCOMES, Step, ToolCall, Trajectory, outcome_from_reward
from ._read import decode_arguments, require, text_of

FORMAT = "otel"
CHAT_OPS = frozenset({"chat", "text_completion", "generate_content"})


@dataclass
class Span:
    trace: str
    span_id: str
    parent: str | None
    name: str
    start: tuple[int, str]
    error: str | None
    attrs: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def looks_like(value: Any) -> bool:
    if isinstance(value, dict):
        return "resourceSpans" in value or ("context" in value and "attributes" in value)
    if isinstance(value, list) and value:
        return looks_like(value[0])
    return False


def _any_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "arrayValue" in value:
        return [_any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return _kv((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _kv(items: Any) -> dict[str, Any]:
    out = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _any_value(item.get("value"))
    return out


def _otlp_spans(doc: dict[str, Any], where: str) -> list[Span]:
    spans = []
    for r, resource_spans in enumerate(require(doc.get("resourceSpans"), list, where,
                                               "'resourceSpans'")):
        require(resource_spans, dict, f"{where} resourceSpans[{r}]", "an object")
        for s, scope in enumerate(resource_spans.get("scopeSpans") or []):
            for n, raw in enumerate((scope or {}).get("spans") or []):
                at = f"{where} resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                require(raw, dict, at, "a span")
                if not raw.get("traceId") or not raw.get("spanId"):
                    raise TrajectoryError(f"{at}: span has no traceId/spanId")
                status = raw.get("status") or {}
                code = status.get("code")
                error = None
                if code in (2, "2", "STATUS_CODE_ERROR"):
                    error = status.get("message") or "error"
                try:
                    start = int(raw.get("startTimeUnixNano") or 0)
                except (TypeError, ValueError):
                    raise TrajectoryError(f"{at}: startTimeUnixNano is not a number") from None
                events = [(str(e.get("name")), _kv(e.get("attributes")))
                          for e in raw.get("events") or [] if isinstance(e, dict)]
                spans.append(Span(str(raw["traceId"]), str(raw["spanId"]),
                                  raw.get("parentSpanId") or None, str(raw.get("name") or ""),
                                  (start, ""), error, _kv(raw.get("attributes")), events))
    return spans


def _flat_span(raw: Any, at: str) -> Span:
    require(raw, dict, at, "a span")
    context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    trace, span_id = context.get("trace_id"), context.get("span_id")
    if not trace or not span_id:
        raise TrajectoryError(f"{at}: span has no context.trace_id/span_id")
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    error = None
    if str(status.get("status_code", "")).upper() in ("ERROR", "STATUS_CODE_ERROR"):
        error = status.get("description") or "error"
    attrs = raw.get("attributes") if isinstance(raw.get("attributes"), dict) else {}
    events = [(str(e.get("name")), e.get("attributes") or {})
              for e in raw.get("events") or [] if isinstance(e, dict)]
    return Span(str(trace), str(span_id), raw.get("parent_id") or None, str(raw.get("name") or ""),
                (0, str(raw.get("start_time") or "")), error, dict(attrs), events)


def collect_spans(value: Any, where: str, lines: list[tuple[int, Any]] | None = None) -> list[Span]:
    """Every span in a parsed document (or in parsed JSONL lines)."""
    if lines is not None:
        spans: list[Span] = []
        for number, item in lines:
            spans.extend(collect_spans(item, f"{where}:{number}"))
        return spans
    if isinstance(value, dict) and "resourceSpans" in value:
        return _otlp_spans(value, where)
    if isinstance(value, dict):
        return [_flat_span(value, where)]
    require(value, list, where, "the document")
    out = []
    for index, item in enumerate(value):
        out.extend(collect_spans(item, f"{where} record {index}"))
    return out


def _messages(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return [{"role": "user", "parts": [{"type": "text", "content": raw}]}]
    return [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []


def _message_text(message: dict[str, Any]) -> str:
    parts = message.get("parts")
    if isinstance(parts, list):
        return "\n".join(str(p.get("content") or p.get("text") or "") for p in parts
                         if isinstance(p, dict) and p.get("type", "text") == "text")
    return text_of(message.get("content"))


def _error(span: Span) -> str | None:
    for name, attrs in span.events:
        if "exception" in name and attrs.get("exception.message"):
            return str(attrs["exception.message"])[:200]
    if span.attrs.get("error.type"):
        return str(span.error if span.error not in (None, "error") else span.attrs["error.type"])
    return span.error


def _trajectory(key: str, spans: list[Span], path: Path) -> Trajectory:
    spans.sort(key=lambda s: s.start)
    steps: list[Step] = []
    task = ""
    agent = user = None
    outcome: str | None = None
    reward: float | None = None
    skills: list[str] = []
    has_tools = any(s.attrs.get("gen_ai.operation.name") == "execute_tool" for s in spans)
    for span in spans:
        a = span.attrs
        op = a.get("gen_ai.operation.name")
        agent = agent or a.get("gen_ai.agent.name")
        user = user or a.get("enduser.id") or a.get("user.id")
        for attr, val in a.items():
            if attr.endswith("skill.name") and isinstance(val, str) and val not in skills:
                skills.append(val)
        if isinstance(a.get("skillyard.outcome"), str):
            if a["skillyard.outcome"] not in OUTCOMES:
                raise TrajectoryError(f"{path}: span {span.span_id}: skillyard.outcome must be "
                                      f"one of {', '.join(OUTCOMES)}")
            outcome = a["skillyard.outcome"]
        if isinstance(a.get("skillyard.reward"), (int, float)):
            reward = float(a["skillyard.reward"])
        if op == "execute_tool":
            name = a.get("gen_ai.tool.name") or span.name.removeprefix("execute_tool ").strip()
            call_id = str(a.get("gen_ai.tool.call.id") or span.span_id)
            call = ToolCall(str(name), decode_arguments(a.get("gen_ai.tool.call.arguments")),
                            call_id)
            steps.append(Step("assistant", "", (call,)))
            result = a.get("gen_ai.tool.call.result")
            steps.append(Step("tool", result if isinstance(result, str) else
                              json.dumps(result) if result is not None else "",
                              tool_call_id=call_id, name=str(name), error=_error(span)))
        elif op in CHAT_OPS or op == "invoke_agent":
            for message in _messages(a.get("gen_ai.input.messages")):
                if message.get("role") == "user" and not task:
                    task = _message_text(message)
                    steps.append(Step("user", task))
            calls: list[ToolCall] = []
            texts = []
            for message in _messages(a.get("gen_ai.output.messages")):
                texts.append(_message_text(message))
                for part in message.get("parts") or []:
                    if isinstance(part, dict) and part.get("type") == "tool_call" and not has_tools:
                        calls.append(ToolCall(str(part.get("name")),
                                              decode_arguments(part.get("arguments")),
                                              part.get("id")))
            tokens_in = int(a.get("gen_ai.usage.input_tokens") or 0)
            tokens_out = int(a.get("gen_ai.usage.output_tokens") or 0)
            if op in CHAT_OPS or texts:
                steps.append(Step("assistant", "\n".join(t for t in texts if t), tuple(calls),
                                  tokens_in=tokens_in, tokens_out=tokens_out,
                                  error=_error(span) if op in CHAT_OPS else None))
            agent = agent or a.get("gen_ai.response.model") or a.get("gen_ai.request.model")
    roots = [s for s in spans if not s.parent]
    if outcome is None:
        if reward is not None:
            outcome = outcome_from_reward(reward)
        elif roots and roots[0].error:
            outcome = "failure"
        else:
            outcome = "unknown"
    if not task and roots:
        task = str(roots[0].attrs.get("skillyard.task") or roots[0].name)
    return Trajectory(
        id=f"otel:{key}", source=f"{path}#{key}", format=FORMAT, task=task, steps=tuple(steps),
        outcome=outcome, reward=reward, agent=agent, user=user,  # type: ignore[arg-type]
        skills=tuple(skills), task_id=roots[0].attrs.get("skillyard.task_id") if roots else None,
    )


def load(path: Path, value: Any, lines: list[tuple[int, Any]] | None = None) -> list[Trajectory]:
    spans = collect_spans(value, str(path), lines)
    if not spans:
        raise TrajectoryError(f"{path}: no spans in this OpenTelemetry export")
    groups: dict[str, list[Span]] = {}
    conversation_of: dict[str, str] = {}
    for span in spans:
        conv = span.attrs.get("gen_ai.conversation.id")
        if isinstance(conv, str) and conv:
            conversation_of.setdefault(span.trace, conv)
    for span in spans:
        groups.setdefault(conversation_of.get(span.trace, span.trace), []).append(span)
    return [_trajectory(key, group, path) for key, group in groups.items()]
