"""Idempotency keys are deterministic and independent of how an instant is written."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.workflows.rules.builders import BERLIN, event
from workflows.rules.keys import (
    action_key,
    draft_key,
    message_id,
    normalize_todo,
    occurrence_start,
    thank_you_key,
    update_key,
)

START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_a_key_names_its_instant_in_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        key = draft_key("evt1", START.astimezone(BERLIN))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert key == draft_key("evt1", START) and "2026-11-20T15:00:00Z" in key


def test_a_naive_instant_is_refused_and_named() -> None:
    with pytest.raises(ValueError, match="naive datetime 2026-11-20T15:00:00 cannot be part"):
        draft_key("evt1", START.replace(tzinfo=None))


def test_a_promise_is_compared_by_its_words_whatever_their_case_and_spacing() -> None:
    assert normalize_todo("  Send   my\tCV ") == "send my cv"


def test_keys_have_the_agreed_shapes() -> None:
    assert thank_you_key("evt1", START) == "thank-you:evt1:2026-11-20T15:00:00Z"
    assert draft_key("evt1", START) == "draft:evt1:2026-11-20T15:00:00Z"
    assert action_key("evt1", START, "send CV").startswith("action:evt1:2026-11-20T15:00:00Z:")
    assert len(action_key("evt1", START, "send CV").rsplit(":", 1)[1]) == 12
    assert update_key("recA", dt.date(2026, 12, 20)) == "update:recA:2026-12-20"


def test_the_same_instant_in_another_offset_gives_the_same_key() -> None:
    assert thank_you_key("evt1", START.astimezone(BERLIN)) == thank_you_key("evt1", START)


def test_a_promise_reworded_only_in_case_or_spacing_keeps_its_key() -> None:
    assert action_key("e", START, "Send  my CV ") == action_key("e", START, "send my cv")
    assert action_key("e", START, "send my CV") != action_key("e", START, "send my portfolio")


def test_message_ids_are_stable_and_distinct_per_key() -> None:
    first = message_id("draft:evt1:2026-11-20T15:00:00Z")
    assert first == message_id("draft:evt1:2026-11-20T15:00:00Z")
    assert first != message_id("draft:evt2:2026-11-20T15:00:00Z")
    assert first.startswith("<") and first.endswith("@followthrough.local>")
    assert len(first) == len("<@followthrough.local>") + 32


def test_an_instance_of_a_series_is_identified_by_its_original_start() -> None:
    moved = event(
        id="series_20261120T150000Z",
        recurring_event_id="series",
        start=START + dt.timedelta(hours=2),
        original_start=START,
    )
    assert occurrence_start(moved) == START
    assert occurrence_start(event(start=START)) == START
