"""Trajectory importers on the real τ-bench and SWE-agent runs and on files written in each
format; bad and truncated files get one clear error naming the record."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED
from skillyard.learn import Step, ToolCall, Trajectory, TrajectoryError, load_file, load_paths

TRAJ = SHARED / "trajectories"
TAU = TRAJ / "tau-bench" / "gpt-4o-airline.json"
SWE = TRAJ / "swe-agent"


def test_tau_bench_real_file() -> None:
    runs = load_file(TAU)
    assert len(runs) == 200
    raw = json.loads(TAU.read_text())
    assert sum(r.succeeded for r in runs) == sum(1 for r in raw if r["reward"] == 1.0) == 84
    first = runs[0]
    assert first.format == "tau-bench" and first.task_id == "0" and first.user == "mia_li_3668"
    assert first.task.startswith("You are mia_li_3668")
    assert first.request.startswith("Hi! I'm looking to book a flight")
    calls = sum(len(m.get("tool_calls") or []) for m in raw[0]["traj"])
    actions = first.actions()
    assert len(actions) == calls and all(a.observation is not None for a in actions)
    assert actions[0].key == "get_user_details(user_id)"
    errors = [a for r in runs for a in r.actions() if a.failed]
    assert errors and all(a.error.startswith("Error:") for a in errors)
    assert {r.source.split("#")[0] for r in runs} == {str(TAU)}


def test_swe_agent_real_files() -> None:
    runs = load_paths([SWE])
    assert len(runs) == 22
    by_name = {r.id: r for r in runs}
    demo = by_name["ctf__crypto__BabyEncryption.traj"]
    assert demo.outcome == "success" and demo.format == "swe-agent"
    assert "BabyEncryption" in demo.task and "INSTRUCTIONS" not in demo.task
    assert demo.action_keys()[:3] == ["open", "create", "edit"]
    history_only = by_name["function_calling_simple.traj"]
    assert history_only.outcome == "unknown" and history_only.actions()
    stats = by_name[next(k for k in by_name if k.startswith("gpt4__swe-bench-dev-easy"))]
    assert stats.tokens == (122612, 1369)
    failures = [a for r in runs for a in r.actions() if a.failed]
    assert any("Traceback" in (a.error or "") for a in failures)


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_claude_code_session(tmp_path: Path) -> None:
    sid = "9f1c2d3e-0000-4000-8000-000000000001"
    base = {"sessionId": sid, "cwd": "/repo", "version": "2.0.1", "userType": "external"}
    lines = [
        {"type": "summary", "summary": "Fix failing test", "leafUuid": "u9"},
        {**base, "type": "user", "uuid": "u1", "parentUuid": None,
         "message": {"role": "user", "content": "Make the tests pass"}},
        {**base, "type": "assistant", "uuid": "u2", "parentUuid": "u1",
         "message": {"id": "msg_1", "role": "assistant", "model": "claude-sonnet-4",
                     "content": [{"type": "thinking", "thinking": "run tests"},
                                 {"type": "tool_use", "id": "t1", "name": "Bash",
                                  "input": {"command": "cd /repo && pytest -q"}}],
                     "usage": {"input_tokens": 100, "output_tokens": 20}}},
        {**base, "type": "user", "uuid": "u3", "parentUuid": "u2",
         "message": {"role": "user", "content": [
             {"type": "tool_result", "tool_use_id": "t1", "is_error": True,
              "content": "1 failed\nassert 1 == 2"}]}},
        {**base, "type": "assistant", "uuid": "u4", "parentUuid": "u3",
         "message": {"id": "msg_2", "role": "assistant", "model": "claude-sonnet-4",
                     "content": [{"type": "tool_use", "id": "t2", "name": "Skill",
                                  "input": {"skill": "python-testing"}}],
                     "usage": {"input_tokens": 50, "output_tokens": 5}}},
        {**base, "type": "assistant", "uuid": "u5", "parentUuid": "u4",
         "message": {"id": "msg_2", "role": "assistant", "model": "claude-sonnet-4",
                     "content": [{"type": "tool_use", "id": "t3", "name": "Edit",
                                  "input": {"file_path": "a.py", "old_string": "1",
                                            "new_string": "2"}}],
                     "usage": {"input_tokens": 50, "output_tokens": 5}}},
        {**base, "type": "user", "uuid": "u6", "parentUuid": "u5", "isSidechain": True,
         "message": {"role": "user", "content": "side chain, skipped"}},
        {**base, "type": "user", "uuid": "u7", "parentUuid": "u5",
         "message": {"role": "user", "content": [
             {"type": "tool_result", "tool_use_id": "t2", "content": "loaded"},
             {"type": "tool_result", "tool_use_id": "t3", "content": [
                 {"type": "text", "text": "edited"}]}]}},
    ]
    path = _write(tmp_path / f"{sid}.jsonl", lines)
    (run,) = load_file(path)
    assert run.format == "claude-code" and run.id == f"claude:{sid}"
    assert run.task == "Make the tests pass" and run.agent == "claude-sonnet-4"
    assert run.skills == ("python-testing",)
    assert run.action_keys() == ["Bash:pytest", "Skill(skill)", "Edit(file_path,new_string,"
                                                                "old_string)"]
    acts = run.actions()
    assert acts[0].error == "1 failed" and not acts[2].failed
    assert acts[2].observation == "edited"
    assert run.tokens == (150, 25)  # msg_2's usage is counted once
    assert run.metadata["summary"] == "Fix failing test"


def test_otel_otlp_json(tmp_path: Path) -> None:
    def attr(key: str, value: object) -> dict:
        if isinstance(value, bool):
            return {"key": key, "value": {"boolValue": value}}
        if isinstance(value, int):
            return {"key": key, "value": {"intValue": str(value)}}
        return {"key": key, "value": {"stringValue": value}}

    spans = [
        {"traceId": "t1", "spanId": "root", "name": "invoke_agent support", "startTimeUnixNano":
         "100", "attributes": [attr("gen_ai.operation.name", "invoke_agent"),
                               attr("gen_ai.agent.name", "support-bot"),
                               attr("enduser.id", "alice"),
                               attr("skillyard.outcome", "success")]},
        {"traceId": "t1", "spanId": "c1", "parentSpanId": "root", "name": "chat gpt-4o",
         "startTimeUnixNano": "200", "attributes": [
             attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", "gpt-4o"),
             attr("gen_ai.usage.input_tokens", 300), attr("gen_ai.usage.output_tokens", 40),
             attr("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [
                 {"type": "text", "content": "Refund order 42"}]}]))]},
        {"traceId": "t1", "spanId": "x2", "parentSpanId": "root", "name": "execute_tool refund",
         "startTimeUnixNano": "400", "status": {"code": 2, "message": "order not found"},
         "attributes": [attr("gen_ai.operation.name", "execute_tool"),
                        attr("gen_ai.tool.name", "refund"), attr("gen_ai.tool.call.id", "k2"),
                        attr("gen_ai.tool.call.arguments", '{"order": 42}')]},
        {"traceId": "t1", "spanId": "x1", "parentSpanId": "root", "name": "execute_tool lookup",
         "startTimeUnixNano": "300", "attributes": [
             attr("gen_ai.operation.name", "execute_tool"), attr("gen_ai.tool.name", "lookup"),
             attr("gen_ai.tool.call.arguments", '{"order": 42}'),
             attr("gen_ai.tool.call.result", '{"status": "shipped"}')]},
    ]
    doc = {"resourceSpans": [{"resource": {"attributes": []},
                              "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}]}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(doc))
    (run,) = load_file(path)
    assert run.format == "otel" and run.outcome == "success" and run.user == "alice"
    assert run.agent == "support-bot" and run.task == "Refund order 42"
    assert run.action_keys() == ["lookup(order)", "refund(order)"]  # ordered by start time
    assert [a.failed for a in run.actions()] == [False, True]
    assert run.actions()[1].error == "order not found"
    assert run.tokens == (300, 40)


def test_otel_flat_spans_jsonl(tmp_path: Path) -> None:
    lines = [
        {"name": "execute_tool search", "context": {"trace_id": "0xa", "span_id": "0x1"},
         "parent_id": None, "start_time": "2025-01-01T00:00:01Z",
         "status": {"status_code": "UNSET"},
         "attributes": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
                        "gen_ai.tool.call.arguments": '{"q": "x"}', "skillyard.reward": 0.0}},
        {"name": "execute_tool search", "context": {"trace_id": "0xb", "span_id": "0x2"},
         "parent_id": None, "start_time": "2025-01-01T00:00:02Z",
         "status": {"status_code": "ERROR", "description": "timeout"},
         "attributes": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}},
    ]
    runs = load_file(_write(tmp_path / "spans.jsonl", lines), "otel")
    assert [r.outcome for r in runs] == ["failure", "failure"]
    assert runs[1].actions()[0].error == "timeout"


def test_generic_jsonl_round_trip(tmp_path: Path) -> None:
    lines = [
        {"id": "r1", "task": "Clean the CSV", "outcome": "success", "user": "bob",
         "skills": ["csv-cleanup"], "steps": [
             {"role": "user", "text": "Clean the CSV"},
             {"action": "read_file", "arguments": {"path": "a.csv"}, "observation": "a,b"},
             {"role": "assistant", "tool_calls": [{"name": "write_file", "id": "w",
                                                   "arguments": {"path": "a.csv", "data": "x"}}],
              "tokens": {"in": 10, "out": 2}},
             {"role": "tool", "tool_call_id": "w", "text": "denied", "error": "read-only"}]},
        {"task": "Second", "reward": 0, "steps": []},
    ]
    path = _write(tmp_path / "runs.jsonl", lines)
    first, second = load_file(path)
    assert first.format == "generic" and first.user == "bob" and first.skills == ("csv-cleanup",)
    assert first.action_keys() == ["read_file(path)", "write_file(data,path)"]
    assert first.actions()[1].error == "read-only" and first.tokens == (10, 2)
    assert second.outcome == "failure" and second.id == "runs.jsonl#1"
    again = tmp_path / "again.jsonl"
    again.write_text(first.to_json() + "\n")
    (copy,) = load_file(again)
    assert copy.to_dict() == first.to_dict()


def test_openai_conversations_and_gzip(tmp_path: Path) -> None:
    convo = {"id": "c1", "outcome": "failure", "messages": [
        {"role": "system", "content": "policy"},
        {"role": "user", "content": [{"type": "text", "text": "Cancel my order"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "type": "function",
             "function": {"name": "cancel", "arguments": "{\"id\": 1}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "Error: too late"}]}
    path = tmp_path / "chats.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(convo) + "\n")
    (run,) = load_file(path)
    assert run.format == "openai" and run.task == "Cancel my order" and run.failed
    assert run.actions()[0].error == "Error: too late"
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(convo["messages"]))
    assert load_file(bare)[0].action_keys() == ["cancel(id)"]


@pytest.mark.parametrize(("content", "fmt", "needle"), [
    ("", "auto", "empty file"),
    ("[{\"traj\": [], \"task_id\": 1}, {\"traj\": [", "auto", "record 1 is truncated"),
    ("[{\"traj\": [], \"task_id\": 1}", "auto", "truncated after record 0"),
    ("[{\"traj\": {}, \"task_id\": 1}]", "auto", "record 0: 'traj' should be a list"),
    ("{\"steps\": []}\n{\"steps\": [1, 2]}\n", "auto", ":2 step 0: a step should be an object"),
    ("{\"steps\": []}\n{\"steps\": [", "auto", ":2: line is truncated"),
    ("{\"hello\": 1}", "auto", "cannot tell the trajectory format"),
    ("[{\"traj\": [{\"role\": \"robot\"}], \"task_id\": 1}]", "auto", "unknown role 'robot'"),
    ("{\"steps\": [], \"outcome\": \"great\"}\n", "generic", "outcome must be one of"),
    ("{}", "nonsense", "unknown trajectory format"),
])
def test_bad_files_name_the_record(tmp_path: Path, content: str, fmt: str, needle: str) -> None:
    suffix = ".jsonl" if content.startswith("{\"steps\"") else ".json"
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(TrajectoryError) as info:
        load_file(path, fmt)
    assert needle in str(info.value), str(info.value)


def test_truncated_real_file_names_the_record(tmp_path: Path) -> None:
    data = TAU.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrajectoryError) as info:
        load_file(cut)
    message = str(info.value)
    assert "cut.json: record" in message and "truncated" in message
    number = int(message.split("record ")[1].split()[0])
    assert 90 <= number <= 110  # half the file is about half the 200 records


def test_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(TrajectoryError, match="no such file"):
        load_paths([tmp_path / "nope.json"])
    blob = tmp_path / "x.json"
    blob.write_bytes(b"\x00\x01binary")
    with pytest.raises(TrajectoryError, match="binary"):
        load_file(blob)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrajectoryError, match="no trajectory files"):
        load_paths([tmp_path / "empty"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["traj", "steps", "messages", "role", "task_id", "type",
                                       "sessionId", "message", "content", "history", "info",
                                       "trajectory", "resourceSpans", "action", "outcome"]),
                      inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values, jsonl=st.booleans())
def test_any_json_loads_or_fails_clearly(tmp_path: Path, value: object, jsonl: bool) -> None:
    path = tmp_path / ("fuzz.jsonl" if jsonl else "fuzz.json")
    path.write_text(json.dumps(value) + "\n")
    try:
        runs = load_file(path)
    except TrajectoryError as exc:
        assert str(exc).startswith(str(path)) or "format" in str(exc)
    else:
        assert all(isinstance(r, Trajectory) for r in runs)


steps = st.lists(st.one_of(
    st.builds(lambda t: Step("user", t), st.text(max_size=20)),
    st.builds(lambda n, a: Step("assistant", "", (ToolCall(n, a, "c"),)),
              st.text("abcxyz_", min_size=1, max_size=8),
              st.dictionaries(st.text("abc", min_size=1, max_size=3), st.integers(), max_size=3)),
    st.builds(lambda t, e: Step("tool", t, tool_call_id="c", error=e), st.text(max_size=20),
              st.none() | st.text(min_size=1, max_size=10)),
), max_size=8)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, outcome=st.sampled_from(["success", "failure", "unknown"]),
       task=st.text(max_size=30))
def test_generic_round_trip_property(tmp_path: Path, steps: list[Step], outcome: str,
                                     task: str) -> None:
    run = Trajectory("r", "x", "generic", task, tuple(steps), outcome)  # type: ignore[arg-type]
    path = tmp_path / "rt.jsonl"
    path.write_text(run.to_json() + "\n")
    (back,) = load_file(path)
    assert back.to_dict()["steps"] == run.to_dict()["steps"]
    assert back.outcome == outcome and back.action_keys() == run.action_keys()
