"""LLM distillation against a real local OpenAI-compatible HTTP server with scripted replies:
per-run analyses, hierarchical merges, conflicts, malformed output, record and replay."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillyard.learn import DistillError, DistillOptions, distill, group_by_task
from skillyard.learn.distill.prompts import ANALYSE_SYSTEM, MERGE_SYSTEM
from skillyard.learn.miner import mine_group
from skillyard.learn.simulate import Block, Script, simulate
from skillyard.llm import LLMClient, LLMConfig
from support.llm_server import LLMServer

SCRIPT = Script("orders", (
    Block("step", (("open_case(id)",),)),
    Block("optional", (("check_stock(id)",),), skip=0.4),
    Block("step", (("ship_order(id)",),)),
), ("shipping", "order", "stock", "dispatch"), ("cancel_everything(force)", "wipe_case(force)"))

PITFALL = "- Never call `cancel_everything` to get out of a stuck order."
HINT = "- Check stock before shipping when the order is large."


def _runs(n: int = 12, seed: int = 4) -> list:
    return simulate(SCRIPT, n, 0.0, seed=seed, failure_rate=0.4)


def _base(runs: list) -> dict[str, str]:
    """The frozen skill: mined offline from ``runs``, or from a standard set when too few."""
    if len(runs) < 6:
        runs = _runs()
    (group,) = group_by_task(runs)
    mined = mine_group(group, "ship-orders")
    assert mined is not None
    return mined.files


def _run_id(payload: dict[str, Any]) -> str:
    return re.search(r"Run id: (\S+)", payload["messages"][1]["content"]).group(1)


def _outcome(payload: dict[str, Any]) -> str:
    return re.search(r"Outcome: (\w+)", payload["messages"][1]["content"]).group(1)


def _lists(payload: dict[str, Any]) -> list[list[dict[str, Any]]]:
    text = payload["messages"][1]["content"].split("Operation lists to merge:", 1)[1]
    return [json.loads(chunk.split(":\n", 1)[1]) for chunk in
            re.split(r"\n\n(?=List \d+:)", text.strip())]


def union_merge(payload: dict[str, Any]) -> str:
    """A faithful merger: identical operations become one with the union of support."""
    merged: list[dict[str, Any]] = []
    for ops in _lists(payload):
        for op in ops:
            same = next((m for m in merged if {k: v for k, v in m.items() if k != "support"}
                         == {k: v for k, v in op.items() if k != "support"}), None)
            if same:
                same["support"] = sorted(set(same.get("support", [])) | set(op["support"]))
            else:
                merged.append(dict(op))
    return json.dumps({"operations": merged})


def scripted(analyse: Callable[[dict[str, Any]], Any],
             merge: Callable[[dict[str, Any]], Any] = union_merge) -> Callable[[dict], Any]:
    def respond(payload: dict[str, Any]) -> Any:
        system = payload["messages"][0]["content"]
        if system == ANALYSE_SYSTEM:
            return analyse(payload)
        if system == MERGE_SYSTEM:
            return merge(payload)
        return 400
    return respond


def lessons_from_failures(payload: dict[str, Any]) -> str:
    run = _run_id(payload)
    if _outcome(payload) == "failure":
        ops = [{"op": "append", "section": "Pitfalls", "text": PITFALL, "support": [run],
                "reason": "failed runs escalated"}]
        return json.dumps({"success_path": [], "failure_causes": ["wrong tool"],
                           "operations": ops})
    ops = [{"op": "insert", "section": "Procedure", "text": HINT, "support": [run]}]
    return "```json\n" + json.dumps({"success_path": ["open_case", "ship_order"],
                                     "operations": ops}) + "\n```"


def _client(server: LLMServer, **kw: Any) -> LLMClient:
    return LLMClient(LLMConfig(base_url=server.base_url, model="test-model", max_retries=0), **kw)


def test_analyses_and_hierarchical_merge() -> None:
    runs = _runs()
    base = _base(runs)
    with LLMServer(scripted(lessons_from_failures)) as server:
        result = distill(_client(server), base, runs, DistillOptions(batch_size=3, jobs=3))
    analyses = [r for r in server.requests if r["messages"][0]["content"] == ANALYSE_SYSTEM]
    merges = [r for r in server.requests if r["messages"][0]["content"] == MERGE_SYSTEM]
    assert len(analyses) == len(runs) == len(result.analyses)
    # 12 lists -> 4 merges; 4 lists -> one merge of 3 (the 4th passes through); 2 -> 1
    assert result.merge.levels == 3 and len(merges) == 6 == result.merge.calls
    md = result.files["SKILL.md"]
    assert md.count(PITFALL) == 1 and md.count(HINT) == 1
    assert md.index(HINT) < md.index("## Pitfalls") < md.index(PITFALL)
    pitfall_op = next(op for op in result.merge.operations if op.text == PITFALL)
    failed = sorted(t.id for t in runs if t.failed)
    assert sorted(pitfall_op.support) == failed
    assert result.calls == len(runs) + 6
    assert all(r["temperature"] == 0.0 for r in server.requests)


def test_conflict_is_sent_back_then_resolved() -> None:
    runs = _runs(6, seed=8)
    base = _base(runs)
    old = "Use this skill when someone asks to"

    def analyse(payload: dict[str, Any]) -> str:
        run = _run_id(payload)
        new = "Use it for shipping requests about" if _outcome(payload) == "failure" else \
            "Use this skill whenever an order must ship, for requests about"
        return json.dumps({"operations": [{"op": "replace", "section": "When to use",
                                           "old": old, "text": new, "support": [run]}]})

    merge_calls = []

    def merge(payload: dict[str, Any]) -> str:
        merge_calls.append(payload)
        ops = [op for ops in _lists(payload) for op in ops] if len(payload["messages"]) == 2 \
            else []
        if len(payload["messages"]) > 2:  # the conflict was sent back: keep one edit
            assert "still conflict" in payload["messages"][-1]["content"]
            previous = json.loads(payload["messages"][-2]["content"])["operations"]
            best = max(previous, key=lambda op: len(op["support"]))
            best["support"] = sorted({s for op in previous for s in op["support"]})
            return json.dumps({"operations": [best]})
        return json.dumps({"operations": ops})

    with LLMServer(scripted(analyse, merge)) as server:
        result = distill(_client(server), base, runs, DistillOptions(batch_size=8))
    assert result.merge.conflicts_sent_back == 1 and len(merge_calls) == 2
    assert len(result.merge.operations) == 1 and not result.merge.dropped
    assert result.files["SKILL.md"].count("ship") >= 1 and old not in result.files["SKILL.md"]


def test_unresolved_conflict_is_settled_by_support() -> None:
    runs = _runs(6, seed=8)
    base = _base(runs)

    def analyse(payload: dict[str, Any]) -> str:
        run = _run_id(payload)
        text = "Pitfalls differ" if _outcome(payload) == "failure" else "Pitfalls agree"
        return json.dumps({"operations": [{"op": "add_section", "section": "Notes",
                                           "text": text, "support": [run]}]})

    def stubborn(payload: dict[str, Any]) -> str:  # returns the conflict every time
        if len(payload["messages"]) > 2:
            return payload["messages"][-2]["content"]
        return union_merge(payload)

    with LLMServer(scripted(analyse, stubborn)) as server:
        result = distill(_client(server), base, runs, DistillOptions(batch_size=8))
    wins = sum(t.succeeded for t in runs)
    kept = result.merge.operations
    assert len(kept) == 1 and len(result.merge.dropped) == 1
    # the better supported edit wins; on a tie the earlier (a failed run is analysed first)
    expected = "Pitfalls agree" if wins > len(runs) - wins else "Pitfalls differ"
    assert kept[0].text == expected and "## Notes" in result.files["SKILL.md"]


def test_malformed_output_is_retried() -> None:
    runs = _runs(2, seed=1)
    base = _base(runs)
    seen: dict[str, int] = {}

    def flaky(payload: dict[str, Any]) -> str:
        run = _run_id(payload)
        seen[run] = seen.get(run, 0) + 1
        if seen[run] == 1:
            return "Sure! Here are my thoughts: the run went fine."
        if seen[run] == 2:
            return json.dumps({"operations": [{"op": "append", "section": "No Such Section",
                                               "text": "x"}]})
        return json.dumps({"operations": []})

    with LLMServer(scripted(flaky)) as server:
        result = distill(_client(server), base, runs)
    assert all(count == 3 for count in seen.values())
    retries = [r for r in server.requests if len(r["messages"]) > 2]
    assert any("not JSON" in r["messages"][-1]["content"] for r in retries)
    assert any("no section titled 'No Such Section'" in r["messages"][-1]["content"]
               for r in retries)
    assert result.files == base


def test_malformed_output_gives_a_clear_error() -> None:
    runs = _runs(2, seed=1)
    with LLMServer(scripted(lambda p: '{"operations": [{"op": "explode"}]}')) as server, \
            pytest.raises(DistillError) as info:
        distill(_client(server), _base(runs), runs, DistillOptions(retries=2, jobs=1))
    message = str(info.value)
    assert message.startswith("analysis of run ") and "after 3 attempts" in message
    assert "'op' must be one of" in message
    assert len(server.requests) == 3


def test_record_and_replay(tmp_path: Path) -> None:
    runs = _runs(8, seed=2)
    base = _base(runs)
    tape = tmp_path / "llm.jsonl"
    with LLMServer(scripted(lessons_from_failures)) as server:
        live = distill(_client(server, record=tape), base, runs, DistillOptions(batch_size=4))
    recorded = [json.loads(line) for line in tape.read_text().splitlines()]
    assert len(recorded) == len(server.requests) == live.calls
    # replay keys requests by model, so the same model is configured; nothing listens on it
    offline = LLMConfig(base_url="http://127.0.0.1:9/v1", model="test-model")
    replayed = distill(LLMClient(offline, replay=tape), base, runs, DistillOptions(batch_size=4))
    assert replayed.files == live.files
    assert [op.to_dict() for op in replayed.merge.operations] == \
        [op.to_dict() for op in live.merge.operations]
    with pytest.raises(DistillError, match="not recorded"):
        distill(LLMClient(offline, replay=tape), base, runs[:-1], DistillOptions(batch_size=4))


def test_server_failure_is_a_clear_error() -> None:
    runs = _runs(2, seed=1)
    with LLMServer(lambda payload: 503) as server, pytest.raises(DistillError) as info:
        distill(_client(server), _base(runs), runs)
    assert "503" in str(info.value) and "analysis of run" in str(info.value)


def test_levels_option_adds_plan_and_references() -> None:
    runs = simulate(SCRIPT, 20, 0.0, seed=6, failure_rate=0.2)
    base = _base(runs)
    with LLMServer(scripted(lambda p: json.dumps({"operations": []}))) as server:
        result = distill(_client(server), base, runs, DistillOptions(levels=True))
    md = result.files["SKILL.md"]
    assert "## Plan" in md and "F1: open_case" in md
    assert "references/functional-skills.md" in result.files
    atomic = result.files["references/atomic-skills.md"]
    assert "## ship_order" in atomic and "## cancel_everything" in atomic
