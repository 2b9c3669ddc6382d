"""When a cancelled interview counts as replaced, and what its Reschedule follow-up says."""

from __future__ import annotations

import datetime as dt

from workflows.rules.reschedule import replaced, reschedule_title

CANCELLED = dt.datetime(2026, 3, 3, 17, tzinfo=dt.UTC)


def test_a_meeting_with_them_after_the_cancellation_replaces_it() -> None:
    assert replaced(CANCELLED, [CANCELLED + dt.timedelta(days=7)])
    assert replaced(CANCELLED, [CANCELLED - dt.timedelta(hours=20)])  # booked the same day


def test_only_meetings_long_before_the_cancellation_leave_it_unreplaced() -> None:
    assert not replaced(CANCELLED, [])
    assert not replaced(CANCELLED, [CANCELLED - dt.timedelta(days=30)])


def test_the_follow_up_names_them_and_the_day_that_was_cancelled() -> None:
    assert reschedule_title("Ada", dt.date(2026, 3, 5)) == (
        "Offer Ada a new time: your conversation on Thursday, March 5 was cancelled"
    )
    assert reschedule_title("", dt.date(2026, 3, 5)).startswith("Offer them a new time")
