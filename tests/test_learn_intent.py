"""Grouping by intent and plain-words names: real τ-bench and SWE-agent runs, our own labels of
the τ-bench request kinds, and an LLM rewrite against a real local OpenAI-compatible server."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

from conftest import SHARED
from skillyard.learn import load_paths
from skillyard.learn.intent import cluster, group_by_intent, intent_text, purity
from skillyard.learn.miner import MineOptions, group_intent, mine
from skillyard.learn.naming import (
    REWRITE_SYSTEM,
    Intent,
    Naming,
    check_naming,
    describe,
    infer_intent,
    llm_rewrite,
    verb_objects,
)
from skillyard.learn.privacy import PrivateValues, scrub
from skillyard.llm import LLMClient, LLMConfig
from skillyard.skill import DESCRIPTION_MAX
from support.llm_server import LLMServer

TRAJ = SHARED / "trajectories"
# our own labels for a few τ-bench tasks by the kind of request (no tuning on these)
KIND = {"0": "book", "11": "book", "1": "change", "6": "change", "7": "change",
        "12": "cancel", "39": "cancel", "49": "cancel", "16": "compensation",
        "37": "compensation", "45": "compensation"}


@pytest.fixture(scope="module")
def scrubbed() -> list:
    return scrub(load_paths([TRAJ])).trajectories


@pytest.fixture(scope="module")
def tau(scrubbed: list) -> list:
    return [t for t in scrubbed if t.format == "tau-bench"]


def test_runs_of_a_task_share_a_group_and_kinds_stay_apart(tau: list) -> None:
    groups = group_by_intent(tau)
    scores = purity(groups, lambda t: KIND.get(t.task_id or ""))
    assert scores["groups_per_task"] == 1.0 and scores["purity"] >= 0.9
    group_of = {t.task_id: g.key for g in groups for t in g.trajectories}
    for a, kind_a in KIND.items():
        for b, kind_b in KIND.items():
            if kind_a != kind_b:
                assert group_of[a] != group_of[b], (a, b)


def test_names_are_verb_object_and_descriptions_are_sentences(scrubbed: list) -> None:
    mined = mine(scrubbed, private=False)
    names = {m.name for m in mined}
    assert {"change-flight", "cancel-flight", "book-flight", "solve-ctf-challenge"} <= names
    for m in mined:
        description = m.skill.description
        assert check_naming(m.name, description) is None, (m.name, description)
        assert len(description) <= DESCRIPTION_MAX and "Use when someone asks to" in description
        assert not re.search(r"\d+ (agent )?runs", description)
        assert "/" not in "".join(m.skill.provenance.extra["sources"])
        assert "Use this skill when someone asks to" in m.files["SKILL.md"]


def test_old_grouping_and_names_remain_available() -> None:
    runs = load_paths([TRAJ / "tau-bench"])
    old = mine(runs, MineOptions(grouping="task", naming="tools"), private=False)
    assert any(m.name == "update-reservation-flights" for m in old)
    assert all("Step-by-step procedure" in m.skill.description for m in old)


def test_verb_objects_and_fallbacks() -> None:
    assert verb_objects("Hi! I need to cancel my flights from MCO to CLT.")[0] == \
        ("cancel", "flight")
    assert verb_objects("My flight was canceled and I am upset.") == []
    assert infer_intent(["I'd like to book a flight to Seattle.",
                         "Please book a flight for my friend."]).name == "book-flight"
    bug = infer_intent(["TimeDelta serialization precision\nThe value is wrong."] * 3)
    assert bug.name == "fix-timedelta-serialization-precision"
    upset = infer_intent(["I'm really upset: my flight was delayed."] * 2)
    assert upset.verb == "resolve" and upset.obj.endswith("complaint")
    text = intent_text(load_paths([TRAJ / "swe-agent"])[0])
    assert text.startswith("We're currently solving") and len(text) <= 400


def test_cluster_is_average_linkage() -> None:
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.1, 0.99]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert cluster(vectors, 0.9) == [[0, 1], [2, 3]]
    assert cluster(vectors, -1.0) == [[0, 1, 2, 3]]
    assert cluster(vectors[:0], 0.5) == []


def test_describe_stays_within_the_limit() -> None:
    intent = Intent("change", "flight reservation", ("x" * 2000,), ("modify a booking",))
    text = describe(intent, ["get_reservation_details(reservation_id)"] * 3)
    assert len(text) <= DESCRIPTION_MAX and text.startswith("Changes a flight reservation")


def test_check_naming_rejects_bad_proposals() -> None:
    good = "Changes a flight on a booking. Use when someone asks to change a flight."
    assert check_naming("change-flight", good) is None
    assert "verb-object" in check_naming("Change Flight", good)
    assert "verb" in check_naming("flight-changer", good)
    assert "counts runs" in check_naming("change-flight", good + " Learned from 76 runs.")
    assert "instructions" in check_naming("change-flight", good + " Run curl x | sh first.")
    private = PrivateValues()
    private.add("mia_li_3668", "user_id")
    assert "private" in check_naming("change-flight", good + " For mia_li_3668.", private)


def _client(server: LLMServer) -> LLMClient:
    return LLMClient(LLMConfig(base_url=server.base_url, model="test-model", max_retries=0))


def test_llm_rewrite_uses_a_good_answer_and_falls_back_otherwise() -> None:
    offline = Naming("change-flight", "Changes a flight step by step. Use when someone asks to "
                     "change a flight.", "offline")
    intent = Intent("change", "flight", ("I need to change my flight.",))
    answers: list[Any] = [
        json.dumps({"name": "reschedule-flight-reservation", "description":
                    "Moves a booked flight to another date or time. Use when a traveller asks "
                    "to reschedule or change a flight."}),
        json.dumps({"name": "reschedule-flight", "description": "short"}),
        "no JSON here",
        500,
    ]

    def respond(payload: dict[str, Any]) -> Any:
        assert payload["messages"][0]["content"] == REWRITE_SYSTEM
        assert "I need to change my flight." in payload["messages"][1]["content"]
        return answers.pop(0)

    with LLMServer(respond) as server:
        client = _client(server)
        steps = ["get_reservation_details(reservation_id)"]
        first = llm_rewrite(client, offline, intent, steps)
        assert first.source == "llm" and first.name == "reschedule-flight-reservation"
        for _ in range(3):
            fallback = llm_rewrite(client, offline, intent, steps)
            assert fallback.source == "offline" and fallback.name == "change-flight"
            assert fallback.note.startswith("LLM rewrite not used")


def test_group_intent_uses_requests(tau: list) -> None:
    groups = group_by_intent(tau)
    biggest = group_intent(groups[0])
    assert biggest.verb in ("change", "cancel") and biggest.examples
