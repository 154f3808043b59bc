"""Swiss tournaments of competing skills, by task outcome and by an LLM judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skillyard import Library
from skillyard.evaluate import (
    EvalError,
    EvalStore,
    Judge,
    RunConfig,
    load_tournament,
    make_runner,
    run_tournament,
)
from skillyard.llm import LLMClient, LLMConfig
from support.evaltasks import harbor_task, skill_folder
from support.llm_server import LLMServer

# Looks its task up in the skills' answer tables ("task-id: answer" lines).
LOOKUP = ("bash -c 'grep -h \"^{task_id}: \" \"$SKILLYARD_SKILLS_DIR\"/*/SKILL.md | head -n 1 "
          "| cut -d\" \" -f2 | tr -d \"\\n\" > answer.txt'")
TASKS = [f"task-{i}" for i in range(6)]


def _players(tmp_path: Path, knows: dict[str, int]) -> list[str]:
    out = []
    for name, count in knows.items():
        table = "".join(f"{t}: 42\n" for t in TASKS[:count])
        out.append(str(skill_folder(tmp_path / "skills", name, body=table,
                                    description="Writes answers. Use for answer tasks.")))
    return out


def test_tournament_ranks_by_task_outcomes(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    for t in TASKS:
        harbor_task(root, t)
    players = _players(tmp_path, {"best": 6, "good": 4, "fair": 2, "poor": 0})
    with Library(tmp_path / "lib.db") as lib:
        result = run_tournament(lib, root, players, runner=make_runner(f"command:{LOOKUP}"),
                                config=RunConfig(workers=2, seed=3), n_boot=200)
        assert [s.player for s in result.standings] == ["best", "good", "fair", "poor"]
        assert result.spec["rounds"] == 3 and len(result.matches) == 3 * 2 * 6
        pairs = {frozenset((a, b)) for _r, a, b, _t, _o in result.matches}
        assert len(pairs) == 6  # three rounds of four players: no rematch, everyone met
        top = result.standings[0]
        assert top.wins > 0 and top.losses == 0 and top.lo <= top.score <= top.hi
        assert result.standings[-1].score < 0 < top.score
        # Each skill ran each task once, whatever the number of matches it played.
        trials = EvalStore(lib.store).trials(result.run_id)
        assert len(trials) == 4 * 6
        again = load_tournament(lib, result.run_id, n_boot=200)
        assert [(s.player, s.score, s.lo, s.hi) for s in again.standings] == [
            (s.player, s.score, s.lo, s.hi) for s in result.standings]


def test_tournament_bad_input(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "task-0")
    players = _players(tmp_path, {"one": 1, "two": 0})
    with Library(tmp_path / "lib.db") as lib:
        runner = make_runner("scripted:oracle")
        with pytest.raises(EvalError, match="at least two skills"):
            run_tournament(lib, root, players[:1], runner=runner)
        with pytest.raises(EvalError, match="listed twice"):
            run_tournament(lib, root, [players[0], players[0]], runner=runner)
        with pytest.raises(EvalError, match="judge mode needs an LLM judge"):
            run_tournament(lib, root, players, runner=runner, mode="judge")
        with pytest.raises(EvalError, match="compare mode"):
            run_tournament(lib, root, players, runner=runner, mode="vibes")


def test_tournament_with_an_llm_judge_in_both_orders(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    for t in TASKS[:3]:
        harbor_task(root, t)
    verbose = skill_folder(tmp_path / "skills", "verbose", body="Explain every step in detail. "
                           * 5)
    terse = skill_folder(tmp_path / "skills", "terse", body="Be brief.\n")
    asked: list[str] = []

    def judge(payload: dict[str, Any]) -> Any:
        user = payload["messages"][-1]["content"]
        asked.append(user)
        first = user.split("First answer:\n", 1)[1].split("\n\nSecond answer:", 1)[0]
        second = user.split("Second answer:\n", 1)[1].split("\n\nWhich answer", 1)[0]
        return json.dumps({"winner": "first" if len(first) > len(second) else "second"})

    with LLMServer(judge) as server, Library(tmp_path / "lib.db") as lib:
        client = LLMClient(LLMConfig(base_url=server.base_url, model="judge", max_retries=0))
        result = run_tournament(
            lib, root, [str(verbose), str(terse)], mode="judge", judge=Judge(client),
            runner=make_runner("command:bash -c 'cat \"$SKILLYARD_SKILLS_DIR\"/*/SKILL.md'"),
            n_boot=100)
    assert [s.player for s in result.standings] == ["verbose", "terse"]
    assert [o for *_x, o in result.matches] == [1.0, 1.0, 1.0]
    assert len(asked) == 6  # three tasks, each judged in both orders
