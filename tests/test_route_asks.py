"""A long request that asks for no work is abstained on (route/asks.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route.asks import asks_for_work
from skillyard.route.router import RouteIndex, Router
from skillyard.route.settings import RouteSettings

STORY = (
    "My grandmother turned ninety last weekend and the whole family drove up to the lake "
    "house for the party. My cousins brought their kids, my uncle grilled far too much "
    "fish, and we stayed up late looking at old photo albums from the seventies. She told "
    "the story of how she met my grandfather at a dance hall in Porto, which none of us "
    "had heard in full before. It rained on Sunday, so we played cards all afternoon and "
    "she beat everyone twice. I drove home tired but happy, and honestly a bit sad that "
    "these weekends are getting rarer as everyone moves further away."
)
TASK = (
    "Our team keeps a Python service for invoices in services/billing, and the test suite "
    "has grown slow and flaky over the last year, with about 40 of 900 tests failing now "
    "and then on the CI runners but never locally. The failures cluster around the date "
    "handling in the monthly statement code and the mocked payment gateway. Find out which "
    "tests are flaky and why, fix the ones that come from shared state between tests, and "
    "write a short report of the rest with what each would need."
)


def test_instructions_and_request_phrases_ask_for_work() -> None:
    assert asks_for_work(TASK)
    assert asks_for_work("Some background first.\n\n- review each module\n- then ship")
    assert asks_for_work("We\u2019d like to know where the reports cluster.")
    assert asks_for_work("You need to calculate the mass of the part.")
    assert asks_for_work("The export is attached; so summarize it for the board")
    # a problem report asks without saying so
    assert asks_for_work("The nightly export fails on invoices dated before 1900. "
                         "Expected output: one row per invoice, in date order.")


def test_a_story_asks_for_nothing() -> None:
    assert not asks_for_work(STORY)
    assert not asks_for_work("")
    assert not asks_for_work("\n" * 10_000 + " " * 10_000)  # no scan ahead from each line


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_with_an_instruction_asks(text: str) -> None:
    assert isinstance(asks_for_work(text), bool)
    assert asks_for_work(f"{text}\nPlease summarize this.")
    assert asks_for_work(f"{text}. Write a summary of it.")


def test_a_long_story_is_abstained_on_and_a_long_task_is_not(
        sample_route_index: RouteIndex) -> None:
    router = Router(sample_route_index)
    story = router.route(STORY, k=3, explain=True)
    assert story.abstain
    assert any(note.startswith("abstained: a long request that asks for no work")
               for note in story.notes)
    assert story.results  # abstaining still shows the closest skills
    task = router.route(TASK, k=3, explain=True)
    assert not any(note.startswith("abstained: a long request") for note in task.notes)
    assert not task.abstain
    off = Router(sample_route_index, settings=RouteSettings(abstain_without_ask=False))
    unjudged = off.route(STORY, k=3, explain=True)
    assert not unjudged.abstain  # the confidence alone does not see it: the story is long
    assert not any(note.startswith("abstained: a long request") for note in unjudged.notes)


def test_a_short_request_is_judged_by_its_confidence_alone(
        sample_route_index: RouteIndex) -> None:
    short = "my grandmother turned ninety last weekend"
    on = Router(sample_route_index).route(short, k=3)
    off = Router(sample_route_index, settings=RouteSettings(abstain_without_ask=False)).route(
        short, k=3)
    assert on.abstain == off.abstain
