"""The OpenAI-compatible agent loop and the LLM judge, against a real local HTTP server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skillyard import Library
from skillyard.evaluate import Judge, RunConfig, make_runner, run_experiment
from skillyard.llm import LLMClient, LLMConfig
from support.evaltasks import harbor_task, skill_folder
from support.llm_server import LLMServer


def _client(server: LLMServer, **kw: Any) -> LLMClient:
    return LLMClient(LLMConfig(base_url=server.base_url, model="test-model", max_retries=0,
                               timeout=10), **kw)


def _tool_results(payload: dict[str, Any]) -> list[str]:
    return [m["content"] for m in payload["messages"] if m["role"] == "tool"]


def agent_policy(payload: dict[str, Any]) -> Any:
    """A model that uses a skill when it has one, and cannot do the task without it."""
    system = payload["messages"][0]["content"]
    results = _tool_results(payload)
    if "<available_skills>" not in system:
        return "I do not know what to write."
    if not results:
        return {"tool_calls": [{"name": "load_skill", "arguments": {"name": "answer-writer"}}]}
    if len(results) == 1:
        assert "The answer is 42." in results[0]
        return {"tool_calls": [
            {"name": "run_shell", "arguments": {"command": "cat seed.txt"}},
            {"name": "write_file", "arguments": {"path": "answer.txt", "content": "42"}},
        ]}
    if len(results) == 3:
        assert results[1].startswith("exit status 0") and "seed" in results[1]
        return {"tool_calls": [{"name": "read_file", "arguments": {"path": "answer.txt"}}]}
    return "Done: answer.txt holds 42."


def test_llm_agent_uses_the_skill_only_when_given(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    for i in range(3):
        harbor_task(root, f"t{i}")
    skill = skill_folder(tmp_path / "skills", "answer-writer", body="The answer is 42.\n")
    with LLMServer(agent_policy) as server, Library(tmp_path / "lib.db") as lib:
        runner = make_runner("llm", client=_client(server))
        exp = run_experiment(lib, root, runner=runner, skills=[str(skill)],
                             config=RunConfig(workers=2))
        requests = list(server.requests)
    arms = {a.arm: a for a in exp.analysis.arms}
    assert arms["skill"].tasks_passed == 3 and arms["none"].tasks_passed == 0
    assert exp.analysis.comparisons[0].helped == 3
    with_skill = [t for t in exp.trials if t.arm == "skill"]
    assert all(t.detail["skills_seen"] == ["answer-writer"] and t.detail["turns"] == 4
               for t in with_skill)
    assert all(t.prompt_tokens > 0 and t.completion_tokens > 0 for t in exp.trials)
    catalogs = [r for r in requests if "<available_skills>" in r["messages"][0]["content"]]
    assert len(catalogs) == 12 and len(requests) == 15  # 3 tasks x 4 turns + 3 x 1 turn
    assert all("answer-writer" in r["messages"][0]["content"] for r in catalogs)
    assert {t["function"]["name"] for t in requests[0]["tools"]} == {
        "read_file", "write_file", "run_shell", "load_skill"}


def test_llm_agent_tool_errors_turn_limit_and_http_failure(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "t")
    seen: list[list[str]] = []

    def chaotic(payload: dict[str, Any]) -> Any:
        seen.append(_tool_results(payload))
        return {"tool_calls": [
            {"name": "read_file", "arguments": {"path": "../../etc/passwd"}},
            {"name": "load_skill", "arguments": {"name": "nope"}},
            {"name": "fly", "arguments": {}},
            {"name": "write_file", "arguments": "{not json"},
        ]}

    with LLMServer(chaotic) as server, Library(tmp_path / "lib.db") as lib:
        runner = make_runner("llm", client=_client(server), max_turns=2)
        exp = run_experiment(lib, root, runner=runner, arms="none")
    (trial,) = exp.trials
    assert trial.status == "error" and "no final answer in 2 turns" in trial.error
    last = seen[-1]
    assert "outside the working directory" in last[0]
    assert "no skill named 'nope'" in last[1]
    assert "unknown tool 'fly'" in last[2]
    assert "bad arguments" in last[3]
    with LLMServer(lambda p: 500) as server, Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, root, runner=make_runner("llm", client=_client(server)),
                             arms="none")
    assert exp.trials[0].status == "error" and "500" in exp.trials[0].error


def test_llm_run_replays_from_a_recording(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "t0")
    skill = skill_folder(tmp_path / "skills", "answer-writer", body="The answer is 42.\n")
    recording = tmp_path / "llm.jsonl"
    with LLMServer(agent_policy) as server, Library(tmp_path / "a.db") as lib:
        first = run_experiment(lib, root, skills=[str(skill)], config=RunConfig(workers=1),
                               runner=make_runner("llm", client=_client(server,
                                                                         record=recording)))
    offline = LLMClient(LLMConfig(base_url="http://127.0.0.1:9/v1", model="test-model"),
                        replay=recording)  # nothing listens there: replay must not need it
    with Library(tmp_path / "b.db") as lib:
        replayed = run_experiment(lib, root, skills=[str(skill)], config=RunConfig(workers=1),
                                  runner=make_runner("llm", client=offline))
    assert [t.passed for t in first.trials] == [t.passed for t in replayed.trials] == [False, True]


def judge_policy(payload: dict[str, Any]) -> Any:
    system = payload["messages"][0]["content"]
    user = payload["messages"][-1]["content"]
    if "one assertion" in system:
        answer = user.split("The agent's final answer:\n", 1)[1].split("\n\n", 1)[0]
        ok = "polite" in user and "hello" in answer.lower()
        return json.dumps({"pass": ok, "reason": "checked"})
    first = user.split("First answer:\n", 1)[1].split("\n\n", 1)[0]
    second = user.split("Second answer:\n", 1)[1].split("\n\n", 1)[0]
    if len(first) == len(second):
        return 'Sure! {"winner": "first", "reason": "position bias"}'
    return json.dumps({"winner": "first" if len(first) > len(second) else "second"})


def test_judge_checks_assertions_and_compares_in_both_orders(tmp_path: Path) -> None:
    with LLMServer(judge_policy) as server:
        judge = Judge(_client(server))
        assert judge.check("Greet", "Hello there", "The reply is polite") == (True, "checked")
        assert judge.check("Greet", "Go away", "The reply is polite")[0] is False
        assert judge.compare("t", "a long detailed answer", "short") == 1.0
        assert judge.compare("t", "short", "a long detailed answer") == 0.0
        # Same length: the judge always prefers the first position, so both orders disagree.
        assert judge.compare("t", "aaaa", "bbbb") == 0.5
        skill = skill_folder(tmp_path, "greeter")
        (skill / "evals").mkdir()
        (skill / "evals" / "evals.json").write_text(json.dumps({"skill_name": "greeter", "evals": [
            {"id": 1, "prompt": "Greet me", "expected_output": "Hello, friend!",
             "assertions": ["The reply is polite", "contains: friend"]}]}), encoding="utf-8")
        with Library(tmp_path / "lib.db") as lib:
            exp = run_experiment(lib, skill, runner=make_runner("scripted:oracle"), arms="none",
                                 judge=judge)
    (trial,) = exp.trials
    assert trial.passed and [c["pass"] for c in trial.detail["checks"]] == [True, True]
    assert exp.spec["judge"] == "test-model"


def test_judge_that_never_answers_in_json_is_a_trial_error(tmp_path: Path) -> None:
    skill = skill_folder(tmp_path, "greeter")
    (skill / "evals").mkdir()
    (skill / "evals" / "evals.json").write_text(json.dumps({"evals": [
        {"id": 1, "prompt": "Greet me", "expected_output": "Hello"}]}), encoding="utf-8")
    with LLMServer(lambda p: "I think it passes.") as server, \
            Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, skill, runner=make_runner("scripted:oracle"), arms="none",
                             judge=Judge(_client(server)))
    (trial,) = exp.trials
    assert trial.status == "error" and "judge failed" in trial.error and not trial.passed
