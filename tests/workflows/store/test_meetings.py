"""Meetings: one row per occurrence, re-timed while scheduled, completed or cancelled once."""

from __future__ import annotations

import datetime as dt

from connectors.records import Attendee, CalendarEvent
from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.meetings import (
    cancel_meeting,
    complete_meeting,
    event_from_json,
    get_event,
    get_meeting,
    meetings_for_event,
    replace_event,
    scheduled_meetings,
    upsert_meeting,
)

START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _meeting(db: Database, *, start: dt.datetime = START, account: str = "default") -> int:
    with db.transaction() as s:
        meeting = upsert_meeting(
            s,
            event_id="evt1",
            original_start=START,
            title="Coffee chat with Jane",
            start=start,
            end=start + HOUR / 2,
            account=account,
        )
        return meeting.id


def test_a_moved_meeting_is_re_timed_not_duplicated(db: Database) -> None:
    first = _meeting(db)
    again = _meeting(db, start=START + HOUR)
    with db.read() as s:
        meeting = get_meeting(s, "evt1", START)
        assert meeting is not None and meeting.start == START + HOUR
        assert len(meetings_for_event(s, "evt1")) == 1
    assert first == again


def test_concurrent_syncs_create_one_meeting(db: Database) -> None:
    ids = race(4, lambda _: _meeting(db))
    assert len(set(ids)) == 1


def test_a_completed_meeting_is_not_cancelled_or_re_timed(db: Database) -> None:
    _meeting(db)
    with db.transaction() as s:
        meeting = get_meeting(s, "evt1", START)
        assert meeting is not None
        assert complete_meeting(meeting, at=START + HOUR)
        assert not complete_meeting(meeting, at=START + 2 * HOUR)
        assert not cancel_meeting(meeting, at=START + 2 * HOUR)
    _meeting(db, start=START + 5 * HOUR)
    with db.read() as s:
        meeting = get_meeting(s, "evt1", START)
        assert meeting is not None
        assert (meeting.status, meeting.start) == ("completed", START)
        assert scheduled_meetings(s) == []


def test_scheduled_meetings_lists_what_waits_for_effects(db: Database) -> None:
    _meeting(db)
    with db.read() as s:
        assert [m.event_id for m in scheduled_meetings(s, ended_by=START + HOUR)] == ["evt1"]
        assert scheduled_meetings(s, ended_by=START) == []
        assert scheduled_meetings(s, account="other") == []


def test_an_event_round_trips_through_its_stored_copy(db: Database) -> None:
    event = CalendarEvent(
        id="evt1",
        status="confirmed",
        start=START,
        end=START + HOUR,
        attendees=(Attendee(email="jane@example.org", response_status="accepted"),),
        title="Coffee chat",
        updated=START - HOUR,
    )
    allday = CalendarEvent(id="evt2", status="confirmed", start=dt.date(2026, 3, 2), all_day=True)
    with db.transaction() as s:
        for seen in (event, allday, event):  # as the calendar sync stores each page's events
            replace_event(s, get_event(s, seen.id), seen)
            s.flush()
    with db.read() as s:
        stored = get_event(s, "evt1")
        stored_allday = get_event(s, "evt2")
        assert stored is not None and stored_allday is not None
        assert event_from_json(stored.data) == event
        assert event_from_json(stored_allday.data) == allday
        assert stored.original_start == START and stored_allday.original_start is None
