"""A meeting's lifecycle: scheduled, moved, cancelled, completed; history is not news."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from connectors.errors import ConfigurationError
from tests.workflows.rules.builders import BERLIN, NEW_YORK, event, guest
from workflows.rules.lifecycle import (
    Action,
    EffectPlan,
    KnownMeeting,
    MeetingStatus,
    completion_due,
    decide_lifecycle,
    effects_for,
    is_history,
)

START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=30)
JANE = guest("jane@acme.com")
SCHEDULED = KnownMeeting(MeetingStatus.SCHEDULED, START, END)


def test_a_meeting_completes_fifteen_minutes_after_its_end() -> None:
    due = completion_due(END)
    assert due == dt.datetime(2026, 11, 20, 15, 45, tzinfo=dt.UTC)
    assert completion_due(END, dt.timedelta(minutes=5)) == END + dt.timedelta(minutes=5)


def test_every_decision_says_why_with_its_status_and_due_time() -> None:
    cancelled = dataclasses.replace(event(attendees=(JANE,)), status="cancelled")
    declined = event(attendees=(guest("jane@acme.com", status="declined"),))
    moved = event(start=START + dt.timedelta(days=1), attendees=(JANE,))
    done = KnownMeeting(MeetingStatus.COMPLETED, START, END)
    next_day = END + dt.timedelta(days=1)
    cases = [
        (event(attendees=(JANE,)), None, True, "scheduled", MeetingStatus.SCHEDULED, END),
        (moved, SCHEDULED, True, "the event moved", MeetingStatus.SCHEDULED, next_day),
        (event(attendees=(JANE,)), SCHEDULED, True, "unchanged", MeetingStatus.SCHEDULED, END),
        (moved, done, True, "already Completed", MeetingStatus.COMPLETED, None),
        (cancelled, SCHEDULED, True,
         "the event was cancelled or deleted", MeetingStatus.CANCELLED, None),
        (declined, SCHEDULED, True, "the contact declined", MeetingStatus.CANCELLED, None),
        (event(attendees=(JANE,)), SCHEDULED, False,
         "the event is no longer an informational interview", MeetingStatus.CANCELLED, None),
        (event(attendees=(JANE,), end=None), SCHEDULED, True,
         "the event no longer has a usable start and end time", MeetingStatus.CANCELLED, None),
    ]  # fmt: skip
    grace = dt.timedelta(minutes=5)
    for e, known, qualifies, reason, status, end in cases:
        decision = decide_lifecycle(
            e, known=known, contact_emails=["jane@acme.com"], still_qualifies=qualifies, grace=grace
        )
        assert (decision.reason, decision.status) == (reason, status)
        assert decision.due_at == (end + grace if end else None), reason


def test_a_meeting_end_without_an_offset_is_refused_with_what_to_write() -> None:
    with pytest.raises(ConfigurationError, match="meeting end 2026-11-20T15:30:00 has no UTC"):
        completion_due(END.replace(tzinfo=None))


def test_a_new_meeting_is_scheduled_with_its_completion_time() -> None:
    decision = decide_lifecycle(
        event(attendees=(JANE,)), known=None, contact_emails=["jane@acme.com"]
    )
    assert decision.action is Action.SCHEDULE and decision.status is MeetingStatus.SCHEDULED
    assert decision.due_at == END + dt.timedelta(minutes=15)


def test_a_moved_meeting_is_retimed() -> None:
    moved = event(start=START + dt.timedelta(days=1), attendees=(JANE,))
    decision = decide_lifecycle(moved, known=SCHEDULED, contact_emails=["jane@acme.com"])
    assert decision.action is Action.RETIME
    assert decision.due_at == END + dt.timedelta(days=1, minutes=15)


def test_the_same_times_in_another_offset_are_not_a_move() -> None:
    same = event(start=START.astimezone(BERLIN), attendees=(JANE,))
    assert decide_lifecycle(same, known=SCHEDULED).action is Action.UNCHANGED


def test_a_contact_declining_under_another_spelling_of_their_address_cancels() -> None:
    for contact, declined_as in (
        ("jane.doe@gmail.com", "Jane.Doe+work+coffee@GoogleMail.com."),
        ("jane@acme.com", "JANE@acme.com."),
    ):
        e = event(attendees=(guest(declined_as, status="declined"),))
        decision = decide_lifecycle(e, known=SCHEDULED, contact_emails=[contact])
        assert decision.action is Action.CANCEL, declined_as
        assert decision.reason == "the contact declined"
    other = event(attendees=(guest("jane+x@acme.com", status="declined"),))
    assert decide_lifecycle(other, known=SCHEDULED, contact_emails=["jane@acme.com"]).action is (
        Action.UNCHANGED
    )


def test_cancelled_deleted_or_declined_by_the_contact_before_completion_is_cancelled() -> None:
    cancelled = dataclasses.replace(event(attendees=(JANE,)), status="cancelled")
    declined = event(attendees=(guest("JANE@acme.com", status="declined"),))
    for e in (cancelled, declined):
        decision = decide_lifecycle(e, known=SCHEDULED, contact_emails=["jane@acme.com"])
        assert decision.action is Action.CANCEL and decision.status is MeetingStatus.CANCELLED
        assert decision.due_at is None
    lost = decide_lifecycle(event(attendees=(JANE,)), known=SCHEDULED, still_qualifies=False)
    assert lost.action is Action.CANCEL and "no longer" in lost.reason


def test_a_completed_meeting_keeps_its_effects_whatever_happens_later() -> None:
    done = KnownMeeting(MeetingStatus.COMPLETED, START, END)
    cancelled = dataclasses.replace(event(attendees=(JANE,)), status="cancelled")
    for e in (cancelled, event(start=START + dt.timedelta(days=2), attendees=(JANE,))):
        decision = decide_lifecycle(e, known=done, contact_emails=["jane@acme.com"])
        assert decision.action is Action.SETTLED and decision.status is MeetingStatus.COMPLETED


def test_a_settled_meeting_says_what_it_already_is() -> None:
    cancelled = dataclasses.replace(event(attendees=(JANE,)), status="cancelled")
    for status in (MeetingStatus.COMPLETED, MeetingStatus.CANCELLED):
        known = KnownMeeting(status, START, END)
        decision = decide_lifecycle(cancelled, known=known, contact_emails=["jane@acme.com"])
        assert (decision.action, decision.reason) == (Action.SETTLED, f"already {status}")


def test_a_cancelled_meeting_that_comes_back_is_scheduled_again() -> None:
    was_cancelled = KnownMeeting(MeetingStatus.CANCELLED, START, END)
    decision = decide_lifecycle(event(attendees=(JANE,)), known=was_cancelled)
    assert decision.action is Action.SCHEDULE
    still = decide_lifecycle(dataclasses.replace(event(), status="cancelled"), known=was_cancelled)
    assert still.action is Action.SETTLED


def test_history_on_first_sync_gets_no_draft_or_follow_ups() -> None:
    first_sync = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    last_spring = dt.datetime(2026, 4, 2, 16, 0, tzinfo=dt.UTC)
    yesterday = first_sync - dt.timedelta(days=1)
    assert is_history(last_spring, first_sync_at=first_sync)
    assert not is_history(yesterday, first_sync_at=first_sync)
    assert not is_history(first_sync - dt.timedelta(days=3), first_sync_at=first_sync)
    assert is_history(first_sync - dt.timedelta(days=3, seconds=1), first_sync_at=first_sync)
    assert is_history(yesterday, first_sync_at=first_sync, history_days=0)
    assert effects_for(last_spring, first_sync_at=first_sync) == EffectPlan(
        record_meeting=True, update_contact=True, draft=False, thank_you=False, action_items=False
    )
    assert effects_for(yesterday, first_sync_at=first_sync) == EffectPlan()


def test_a_week_late_is_still_owed_after_the_first_sync() -> None:
    first_sync = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    laptop_closed_for_a_week = dt.datetime(2026, 11, 14, 12, 0, tzinfo=dt.UTC)
    assert effects_for(laptop_closed_for_a_week, first_sync_at=first_sync).draft


def test_an_event_that_lost_its_times_is_cancelled_not_crashed() -> None:
    no_end = event(attendees=(JANE,), end=None)
    decision = decide_lifecycle(no_end, known=SCHEDULED)
    assert decision.action is Action.CANCEL and "start and end" in decision.reason


def test_a_meeting_moved_into_an_unrepresentable_year_is_cancelled_not_crashed() -> None:
    # Given a scheduled meeting whose event now ends minutes before the year 10000
    last = dt.datetime(9999, 12, 31, 23, 55, tzinfo=dt.UTC)
    placeholder = event(attendees=(JANE,), start=last - dt.timedelta(hours=1), end=last)

    # Then its meeting is cancelled (end plus grace would overflow), and a new one is ignored
    decision = decide_lifecycle(placeholder, known=SCHEDULED)
    assert decision.action is Action.CANCEL and "usable start and end" in decision.reason
    assert decide_lifecycle(placeholder, known=None).due_at is None


def test_across_the_autumn_dst_change_completion_follows_the_absolute_end() -> None:
    # Given 01:30 EDT to 01:15 EST on 2026-11-01, in New York time as the connector reads it
    start = dt.datetime.fromisoformat("2026-11-01T01:30:00-04:00").astimezone(NEW_YORK)
    end = dt.datetime.fromisoformat("2026-11-01T01:15:00-05:00").astimezone(NEW_YORK)
    night = event(attendees=(JANE,), start=start, end=end)

    # Then it is scheduled to complete at 01:30 EST (06:30 UTC), 45 minutes after it began
    decision = decide_lifecycle(night, known=None)
    assert decision.action is Action.SCHEDULE
    assert decision.due_at == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    # and the stored UTC times of the same meeting are no move
    stored = KnownMeeting(MeetingStatus.SCHEDULED, start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    assert decide_lifecycle(night, known=stored).action is Action.UNCHANGED


def test_a_meeting_moved_by_its_start_alone_is_retimed_and_completes_as_before() -> None:
    earlier = event(start=START - dt.timedelta(minutes=20), minutes=50, attendees=(JANE,))
    assert earlier.end == END
    decision = decide_lifecycle(earlier, known=SCHEDULED, contact_emails=["jane@acme.com"])
    assert decision.action is Action.RETIME
    assert decision.due_at == END + dt.timedelta(minutes=15)
