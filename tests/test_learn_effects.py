"""Names from what the runs change (their write actions), and no glued names like
``change-manage``: synthetic runs for each rule, then the real τ-bench and SWE-agent runs."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import SHARED
from skillyard.learn import load_paths
from skillyard.learn.effects import (
    agrees,
    effect_intent,
    effect_of,
    effects,
    main_effect,
    name_problem,
)
from skillyard.learn.miner import mine
from skillyard.learn.model import Step, ToolCall, Trajectory
from skillyard.learn.naming import check_naming, infer_intent, verb_objects
from skillyard.learn.privacy import scrub


def _run(n: int, request: str, tools: list[str], outcome: str = "success") -> Trajectory:
    steps = [Step("user", request)]
    for i, tool in enumerate(tools):
        steps.append(Step("assistant", "", (ToolCall(tool, {"reservation_id": "<id>"},
                                                     f"c{n}{i}"),)))
        steps.append(Step("tool", "ok", tool_call_id=f"c{n}{i}"))
    return Trajectory(f"r#{n}", f"r.json#{n}", "test", request, tuple(steps),
                      outcome, task_id=str(n))  # type: ignore[arg-type]


def test_write_tools_are_effects_and_reads_are_not() -> None:
    assert effect_of("cancel_reservation") == ("cancel", "cancel", "reservation")
    assert effect_of("update_reservation_baggages") == ("change", "update",
                                                        "reservation baggage")
    assert effect_of("bookReservation") == ("create", "book", "reservation")
    assert effect_of("send_certificate") == ("send", "send", "certificate")
    for read in ("get_user_details", "search_direct_flight", "think", "calculate",
                 "transfer_to_human_agents", "list_all_airports", "open", "Bash:pytest"):
        assert effect_of(read) is None, read


def test_a_request_verb_the_runs_do_not_carry_out_gives_way_to_the_effect() -> None:
    runs = [_run(n, "Can you check my flight? I no longer need it.",
                 ["get_user_details", "get_reservation_details", "cancel_reservation"])
            for n in range(4)]
    intent = infer_intent([r.task for r in runs])
    assert intent.verb == "check"
    assert not agrees(intent, runs)
    named = effect_intent(intent, runs)
    assert named.name == "cancel-reservation"
    assert "check flight" in named.also  # the requester's words stay for "Use when"


def test_an_agreeing_request_verb_keeps_the_requesters_words() -> None:
    runs = [_run(n, "I need to cancel my flight please.",
                 ["get_reservation_details", "cancel_reservation"]) for n in range(3)]
    intent = infer_intent([r.task for r in runs])
    assert effect_intent(intent, runs).name == "cancel-flight"


def test_no_main_effect_keeps_the_request_name() -> None:
    reads = [_run(n, "Please check my balance.", ["get_user_details"]) for n in range(3)]
    mixed = [_run(n, "Please check my balance.",
                  ["get_user_details", "cancel_reservation" if n == 0 else "think"])
             for n in range(4)]
    intent = infer_intent([r.task for r in reads])
    assert effect_intent(intent, reads) == intent
    assert main_effect(mixed) is None and effects(mixed)[0].share == 0.25
    assert effect_intent(intent, mixed) == intent


def test_glued_names_are_rejected() -> None:
    assert name_problem("change-manage") is not None
    assert name_problem("change-manage-booking") is not None
    assert name_problem("cancel") is not None
    assert name_problem("cancel-reservation") is None
    desc = "Changes a booking step by step. Use when someone asks to change a booking."
    assert check_naming("change-manage-booking", desc) is not None
    assert check_naming("update-cancel-flight", desc) is not None
    assert check_naming("request-refund", desc) is None  # a noun that is also a verb
    # a verb right after the request verb does not become its object
    assert ("change", "booking") not in verb_objects("I want to change manage my booking")
    assert all(o.split(" ")[0] != "manage" for _v, o in verb_objects("change manage booking"))


@pytest.fixture(scope="module")
def mined() -> list:
    runs = scrub(load_paths([SHARED / "trajectories"])).trajectories
    return mine(runs, private=False)


def test_real_runs_names_read_as_verb_object(mined: list) -> None:
    names = [m.name for m in mined]
    assert len(names) == len(set(names))
    for m in mined:
        assert name_problem(m.name) is None, m.name
        assert check_naming(m.name, m.skill.description) is None, m.name
        assert not m.name.startswith(("transfer-to-human", "get-", "search-")), m.name
    # groups whose runs all cancel a reservation are named so, whatever the opening words
    for m in mined:
        wins = [t for t in m.group.trajectories if t.succeeded] or m.group.trajectories
        effect = main_effect(wins)
        if effect is not None and not agrees(infer_intent(m.group.requests or [
                t.task for t in m.group.trajectories]), wins):
            assert m.name.startswith(effect.verb), (m.name, effect)
    verbs = Counter(n.split("-")[0] for n in names)
    assert {"change", "cancel", "book", "fix", "solve"} <= set(verbs)


def test_a_second_group_making_the_same_change_keeps_its_request_name() -> None:
    from skillyard.learn.grouping import Group
    from skillyard.learn.miner import name_group

    runs = [_run(n, "Can you check my flight? I no longer need it.",
                 ["get_reservation_details", "cancel_reservation"]) for n in range(3)]
    group = Group("g", runs, ["flight"], requests=[r.task for r in runs])
    assert name_group(group, runs, set()) == "cancel-reservation"
    assert name_group(group, runs, {"cancel-reservation"}) == "check-flight"
