"""The routed arm and trigger evaluation, through the Router seam and Library.route."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from skillyard import Library
from skillyard.evaluate import (
    CallableRouter,
    EvalError,
    RouterUnavailableError,
    library_router,
    load_triggers,
    make_runner,
    run_experiment,
    run_triggers,
)
from skillyard.evaluate.triggers import TriggerCase
from support.evaltasks import harbor_task, skill_folder

# An agent CLI stand-in that does whatever its skills say the answer is.
FOLLOWER = ("bash -c 'sed -n \"s/.*The answer is \\([a-z0-9]*\\)\\..*/\\1/p\" "
            "\"$SKILLYARD_SKILLS_DIR\"/*/SKILL.md | head -n 1 | tr -d \"\\n\" > answer.txt'")


def word_router(lib: Library) -> CallableRouter:
    """A small real lexical router: rank skills by words shared with name + description."""
    skills = lib.list()

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", text.lower()))

    def route(query: str, k: int) -> list[dict[str, Any]]:
        q = words(query)
        scored = sorted(skills, key=lambda s: (-len(q & words(f"{s.name} {s.description}")),
                                               s.id))
        return [{"id": s.id, "score": len(q & words(s.description))} for s in scored[:k]]

    return CallableRouter(route)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Library]:
    root = tmp_path / "tasks"
    for answer in ("alpha", "beta", "gamma"):
        harbor_task(root, f"write-{answer}", answer=answer)
    lib = Library(tmp_path / "lib.db")
    for answer in ("alpha", "beta", "gamma"):
        lib.index([str(skill_folder(tmp_path / "skills", f"{answer}-writer",
                                    body=f"The answer is {answer}.\n",
                                    description=f"Writes {answer} into answer files."))])
    return root, lib


def test_routed_arm_gets_the_routers_choice_per_task(setup: tuple[Path, Library]) -> None:
    root, lib = setup
    with lib:
        exp = run_experiment(lib, root, runner=make_runner(f"command:{FOLLOWER}"),
                             arms="none,routed,beta=skill:beta-writer",
                             router=word_router(lib))
    passed = {a.arm: a.tasks_passed for a in exp.analysis.arms}
    assert passed == {"none": 0, "routed": 3, "beta": 1}
    routed = next(a for a in exp.spec["arms"] if a["name"] == "routed")["routed"]
    assert {task: [i.rsplit("/", 1)[-1] for i in ids] for task, ids in routed.items()} == {
        "write-alpha": ["alpha-writer"], "write-beta": ["beta-writer"],
        "write-gamma": ["gamma-writer"]}
    for t in exp.trials:
        if t.arm == "routed":
            assert t.detail["visible"] == [t.task_id.replace("write-", "") + "-writer"]


def test_library_route_is_used_when_present(setup: tuple[Path, Library]) -> None:
    root, lib = setup
    with lib:
        if callable(getattr(lib, "route", None)):
            router = library_router(lib)
            ids = router.route("Write beta into answer files", 2)
            assert ids and all(lib.store.has_id(i) for i in ids)
            exp = run_experiment(lib, root, runner=make_runner(f"command:{FOLLOWER}"),
                                 arms="none,routed")
            passed = {a.arm: a.tasks_passed for a in exp.analysis.arms}
            assert passed == {"none": 0, "routed": 3}  # the real router chose each right skill
            routed = exp.spec["arms"][1]["routed"]
            assert routed["write-beta"][0].endswith("/beta-writer")
        else:
            with pytest.raises(RouterUnavailableError, match="Library.route is missing"):
                run_experiment(lib, root, runner=make_runner("scripted:nothing"),
                               arms="none,routed")


class RoutingLibrary(Library):
    """A library whose route() returns result objects, as the router package does."""

    class Hit:
        def __init__(self, skill_id: str) -> None:
            self.id = skill_id

    class Results:
        def __init__(self, hits: list[Any]) -> None:
            self.results = hits

    def route(self, query: str, k: int = 5) -> Any:  # type: ignore[override]
        ids = word_router(self).route(query, k)
        return self.Results([self.Hit(i) for i in ids])


def test_library_router_adapts_result_objects(tmp_path: Path) -> None:
    with RoutingLibrary(tmp_path / "lib.db") as lib:
        lib.index([str(skill_folder(tmp_path, "gamma-writer",
                                    description="Writes gamma into answer files."))])
        assert library_router(lib).route("gamma please", 3) == [
            f"dir:{(tmp_path / 'gamma-writer').resolve()}"]
    bad = CallableRouter(lambda q, k: [42])
    with pytest.raises(EvalError, match="carries no skill id"):
        bad.route("q", 1)
    with pytest.raises(EvalError, match="not a list"):
        CallableRouter(lambda q, k: "alpha").route("q", 1)


def test_trigger_precision_recall(setup: tuple[Path, Library]) -> None:
    _, lib = setup
    with lib:
        cases = [
            TriggerCase("1", "please write alpha", True, ("alpha-writer",)),
            TriggerCase("2", "alpha answers needed", True, ("alpha-writer",)),
            TriggerCase("3", "write beta", True, ("beta-writer",)),
            TriggerCase("4", "beta", True, ("alpha-writer",)),  # the router will miss this
            TriggerCase("5", "alpha of the story", False, (), ("alpha-writer",)),
            TriggerCase("6", "nothing here", True, ("missing-skill",)),
        ]
        report = run_triggers(lib, cases, k=1, router=word_router(lib), source="inline")
        by = {s.skill.rsplit("/", 1)[-1]: s for s in report.skills}
        alpha, beta = by["alpha-writer"], by["beta-writer"]
        assert (alpha.tp, alpha.fp, alpha.fn, alpha.negative_hits) == (2, 1, 1, 1)
        assert alpha.precision == pytest.approx(2 / 3) and alpha.recall == pytest.approx(2 / 3)
        assert (beta.tp, beta.fp, beta.fn) == (1, 1, 0)
        assert report.skipped == 1 and report.cases == 5
        stored = load_triggers(lib, report.run_id)
        assert [s.__dict__ for s in stored.skills] == [s.__dict__ for s in report.skills]
        with pytest.raises(EvalError, match="k must be"):
            run_triggers(lib, cases, k=0, router=word_router(lib))


def test_abstaining_router_gives_no_skill_and_duplicates_count_as_hits(
        setup: tuple[Path, Library]) -> None:
    root, lib = setup
    with lib:
        ids = {s.name: s.id for s in lib.list()}

        def picky(query: str, k: int) -> dict[str, Any]:
            return {"abstain": "gamma" in query,
                    "results": [{"id": ids["alpha-writer"],
                                 "alternatives": [ids["beta-writer"]]}]}

        router = CallableRouter(picky)
        assert router.route("gamma", 1) == []
        assert CallableRouter(picky, respect_abstain=False).route("gamma", 1) == [
            ids["alpha-writer"]]
        exp = run_experiment(lib, root, runner=make_runner(f"command:{FOLLOWER}"),
                             arms="routed", router=router)
        by = {t.task_id: t for t in exp.trials}
        assert by["write-gamma"].detail["visible"] == [] and not by["write-gamma"].passed
        assert by["write-alpha"].passed
        report = run_triggers(lib, [TriggerCase("1", "q", True, ("beta-writer",))], k=1,
                              router=router, store=False)
        (beta,) = report.skills
        assert (beta.tp, beta.fn) == (1, 0)
