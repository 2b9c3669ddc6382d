"""Calendar events as last seen, and meetings (informational interviews) with their lifecycle.

    save_event(s, event)                       # the sync's copy of each event (normalized JSON)
    meeting = upsert_meeting(s, event_id=..., original_start=..., title=..., start=..., end=...)
    complete_meeting(meeting, at=now)         # scheduled -> completed (once)
    cancel_meeting(meeting, at=now)           # scheduled -> cancelled (completed ones stay)

A meeting is one occurrence: unique per account on (event id, original start). A moved
meeting is re-timed while scheduled; a completed or cancelled one keeps its times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.records import Attendee, CalendarEvent
from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import Event, Meeting
from workflows.store.sql import insert_ignore

_DATE_FIELDS = ("start", "end", "original_start", "updated")
_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(CalendarEvent))
_ATTENDEE_FIELDS = tuple(f.name for f in dataclasses.fields(Attendee))


def replace_event(
    session: Session,
    row: Event | None,
    event: CalendarEvent,
    *,
    calendar_id: str = "primary",
    account: str = DEFAULT_ACCOUNT,
) -> Event:
    """Store the event in `row`, its stored copy (None: a new one is added); not flushed."""
    if row is None:
        row = Event(account=account, calendar_id=calendar_id, event_id=event.id)
        session.add(row)
    for name, value in event_values(event).items():
        setattr(row, name, value)
    return row


def event_values(event: CalendarEvent) -> dict[str, Any]:
    """The stored columns of an event (besides its account, calendar and id)."""
    original = event.original_start or event.start
    return {
        "original_start": original if isinstance(original, dt.datetime) else None,
        "status": event.status,
        "updated": event.updated,
        "data": event_to_json(event),
        "synced_at": utcnow(),
    }


def insert_events(
    session: Session,
    events: Iterable[CalendarEvent],
    *,
    calendar_id: str = "primary",
    account: str = DEFAULT_ACCOUNT,
) -> None:
    """Store events seen for the first time, in one statement (none may be stored already)."""
    rows = [
        {"account": account, "calendar_id": calendar_id, "event_id": e.id, **event_values(e)}
        for e in events
    ]
    if rows:
        session.execute(sa.insert(Event), rows)


def stored_events(
    session: Session,
    event_ids: Iterable[str],
    *,
    calendar_id: str = "primary",
    account: str = DEFAULT_ACCOUNT,
) -> dict[str, Event]:
    """The stored copies of these events by id, read in a few queries (for a whole page)."""
    found: dict[str, Event] = {}
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        query = sa.select(Event).where(
            Event.account == account,
            Event.calendar_id == calendar_id,
            Event.event_id.in_(chunk),
        )
        found.update((row.event_id, row) for row in session.execute(query).scalars())
    return found


def meetings_by_event(
    session: Session, event_ids: Iterable[str], *, account: str = DEFAULT_ACCOUNT
) -> dict[str, list[Meeting]]:
    """Every meeting of each event id (an empty list for none), read in a few queries."""
    ids = list(dict.fromkeys(event_ids))
    found: dict[str, list[Meeting]] = {event_id: [] for event_id in ids}
    for chunk in _chunks(ids):
        query = sa.select(Meeting).where(Meeting.account == account, Meeting.event_id.in_(chunk))
        for meeting in session.execute(query.order_by(Meeting.original_start)).scalars():
            found[meeting.event_id].append(meeting)
    return found


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for any backend's limit on bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def get_event(
    session: Session,
    event_id: str,
    *,
    calendar_id: str = "primary",
    account: str = DEFAULT_ACCOUNT,
) -> Event | None:
    """The stored copy of an event, if the sync has seen it."""
    query = sa.select(Event).where(
        Event.account == account, Event.calendar_id == calendar_id, Event.event_id == event_id
    )
    return session.execute(query).scalar_one_or_none()


def invited_emails(
    session: Session, event_id: str, *, calendar_id: str, account: str = DEFAULT_ACCOUNT
) -> tuple[str, ...]:
    """The attendee addresses of a stored event, as its invite writes them (none if unseen)."""
    event = get_event(session, event_id, calendar_id=calendar_id, account=account)
    attendees = event_from_json(event.data).attendees if event is not None else ()
    return tuple(a.email for a in attendees if a.email)


def event_to_json(event: CalendarEvent) -> dict[str, Any]:
    """A JSON-safe dict of the event (dates and datetimes as ISO strings)."""
    # Field by field: dataclasses.asdict deep-copies every value, a third of a first sync's time.
    data = {name: getattr(event, name) for name in _EVENT_FIELDS}
    data["attendees"] = [{n: getattr(a, n) for n in _ATTENDEE_FIELDS} for a in event.attendees]
    for name in _DATE_FIELDS:
        data[name] = _when_json(data.get(name))
    return data


def event_from_json(data: dict[str, Any]) -> CalendarEvent:
    """The event `event_to_json` stored (fields the record no longer has are ignored)."""
    known = {f.name for f in dataclasses.fields(CalendarEvent)}
    fields = {name: value for name, value in data.items() if name in known}
    for name in _DATE_FIELDS:
        fields[name] = _parse_when(fields.get(name))
    fields["attendees"] = tuple(Attendee(**a) for a in fields.get("attendees") or ())
    return CalendarEvent(**fields)


def _when_json(value: dt.datetime | dt.date | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"iso": value.isoformat(), "date_only": not isinstance(value, dt.datetime)}


def _parse_when(value: dict[str, Any] | None) -> dt.datetime | dt.date | None:
    if not value:
        return None
    if value["date_only"]:
        return dt.date.fromisoformat(value["iso"])
    return dt.datetime.fromisoformat(value["iso"])


def get_meeting(
    session: Session,
    event_id: str,
    original_start: dt.datetime,
    *,
    account: str = DEFAULT_ACCOUNT,
) -> Meeting | None:
    """The meeting for one occurrence of an event."""
    query = sa.select(Meeting).where(
        Meeting.account == account,
        Meeting.event_id == event_id,
        Meeting.original_start == original_start,
    )
    return session.execute(query).scalar_one_or_none()


def meetings_for_event(
    session: Session, event_id: str, *, account: str = DEFAULT_ACCOUNT
) -> list[Meeting]:
    """Every meeting of an event id (a deleted event cancels all of them)."""
    query = sa.select(Meeting).where(Meeting.account == account, Meeting.event_id == event_id)
    return list(session.execute(query.order_by(Meeting.original_start)).scalars())


def meeting_by_airtable_id(
    session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> Meeting | None:
    """The meeting whose Airtable Meetings record is `record_id`."""
    query = sa.select(Meeting).where(
        Meeting.account == account, Meeting.airtable_record_id == record_id
    )
    return session.execute(query).scalars().first()


def upsert_meeting(
    session: Session,
    *,
    event_id: str,
    original_start: dt.datetime,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    person_id: int | None = None,
    history: bool = False,
    notes: str | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> Meeting:
    """Create the meeting (scheduled) or, while still scheduled, re-time and re-title it.

    Safe against a concurrent worker creating the same occurrence (one row results).
    """
    identity = {"account": account, "event_id": event_id, "original_start": original_start}
    fresh = {**identity, "title": title, "start": start, "end": end, "status": "scheduled"}
    fresh |= {"history": history, "person_id": person_id, "notes": notes}
    created = insert_ignore(session, Meeting, fresh, list(identity))
    meeting = get_meeting(session, event_id, original_start, account=account)
    assert meeting is not None, "a meeting row exists after insert-or-ignore"
    if not created and meeting.status == "scheduled":
        meeting.title, meeting.start, meeting.end = title, start, end
        meeting.person_id = person_id if person_id is not None else meeting.person_id
        meeting.notes = notes if notes is not None else meeting.notes
        session.flush()
    return meeting


def complete_meeting(meeting: Meeting, *, at: dt.datetime) -> bool:
    """Move a scheduled meeting to completed; False when it was not scheduled."""
    if meeting.status != "scheduled":
        return False
    meeting.status, meeting.completed_at = "completed", at
    return True


def cancel_meeting(meeting: Meeting, *, at: dt.datetime) -> bool:
    """Move a scheduled meeting to cancelled; False (and unchanged) once completed."""
    if meeting.status != "scheduled":
        return False
    meeting.status, meeting.cancelled_at = "cancelled", at
    return True


def scheduled_meetings(
    session: Session,
    *,
    account: str = DEFAULT_ACCOUNT,
    ended_by: dt.datetime | None = None,
    limit: int = 100,
) -> list[Meeting]:
    """Meetings still waiting for their effects (optionally only those ended by `ended_by`)."""
    query = sa.select(Meeting).where(Meeting.account == account, Meeting.status == "scheduled")
    if ended_by is not None:
        query = query.where(Meeting.end <= ended_by)
    return list(session.execute(query.order_by(Meeting.end, Meeting.id).limit(limit)).scalars())
