"""Procedures as cases: the successful runs that carried the request out and those that could
not (handed off or refused) are mined apart, so the write step stays a required step."""

from __future__ import annotations

from conftest import SHARED
from skillyard.learn import load_paths
from skillyard.learn.cases import split_cases
from skillyard.learn.graph import GraphParams
from skillyard.learn.grouping import Group
from skillyard.learn.miner import MineOptions, mine, mine_group
from skillyard.learn.model import Step, ToolCall, Trajectory
from skillyard.learn.naming import infer_intent
from skillyard.learn.privacy import scrub

REQUEST = "Hi, I need to cancel my flight please."
DONE = ["get_user_details", "get_reservation_details", "cancel_reservation"]
HANDED = ["get_reservation_details", "transfer_to_human_agents"]


def _run(n: int, tools: list[str], request: str = REQUEST) -> Trajectory:
    steps = [Step("user", request)]
    for i, tool in enumerate(tools):
        steps.append(Step("assistant", "", (ToolCall(tool, {"reservation_id": "<id>"},
                                                     f"c{n}{i}"),)))
        steps.append(Step("tool", "ok", tool_call_id=f"c{n}{i}"))
    return Trajectory(f"r#{n}", f"r.json#{n}", "test", request, tuple(steps),
                      "success", task_id=str(n))


def _procedure(md: str) -> str:
    return md.split("## Procedure", 1)[1].split("\n## ", 1)[0]


def test_runs_that_cancel_and_runs_that_hand_off_become_two_cases() -> None:
    runs = [_run(n, DONE) for n in range(3)] + [_run(n, HANDED) for n in range(3, 8)]
    group = Group("g1", runs, ["cancel", "flight"])
    mined = mine_group(group, "cancel-flight")
    assert mined is not None
    assert [len(c.runs) for c in mined.cases] == [3, 5]
    procedure = _procedure(mined.files["SKILL.md"])
    done, other = procedure.split("### When it cannot be carried out as asked")
    assert "### When the request can be carried out" in done
    # the write step only 3 of 8 runs made is a numbered, required step of the first case
    assert "3. `cancel_reservation(reservation_id)`" in done
    assert "`transfer_to_human_agents" in other and "cancel_reservation(" not in other
    assert "handed the request to a person" in other
    # one procedure, as before, without cases
    plain = mine_group(group, "cancel-flight", MineOptions(cases=False))
    assert plain is not None and not plain.cases
    assert "###" not in _procedure(plain.files["SKILL.md"])
    assert "3. `cancel_reservation" not in plain.files["SKILL.md"]


def test_no_cases_when_every_run_carries_it_out_or_too_few_do_not() -> None:
    intent = infer_intent([REQUEST])
    params = GraphParams()
    assert split_cases(intent, [_run(n, DONE) for n in range(5)], params, 0.2) == []
    one_handed = [_run(n, DONE) for n in range(4)] + [_run(9, HANDED)]
    assert split_cases(intent, one_handed, params, 0.2) == []
    # different writes that both carry the request out stay one case (a choice)
    refunds = [_run(n, ["get_order", "refund_card" if n % 2 else "issue_credit"],
                    "Please refund my damaged parcel.") for n in range(6)]
    assert split_cases(infer_intent(["Please refund my damaged parcel."]), refunds, params,
                       0.2) == []
    # a request verb that asks for no write the runs make: no cases
    checks = [_run(n, DONE if n < 3 else HANDED, "Can you check my balance?")
              for n in range(6)]
    assert split_cases(infer_intent(["Can you check my balance?"]), checks, params, 0.2) == []


def test_tau_bench_cancel_skill_requires_the_cancel_step() -> None:
    runs = scrub(load_paths([str(SHARED / "trajectories" / "tau-bench")])).trajectories
    mined = {m.name: m for m in mine(runs, private=False)}
    cancel = next(m for name, m in mined.items() if name.startswith("cancel-"))
    assert cancel.cases, "the cancel group mixes cancelled and handed-off runs"
    done = _procedure(cancel.files["SKILL.md"]).split("### When it cannot")[0]
    assert "`cancel_reservation(reservation_id)`" in done
