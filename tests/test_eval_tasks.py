"""Task import: Harbor/SkillsBench folders, agentskills.io evals.json, trigger sets, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillyard.evaluate import TaskError, load_tasks, load_trigger_cases
from skillyard.evaluate.errors import EvalError
from skillyard.evaluate.tasks import environment_files, load_harbor_task, parse_evals
from skillyard.evaluate.triggers import parse_jsonl_cases, parse_trigger_cases
from support.evaltasks import harbor_task


def test_harbor_task_fields(tmp_path: Path) -> None:
    folder = harbor_task(tmp_path, "t1", agent_timeout=30, bundled_skill=True)
    task = load_harbor_task(folder)
    assert task.id == "t1" and task.kind == "harbor"
    assert task.instruction.startswith("Write 42")
    assert task.agent_timeout == 30.0 and task.verifier_timeout == 30.0
    assert task.container_workdir == "/app"
    assert task.solution == folder / "solution"
    assert [p.name for p in task.bundled_skills] == ["baked"]
    # The starting state never includes the Dockerfile or a baked-in skill.
    assert [rel for rel, _ in environment_files(task)] == ["seed.txt"]
    assert len(task.digest) == 64


def test_digest_changes_with_content(tmp_path: Path) -> None:
    folder = harbor_task(tmp_path, "t1")
    before = load_harbor_task(folder).digest
    (folder / "tests" / "test.sh").write_text("exit 1\n", encoding="utf-8")
    assert load_harbor_task(folder).digest != before


def test_folder_of_tasks_sorted(tmp_path: Path) -> None:
    for name in ("b", "a", "c"):
        harbor_task(tmp_path, name)
    (tmp_path / "README.md").write_text("not a task", encoding="utf-8")
    (tmp_path / "notes").mkdir()
    assert [t.id for t in load_tasks(tmp_path).tasks] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda f: (f / "task.toml").write_text("version = [", encoding="utf-8"), "invalid TOML"),
        (lambda f: (f / "instruction.md").unlink(), "missing instruction.md"),
        (lambda f: (f / "instruction.md").write_text("  \n", encoding="utf-8"), "is empty"),
        (lambda f: (f / "instruction.md").write_bytes(b"\xff\xfe bad"), "not UTF-8"),
        (lambda f: (f / "tests" / "test.sh").unlink(), "missing tests/test.sh"),
        (lambda f: (f / "task.toml").write_text("[agent]\ntimeout_sec = -1\n", encoding="utf-8"),
         "timeout_sec must be a positive number"),
        (lambda f: (f / "task.toml").write_text("agent = 3\n", encoding="utf-8"),
         "[agent] must be a table"),
        (lambda f: (f / "task.toml").write_text("[task]\nname = 5\n", encoding="utf-8"),
         "name must be a one-line string"),
    ],
)
def test_bad_task_folder_one_clear_error(tmp_path: Path, breakage, message: str) -> None:
    folder = harbor_task(tmp_path, "broken")
    breakage(folder)
    with pytest.raises(TaskError) as info:
        load_tasks(folder)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_sibling_fails_or_is_skipped(tmp_path: Path) -> None:
    harbor_task(tmp_path, "good")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "instruction.md").write_text("do it", encoding="utf-8")
    with pytest.raises(TaskError, match="looks like a task but has no task.toml"):
        load_tasks(tmp_path)
    loaded = load_tasks(tmp_path, skip_bad=True)
    assert [t.id for t in loaded.tasks] == ["good"]
    assert loaded.skipped and "bad" in loaded.skipped[0][0]


def test_duplicate_ids_and_empty_folder(tmp_path: Path) -> None:
    harbor_task(tmp_path / "x", "one")
    harbor_task(tmp_path / "y", "two", extra_toml="")
    (tmp_path / "y" / "two" / "task.toml").write_text('[task]\nname = "one"\n', encoding="utf-8")
    (tmp_path / "x" / "one").rename(tmp_path / "one")
    (tmp_path / "y" / "two").rename(tmp_path / "two")
    with pytest.raises(TaskError, match="appears twice"):
        load_tasks(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TaskError, match="no tasks found"):
        load_tasks(empty)
    with pytest.raises(TaskError, match="no such file"):
        load_tasks(tmp_path / "missing")


def _evals_skill(tmp_path: Path, evals: list[dict], name: str = "demo") -> Path:
    skill = tmp_path / name
    (skill / "evals" / "files").mkdir(parents=True)
    (skill / "SKILL.md").write_text(f"---\nname: {name}\ndescription: d\n---\nbody\n",
                                    encoding="utf-8")
    (skill / "evals" / "files" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (skill / "evals" / "evals.json").write_text(
        json.dumps({"skill_name": name, "evals": evals}), encoding="utf-8")
    return skill


def test_evals_json_tasks(tmp_path: Path) -> None:
    skill = _evals_skill(tmp_path, [
        {"id": 1, "prompt": "Sum the csv", "expected_output": "3",
         "files": ["evals/files/data.csv"], "assertions": ["contains: 3"]},
        {"id": "two", "prompt": "Explain", "expected_output": "An explanation"},
    ])
    tasks = load_tasks(skill).tasks
    assert [t.id for t in tasks] == ["demo#1", "demo#two"]
    first = tasks[0]
    assert first.kind == "evals" and first.assertions == ("contains: 3",)
    assert first.files[0][0] == "evals/files/data.csv" and first.files[0][1].is_file()
    assert load_tasks(skill / "evals" / "evals.json").tasks[0].id == "demo#1"


@pytest.mark.parametrize(
    ("evals", "message"),
    [
        ([{"id": 1, "prompt": ""}], "'prompt' must be a non-empty string"),
        ([{"id": 1, "prompt": "p"}], "nothing to check"),
        ([{"id": 1, "prompt": "p", "assertions": "x"}], "'assertions' must be a list"),
        ([{"id": 1, "prompt": "p", "expected_output": "e", "files": ["nope.txt"]}],
         "input file 'nope.txt' not found"),
        ([{"id": 1, "prompt": "p", "expected_output": "e", "files": ["../x"]}],
         "must be a relative path"),
        ([{"id": 1, "prompt": "p", "expected_output": "e"},
          {"id": 1, "prompt": "q", "expected_output": "e"}], "duplicate id"),
        ([], "'evals' is empty"),
        (["text"], "must be an object"),
    ],
)
def test_bad_evals_json(tmp_path: Path, evals: list, message: str) -> None:
    skill = _evals_skill(tmp_path, evals)
    with pytest.raises(TaskError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_tasks(skill)


def test_evals_json_syntax_and_trigger_confusion(tmp_path: Path) -> None:
    bad = tmp_path / "evals.json"
    bad.write_text('{"evals": [', encoding="utf-8")
    with pytest.raises(TaskError, match="invalid JSON at line 1"):
        load_tasks(bad)
    bad.write_text(json.dumps([{"query": "q", "should_trigger": True}]), encoding="utf-8")
    with pytest.raises(TaskError, match="trigger eval set"):
        load_tasks(bad)


def test_trigger_sets(tmp_path: Path) -> None:
    data = [{"query": "make a plot", "should_trigger": True},
            {"query": "book a flight", "should_trigger": False}]
    cases = parse_trigger_cases(data, "t.json", "plotter")
    assert [(c.should_trigger, c.positives, c.negatives) for c in cases] == [
        (True, ("plotter",), ()), (False, (), ("plotter",))]
    with pytest.raises(EvalError, match="--skill"):
        parse_trigger_cases(data, "t.json", None)
    with pytest.raises(TaskError, match="should_trigger"):
        parse_trigger_cases([{"query": "q", "should_trigger": "yes"}], "t.json", "s")
    evals = {"skill_name": "plotter", "evals": [{"id": 1, "prompt": "draw"}]}
    assert parse_trigger_cases(evals, "e.json", None)[0].positives == ("plotter",)
    lines = "\n".join(json.dumps(x) for x in [
        {"qid": "a", "query": "q1", "should_trigger": True, "gold": ["s1"]},
        {"qid": "b", "query": "q2", "should_trigger": False, "gold": [], "not_skill": "s1"}])
    jsonl = parse_jsonl_cases(lines, "r.jsonl")
    assert jsonl[1].negatives == ("s1",) and jsonl[0].positives == ("s1",)
    with pytest.raises(TaskError, match=r"r.jsonl:1: invalid JSON"):
        parse_jsonl_cases("{oops", "r.jsonl")
    with pytest.raises(TaskError, match="needs 'gold'"):
        parse_jsonl_cases(json.dumps({"query": "q", "should_trigger": True}), "r.jsonl")


def test_shared_routing_dev_set_loads() -> None:
    from conftest import SHARED

    cases = load_trigger_cases(SHARED / "routing-dev.jsonl")
    assert len(cases) == 312
    assert sum(not c.should_trigger for c in cases) == 10


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "prompt", "expected_output", "files", "assertions", "evals",
                         "skill_name", "query", "x"]), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=json_values)
def test_evals_parser_never_crashes(tmp_path: Path, data: object) -> None:
    path = tmp_path / "evals" / "evals.json"
    try:
        tasks = parse_evals(data, path)
    except TaskError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert tasks and all(t.instruction.strip() for t in tasks)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=120))
def test_task_toml_never_crashes(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "t"
    if not folder.exists():
        harbor_task(tmp_path, "t")
    (folder / "task.toml").write_text(text, encoding="utf-8")
    try:
        task = load_harbor_task(folder)
    except TaskError:
        return
    assert task.id


@settings(max_examples=100, deadline=None)
@given(data=json_values)
def test_trigger_parser_never_crashes(data: object) -> None:
    try:
        cases = parse_trigger_cases(data, "x.json", "skill")
    except (TaskError, EvalError):
        return
    assert all(c.query.strip() for c in cases)
