"""Realistic records for the rule tests: the shapes the Google and Airtable connectors return."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from connectors.airtable.tables import AirtableContact
from connectors.records import Attendee, CalendarEvent, GoogleContact

USER = "alex.kim@gmail.com"
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def me(status: str = "accepted") -> Attendee:
    """The user's own attendee entry."""
    return Attendee(email=USER, response_status=status, is_self=True, is_organizer=True)


def guest(email: str, name: str | None = None, status: str = "accepted") -> Attendee:
    """Another attendee."""
    return Attendee(email=email, display_name=name, response_status=status)


def event(
    *,
    title: str = "Catch up",
    start: dt.datetime | dt.date = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC),
    minutes: int = 30,
    attendees: tuple[Attendee, ...] = (),
    self_status: str = "accepted",
    **fields: object,
) -> CalendarEvent:
    """A confirmed timed event with the user (answering `self_status`) plus `attendees`."""
    values: dict[str, object] = {
        "id": "evt1",
        "status": "confirmed",
        "start": start,
        "end": start + dt.timedelta(minutes=minutes) if isinstance(start, dt.datetime) else start,
        "title": title,
        "attendees": (me(self_status), *attendees),
        "time_zone": "America/New_York",
    }
    values.update(fields)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def airtable(record_id: str, name: str, email: str | None, **fields: object) -> AirtableContact:
    """A row of the Contacts table."""
    return AirtableContact(record_id=record_id, name=name, email=email, **fields)  # type: ignore[arg-type]


def google(resource: str, *emails: str, **fields: object) -> GoogleContact:
    """A People API connection."""
    return GoogleContact(resource_name=resource, emails=emails, **fields)  # type: ignore[arg-type]
