"""Normalize Google Calendar event resources into CalendarEvent records.

Bad data never crashes a sync: an event that cannot be used (no id, no end, an unreadable
time, an instant that cannot be held in UTC such as year 1 at +05:00) becomes a Skipped with
the reason; an attendee with no email is left out of the event and reported as a Skipped of
source "calendar.attendee". Whether a readable time is a sensible one is for the rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.errors import SkipRecord
from connectors.records import Attendee, CalendarEvent, Skipped

SOURCE = "calendar"


def normalize_event(
    item: dict[str, Any], calendar_time_zone: str | None
) -> tuple[CalendarEvent | None, list[Skipped]]:
    """The event (None when it must be skipped) and what was skipped from it, with reasons."""
    event_id = item.get("id")
    try:
        if not isinstance(event_id, str) or not event_id:
            raise SkipRecord("event has no id")
        attendees, skipped = _attendees(event_id, item.get("attendees") or [])
        return _event(event_id, item, attendees, calendar_time_zone), skipped
    except SkipRecord as exc:
        return None, [Skipped(SOURCE, event_id if isinstance(event_id, str) else None, str(exc))]


def _event(
    event_id: str,
    item: dict[str, Any],
    attendees: tuple[Attendee, ...],
    calendar_time_zone: str | None,
) -> CalendarEvent:
    status = str(item.get("status") or "confirmed")
    start_raw, end_raw = item.get("start"), item.get("end")
    if status != "cancelled":
        if not start_raw:
            raise SkipRecord("event has no start")
        if not end_raw:
            raise SkipRecord("event has no end")
    time_zone = (start_raw or {}).get("timeZone") or calendar_time_zone
    return CalendarEvent(
        id=event_id,
        status=status,
        start=parse_when(start_raw, time_zone, "start"),
        end=parse_when(end_raw, (end_raw or {}).get("timeZone") or time_zone, "end"),
        all_day=bool(start_raw and "date" in start_raw and "dateTime" not in start_raw),
        time_zone=time_zone,
        ical_uid=item.get("iCalUID"),
        recurring_event_id=item.get("recurringEventId"),
        original_start=parse_when(item.get("originalStartTime"), time_zone, "originalStartTime"),
        organizer_email=(item.get("organizer") or {}).get("email"),
        attendees=attendees,
        title=str(item.get("summary") or ""),
        description=str(item.get("description") or ""),
        event_type=str(item.get("eventType") or "default"),
        updated=parse_timestamp(item.get("updated")),
        html_link=item.get("htmlLink"),
    )


def _attendees(event_id: str, raw: list[Any]) -> tuple[tuple[Attendee, ...], list[Skipped]]:
    kept: list[Attendee] = []
    skipped: list[Skipped] = []
    for index, entry in enumerate(raw):
        email = entry.get("email") if isinstance(entry, dict) else None
        if not email:
            reason = f"attendee #{index + 1} has no email address; left out of the event"
            skipped.append(Skipped("calendar.attendee", event_id, reason))
            continue
        kept.append(
            Attendee(
                email=str(email),
                display_name=entry.get("displayName"),
                response_status=str(entry.get("responseStatus") or "needsAction"),
                is_self=bool(entry.get("self")),
                is_organizer=bool(entry.get("organizer")),
                is_resource=bool(entry.get("resource")),
            )
        )
    return tuple(kept), skipped


def parse_when(
    raw: dict[str, Any] | None, time_zone: str | None, field: str
) -> dt.datetime | dt.date | None:
    """A Calendar start/end: an aware datetime in the event's zone, or a date for all-day events."""
    if not raw:
        return None
    try:
        if raw.get("dateTime"):
            return _aware(
                dt.datetime.fromisoformat(raw["dateTime"]), raw.get("timeZone") or time_zone
            )
        if raw.get("date"):
            return dt.date.fromisoformat(raw["date"])
    except (TypeError, ValueError) as exc:
        raise SkipRecord(f"event {field} is not a readable time ({exc})") from exc
    except OverflowError as exc:
        raise SkipRecord(
            f"event {field} {raw.get('dateTime')} is not a readable time: in UTC it falls "
            "outside the years 1 to 9999"
        ) from exc
    raise SkipRecord(f"event {field} has neither dateTime nor date")


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """An RFC 3339 timestamp as an aware datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _aware(value: dt.datetime, time_zone: str | None) -> dt.datetime:
    """The instant in the event's zone; OverflowError when it has no place in UTC's years 1-9999."""
    zone = _zone(time_zone)
    if value.tzinfo is None:
        if zone is None:
            raise ValueError("a time without offset and without a time zone")
        value = value.replace(tzinfo=zone)
    elif zone is not None:
        value = value.astimezone(zone)
    value.astimezone(dt.UTC)  # every later comparison and the store work in UTC
    return value


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # an unknown zone name: keep the offset Google sent
