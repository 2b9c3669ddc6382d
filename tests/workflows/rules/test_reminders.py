"""Progress-update reminders: cadence, reset by meetings, and no wall of reminders."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import ConfigurationError
from workflows.rules.keys import update_key
from workflows.rules.reminders import (
    DueContact,
    after_meeting,
    after_progress_done,
    cadence_days,
    reminder_title,
    schedule_reminders,
)

NOV_20 = dt.date(2026, 11, 20)


def test_cadence_is_the_contacts_else_the_global_default() -> None:
    assert cadence_days(14) == 14
    assert cadence_days(None) == 30
    assert (cadence_days(1), cadence_days(3660)) == (1, 3660)  # daily to every ten years
    assert (cadence_days(0), cadence_days(3661)) == (30, 30)
    assert cadence_days(None, default=45) == 45
    for bad in (0, -5, float("nan"), float("inf"), True, 10**9):
        assert cadence_days(bad) == 30, bad  # type: ignore[arg-type]
    assert cadence_days(21.0) == 21


def test_a_meeting_resets_the_clock_and_moves_the_stage() -> None:
    update = after_meeting(
        stage="Scheduled", last_met=dt.date(2026, 9, 1), meeting_date=NOV_20, cadence=30
    )
    assert update.last_met == NOV_20
    assert update.next_update_due == dt.date(2026, 12, 20)
    assert update.stage == "Keeping in touch"


def test_an_inactive_contact_stays_inactive() -> None:
    update = after_meeting(stage="Inactive", last_met=None, meeting_date=NOV_20, cadence=30)
    assert update.stage == "Inactive"


def test_history_seen_late_never_moves_last_met_back() -> None:
    update = after_meeting(
        stage="Met", last_met=NOV_20, meeting_date=dt.date(2026, 4, 2), cadence=30
    )
    assert update.last_met == NOV_20 and update.next_update_due == dt.date(2026, 12, 20)


def test_a_done_progress_update_moves_the_next_one() -> None:
    assert after_progress_done(dt.date(2026, 12, 22), 30) == dt.date(2027, 1, 21)


def test_the_reminder_names_the_contact() -> None:
    assert reminder_title("Jane") == "Send Jane an update on your progress"
    assert reminder_title("") == "Send your contact an update on your progress"


def test_a_busy_week_of_interviews_does_not_become_a_wall_of_reminders() -> None:
    due = [DueContact(f"rec{i}", f"P{i}", dt.date(2026, 12, 20)) for i in range(7)]
    scheduled = schedule_reminders(due, per_day=3)
    assert [r.due.day for r in scheduled] == [20, 20, 20, 21, 21, 21, 22]
    assert [r.contact for r in scheduled] == [f"rec{i}" for i in range(7)]
    assert scheduled[6].key == update_key("rec6", dt.date(2026, 12, 20))  # the answered date
    assert scheduled[6].title == "Send P6 an update on your progress"


def test_days_already_holding_reminders_count_and_past_dates_move_to_today() -> None:
    due = [
        DueContact("recA", "A", dt.date(2026, 12, 1)),
        DueContact("recB", "B", dt.date(2026, 12, 1)),
    ]
    scheduled = schedule_reminders(
        due, per_day=2, not_before=dt.date(2026, 12, 10), occupied={dt.date(2026, 12, 10): 1}
    )
    assert [r.due for r in scheduled] == [dt.date(2026, 12, 10), dt.date(2026, 12, 11)]


def test_a_zero_per_day_limit_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="at least 1"):
        schedule_reminders([], per_day=0)


# --- properties -------------------------------------------------------------------------------

due_contacts = st.lists(
    st.builds(
        DueContact,
        contact=st.text(alphabet="abcdef0123", min_size=1, max_size=6),
        first_name=st.sampled_from(["Jane", "\u05e9\u05e8\u05d4", "\U0001f600", ""]),
        next_update_due=st.dates(dt.date(2026, 12, 1), dt.date(2026, 12, 15)),
    ),
    max_size=40,
)
occupied_days = st.dictionaries(
    st.dates(dt.date(2026, 12, 1), dt.date(2026, 12, 20)), st.integers(0, 3), max_size=5
)


@given(
    due_contacts,
    st.integers(1, 5),
    occupied_days,
    st.none() | st.dates(dt.date(2026, 12, 1), dt.date(2026, 12, 20)),
)
def test_scheduling_never_exceeds_the_limit_loses_nothing_and_keeps_order(
    due: list[DueContact], per_day: int, occupied: dict[dt.date, int], not_before: dt.date | None
) -> None:
    scheduled = schedule_reminders(due, per_day=per_day, occupied=occupied, not_before=not_before)
    # Never more than N on a day, counting those already there.
    load = Counter(r.due for r in scheduled)
    for day, count in load.items():
        assert count + occupied.get(day, 0) <= per_day
    # Nothing lost, nothing doubled.
    assert Counter((r.contact, r.next_update_due) for r in scheduled) == Counter(
        (d.contact, d.next_update_due) for d in due
    )
    # Order kept: by due date, ties in input order, days never decreasing.
    expected = sorted(range(len(due)), key=lambda i: (due[i].next_update_due, i))
    assert [(r.contact, r.next_update_due) for r in scheduled] == [
        (due[i].contact, due[i].next_update_due) for i in expected
    ]
    assert all(a.due <= b.due for a, b in itertools.pairwise(scheduled))
    # Never earlier than due (or than not_before).
    for r in scheduled:
        assert r.due >= r.next_update_due and (not_before is None or r.due >= not_before)


@given(due_contacts, st.integers(1, 5))
def test_scheduling_is_deterministic(due: list[DueContact], per_day: int) -> None:
    assert schedule_reminders(due, per_day=per_day) == schedule_reminders(
        list(due), per_day=per_day
    )


def test_a_milestone_brings_the_next_update_within_two_days_never_later() -> None:
    today = dt.date(2026, 3, 5)
    # News today: an update due in two weeks comes in two days
    assert brought_forward(dt.date(2026, 3, 16), news_on=today, today=today) == dt.date(2026, 3, 7)
    # News from last week counts from today; undated news is today's
    assert brought_forward(dt.date(2026, 3, 16), news_on=dt.date(2026, 2, 26), today=today) == (
        dt.date(2026, 3, 7)
    )
    assert brought_forward(dt.date(2026, 3, 16), news_on=None, today=today) == dt.date(2026, 3, 7)
    # An update already that soon, or a later milestone's, never moves later
    assert brought_forward(dt.date(2026, 3, 6), news_on=today, today=today) is None
    assert brought_forward(dt.date(2026, 3, 16), news_on=dt.date(2026, 4, 20), today=today) is None
    # A contact no update is kept for (never met) gets none from a milestone
    assert brought_forward(None, news_on=today, today=today) is None
