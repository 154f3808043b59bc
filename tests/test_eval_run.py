"""End-to-end experiments on real task folders, a real library and real subprocesses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from scipy import stats as sp

from skillyard import Library
from skillyard.evaluate import (
    EvalError,
    EvalStore,
    RunConfig,
    load_experiment,
    load_tasks,
    make_runner,
    run_experiment,
)
from skillyard.evaluate.verify import read_reward
from skillyard.evaluate.workspace import rewrite_paths
from support.evaltasks import harbor_task, skill_folder

MIXED = "skill-gated@help-*,misled@hurt-*,nothing@fail-*,oracle"


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    root = tmp_path / "tasks"
    for i in range(6):
        harbor_task(root, f"help-{i}")
    for i in range(2):
        harbor_task(root, f"hurt-{i}")
    for i in range(3):
        harbor_task(root, f"same-{i}")
    for i in range(2):
        harbor_task(root, f"fail-{i}")
    return root


@pytest.fixture
def skill(tmp_path: Path) -> Path:
    return skill_folder(tmp_path / "skills", "answer-writer")


def test_known_effect_comes_out_exactly(tmp_path: Path, tasks: Path, skill: Path) -> None:
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, tasks, runner=make_runner(f"scripted:{MIXED}"),
                             skills=[str(skill)], config=RunConfig(trials=3, workers=2, seed=4))
        assert len(exp.trials) == 13 * 2 * 3
        (comp,) = exp.analysis.comparisons
        assert (comp.arm, comp.baseline) == ("skill", "none")
        assert (comp.helped, comp.hurt, comp.both_pass, comp.both_fail) == (6, 2, 3, 2)
        assert comp.p_value == pytest.approx(sp.binomtest(6, 8, 0.5).pvalue)
        assert comp.diff == pytest.approx(4 / 13)
        assert comp.diff_lo <= comp.diff <= comp.diff_hi
        arms = {a.arm: a for a in exp.analysis.arms}
        assert (arms["none"].tasks_passed, arms["skill"].tasks_passed) == (5, 9)
        lo, hi = sp.binomtest(9, 13).proportion_ci(method="wilson")
        assert (arms["skill"].rate_lo, arms["skill"].rate_hi) == pytest.approx((lo, hi))
        assert comp.token_overhead > 0  # the skill's catalog entry and body cost tokens
        # The skill reached the agent in the with-skill arm, and never in the no-skill arm.
        for t in exp.trials:
            if t.arm == "skill":
                assert t.detail["visible"] == ["answer-writer"]
                assert t.skills and t.skills[0]["name"] == "answer-writer"
            else:
                assert t.detail["visible"] == [] and t.skills == []
        helped = [t for t in exp.trials if t.task_id.startswith("help") and t.arm == "skill"]
        assert all(t.detail["skills_seen"] == ["answer-writer"] and t.passed for t in helped)
        # Stored: the report is rebuilt from the database without rerunning.
        again = load_experiment(lib, exp.run_id)
        assert again.analysis.to_dict() == exp.analysis.to_dict()
        assert EvalStore(lib.store).run(exp.run_id).status == "done"


def test_seed_reproduces_everything_but_the_clock(tmp_path: Path, tasks: Path,
                                                  skill: Path) -> None:
    def fingerprint(exp) -> list:
        c = exp.analysis.comparisons[0]
        return [c.helped, c.hurt, c.p_value, c.diff, c.diff_lo, c.diff_hi, c.token_overhead,
                c.token_overhead_lo, c.token_overhead_hi,
                [(t.task_id, t.arm, t.trial, t.passed, t.tokens) for t in exp.trials]]

    with Library(tmp_path / "lib.db") as lib:
        runs = [run_experiment(lib, tasks, runner=make_runner(f"scripted:{MIXED}"),
                               skills=[str(skill)],
                               config=RunConfig(trials=2, workers=w, seed=9))
                for w in (1, 3)]
        assert fingerprint(runs[0]) == fingerprint(runs[1])
        # The bootstrap seed matters: another seed on the same stored trials moves the
        # (continuous) overhead interval; the same seed reproduces the analysis exactly.
        same = load_experiment(lib, runs[0].run_id)
        other = load_experiment(lib, runs[0].run_id, seed=10)
        assert same.analysis.to_dict() == runs[0].analysis.to_dict()
        assert other.analysis.comparisons[0].time_overhead_lo != \
            same.analysis.comparisons[0].time_overhead_lo


AGENT = """set -e
# A real agent CLI stand-in: reads its skill folder and acts on what a skill says.
ls "$SKILLYARD_SKILLS_DIR" > "$SKILLYARD_WORKDIR/../logs/agent/seen.txt"
if grep -qs "answer is 42" "$SKILLYARD_SKILLS_DIR"/*/SKILL.md; then
  printf 42 > answer.txt
fi
echo '{"input_tokens": 120, "output_tokens": 7}' > "$SKILLYARD_USAGE_FILE"
cat "$SKILLYARD_SKILLS_DIR"/*/references/notes.md 2>/dev/null || true
echo "task {task_id}"
"""


def test_versions_arm_and_command_runner(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    for i in range(3):
        harbor_task(root, f"t{i}")
    folder = skill_folder(tmp_path / "skills", "hinter", body="Nothing useful here.\n")
    agent = tmp_path / "agent.sh"
    agent.write_text(AGENT, encoding="utf-8")
    with Library(tmp_path / "lib.db") as lib:
        lib.index([str(folder)])
        skill_folder(tmp_path / "skills", "hinter", body="The answer is 42.\n")
        lib.index([str(folder)])
        assert [v.version for v in lib.versions("hinter")] == [1, 2]
        runner = make_runner(f"command:bash {agent}")
        exp = run_experiment(lib, root, runner=runner, skills=["hinter"],
                             arms="none,version:1,latest=skill",
                             config=RunConfig(trials=1, workers=2, keep=True,
                                              root=tmp_path / "trials"))
        arms = {a.arm: a for a in exp.analysis.arms}
        assert {n: a.tasks_passed for n, a in arms.items()} == {"none": 0, "v1": 0, "latest": 3}
        by = {(c.arm, c.baseline): c for c in exp.analysis.comparisons}
        assert by[("latest", "none")].helped == 3 and by[("v1", "none")].helped == 0
        trial = next(t for t in exp.trials if t.arm == "latest")
        assert trial.prompt_tokens == 120 and trial.completion_tokens == 7
        assert "Notes for hinter." in trial.detail["answer"]
        assert trial.skills[0]["version"] == 2
        assert next(t for t in exp.trials if t.arm == "v1").skills[0]["version"] == 1
        # Kept trial folders show the injected skill, and only in its arm.
        seen = sorted((tmp_path / "trials").rglob("seen.txt"))
        assert len(seen) == 9
        contents = sorted(p.read_text(encoding="utf-8").strip() for p in seen)
        assert contents.count("hinter") == 6 and contents.count("") == 3


def test_timeout_kills_the_agent_and_the_run_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "slow")
    harbor_task(root, "slow2")
    with Library(tmp_path / "lib.db") as lib:
        started = time.monotonic()
        exp = run_experiment(lib, root, runner=make_runner("command:bash -c 'sleep 30 & sleep 30'"),
                             arms="none", config=RunConfig(timeout=0.5, workers=2))
        assert time.monotonic() - started < 20
    assert [t.status for t in exp.trials] == ["timeout", "timeout"]
    assert not any(t.passed for t in exp.trials)
    assert exp.analysis.arms[0].timeouts == 2


def test_broken_agent_is_a_failed_trial(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "t")
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, root, runner=make_runner("command:/nonexistent/agent"),
                             arms="none")
    (trial,) = exp.trials
    assert trial.status == "error" and "cannot start" in (trial.error or "")
    assert not trial.passed


def test_verifier_rewards(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    assert read_reward(d) is None
    (d / "reward.json").write_text('{"reward": 1.0}', encoding="utf-8")
    assert read_reward(d) == 1.0
    (d / "reward.txt").write_text("0.6\n", encoding="utf-8")
    assert read_reward(d) == 0.6
    (d / "reward.txt").write_text("nan", encoding="utf-8")
    with pytest.raises(ValueError, match="not finite"):
        read_reward(d)
    (d / "reward.txt").write_text("pass", encoding="utf-8")
    with pytest.raises(ValueError, match="not a number"):
        read_reward(d)


def test_fractional_reward_and_exit_status(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    partial = harbor_task(root, "partial")
    (partial / "tests" / "test.sh").write_text(
        "echo 0.9 > /logs/verifier/reward.txt\n", encoding="utf-8")
    exitonly = harbor_task(root, "exit-only")
    (exitonly / "tests" / "test.sh").write_text(
        'test -f /tests/test.sh && test "$(pwd)" = "$SKILLYARD_WORKDIR"\n', encoding="utf-8")
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, root, runner=make_runner("scripted:nothing"), arms="none")
    by = {t.task_id: t for t in exp.trials}
    assert by["partial"].reward == 0.9 and not by["partial"].passed  # 90% of tests is a fail
    assert by["exit-only"].passed and by["exit-only"].detail["checks"][0]["reward_from"]


def test_rewrite_paths() -> None:
    mapping = [("/logs/verifier", "/T/logs/verifier"), ("/tests", "/T/tests"), ("/app", "/W")]
    text = 'cd /tests && cat "/app/x" > /logs/verifier/reward.txt; ls /testsuite a/tests /app'
    assert rewrite_paths(text, mapping) == (
        'cd /T/tests && cat "/W/x" > /T/logs/verifier/reward.txt; ls /testsuite a/tests /W')


def test_evals_tasks_with_deterministic_assertions(tmp_path: Path) -> None:
    skill = skill_folder(tmp_path, "summer")
    (skill / "evals").mkdir()
    (skill / "evals" / "in.txt").write_text("1 2 3", encoding="utf-8")
    (skill / "evals" / "evals.json").write_text(json.dumps({"skill_name": "summer", "evals": [
        {"id": 1, "prompt": "Add the numbers in in.txt", "expected_output": "The sum is 6",
         "files": ["evals/in.txt"], "assertions": ["contains: sum is 6", "regex: \\b6\\b",
                                                   "file-exists: evals/in.txt"]},
        {"id": 2, "prompt": "Say hi", "expected_output": "hello",
         "assertions": ["not-contains: hello"]},
    ]}), encoding="utf-8")
    with Library(tmp_path / "lib.db") as lib:
        exp = run_experiment(lib, skill, runner=make_runner("scripted:oracle"), arms="none")
        by = {t.task_id: t for t in exp.trials}
        assert by["summer#1"].passed and by["summer#1"].reward == 1.0
        assert not by["summer#2"].passed
        (skill / "evals" / "evals.json").write_text(json.dumps({"evals": [
            {"id": 1, "prompt": "p", "expected_output": "a friendly greeting"}]}),
            encoding="utf-8")
        with pytest.raises(EvalError, match="only an LLM judge can check"):
            run_experiment(lib, skill, runner=make_runner("scripted:oracle"), arms="none")
        (skill / "evals" / "evals.json").write_text(json.dumps({"evals": [
            {"id": 1, "prompt": "p", "assertions": ["regex: ("]}]}), encoding="utf-8")
        with pytest.raises(EvalError, match="bad regular expression"):
            run_experiment(lib, skill, runner=make_runner("scripted:oracle"), arms="none")


@pytest.mark.parametrize(
    ("runner", "arms", "message"),
    [
        ("scripted:genius", "none", "unknown scripted policy"),
        ("scripted:oracle@x-*", "none", "no policy matches task"),
        ("command:agent {nope}", "none", "unknown field {nope}"),
        ("robot", "none", "unknown runner"),
        ("scripted:oracle", "none,none", "arm names must differ"),
        ("scripted:oracle", "skill", "needs skills"),
        ("scripted:oracle", "version:x", "version:N"),
        ("scripted:oracle", "routed:0", "routed:K"),
        ("scripted:oracle", "chaos", "unknown arm"),
    ],
)
def test_bad_plans_fail_before_running(tmp_path: Path, tasks: Path, runner: str, arms: str,
                                       message: str) -> None:
    with Library(tmp_path / "lib.db") as lib, pytest.raises(EvalError, match=message):
        run_experiment(lib, tasks, runner=make_runner(runner), arms=arms)
    with Library(tmp_path / "lib.db") as lib:
        assert EvalStore(lib.store).runs() == []


def test_missing_solution_and_unknown_skill(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    harbor_task(root, "nosol", solution=False)
    with Library(tmp_path / "lib.db") as lib:
        with pytest.raises(EvalError, match="needs solution/solve.sh"):
            run_experiment(lib, root, runner=make_runner("scripted:oracle"), arms="none")
        from skillyard.errors import NotFoundError

        with pytest.raises(NotFoundError):
            run_experiment(lib, root, runner=make_runner("scripted:nothing"),
                           skills=["no-such-skill"])
        with pytest.raises(EvalError, match="skills dir"):
            run_experiment(lib, root, runner=make_runner("scripted:nothing"), arms="none",
                           config=RunConfig(skills_dir="../out"))


def test_library_facade(tmp_path: Path, tasks: Path, skill: Path) -> None:
    with Library(tmp_path / "lib.db") as lib:
        exp = lib.evaluate(load_tasks(tasks), runner=make_runner(f"scripted:{MIXED}"),
                           skills=[str(skill)])
        assert lib.evaluation("latest").analysis.to_dict() == exp.analysis.to_dict()


def test_compare_skills_on_unstored_values(tmp_path: Path) -> None:
    from skillyard.evaluate import compare_skills
    from skillyard.sources import open_source

    root = tmp_path / "tasks"
    for i in range(4):
        harbor_task(root, f"t{i}")
    agent = tmp_path / "agent.sh"
    agent.write_text(AGENT, encoding="utf-8")

    def load(body: str) -> object:
        folder = skill_folder(tmp_path / "skills", "hinter", body=body)
        (result,) = [r for r in open_source(str(folder)) if r.skill is not None]
        return result.skill

    old, new = load("No hint.\n"), load("The answer is 42.\n")
    runner = make_runner(f"command:bash {agent}")
    exp = compare_skills(root, new, old, runner=runner)
    (comp,) = exp.analysis.comparisons
    assert (comp.arm, comp.baseline, comp.helped, comp.hurt) == ("candidate", "baseline", 4, 0)
    assert exp.run_id is None  # nothing stored without a library
    with Library(tmp_path / "lib.db") as lib:
        stored = compare_skills(root, old, None, runner=runner, lib=lib)
        assert stored.analysis.comparisons[0].helped == 0
        assert load_experiment(lib, stored.run_id).analysis.baseline == "baseline"
