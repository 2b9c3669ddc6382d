"""Each account's poll moments: evenly spread, never more than an interval apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workflows.rules.polling import next_poll, per_tick, phases


def test_accounts_take_evenly_spaced_places_that_depend_on_their_names_only() -> None:
    names = [f"seeker-{i}" for i in range(8)]
    places = phases(names)
    assert sorted(places.values()) == [i / 8 for i in range(8)]
    assert phases(reversed(names)) == places  # a new leader finds the same places


def test_a_never_polled_account_is_due_at_once_and_a_polled_one_at_its_moment() -> None:
    assert next_poll(None, 0.25, 60) < 0
    assert next_poll(1000.0, 0.25, 60) == 1035.0  # its moments are at 15 s past each minute
    assert next_poll(1035.5, 0.25, 60, slack=2) == 1095.0  # sent a tick late: no second poll


@given(
    last=st.floats(0, 1e9),
    phase=st.floats(0, 0.999),
    every=st.floats(1, 86_400),
    slack_share=st.floats(0, 0.25),
)
def test_the_next_poll_is_never_more_than_an_interval_and_the_slack_away(
    last: float, phase: float, every: float, slack_share: float
) -> None:
    slack = slack_share * every
    due = next_poll(last, phase, every, slack)
    assert last + slack < due + 1e-6
    assert due <= last + slack + every + 1e-6


def test_a_tick_sends_at_most_twice_its_share_and_always_ten() -> None:
    assert per_tick(dict.fromkeys(map(str, range(1000)), 300.0), 2.0) == 14
    assert per_tick({"one": 3600.0, "two": 3600.0}, 2.0) == 10
