"""Calendar state: stored events per calendar, change sequence numbers, series expansion.

Stored events are series masters (with `recurrence`), single events, and exceptions (one
instance of a series that was moved or cancelled, stored under the instance id with
`recurringEventId` and `originalStartTime`), exactly as Google models them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.sandbox.recurrence import occurrences

SERIES_SPAN = dt.timedelta(days=20 * 365)  # Google expands an open-ended series decades ahead


def rfc3339(moment: dt.datetime) -> str:
    """A UTC timestamp as Google writes `updated`/`created` (millisecond precision, Z)."""
    return (
        moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_time(value: str) -> dt.datetime:
    """An RFC 3339 timestamp with offset (Z allowed) as an aware datetime; ValueError otherwise."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return moment


def resolve_times(event: dict[str, Any]) -> dict[str, Any]:
    """Check an event's `start` and `end` as Google does on insert; write each with its offset.

    A dateTime needs an offset or the `timeZone` beside it ("2026-11-01T01:30:00" with
    "America/New_York" is served as "2026-11-01T01:30:00-04:00"). A timed event may not end
    before it starts, compared as instants. ValueError otherwise, with Google's message.
    Still unlike Google, as far as known: an event without an end is kept (tests serve such
    odd data on purpose); any year from 1 to 9999 is accepted (RFC 3339's four digits; Google's
    own bounds are not documented); an ambiguous local time (the repeated hour of a DST change)
    is read as its first occurrence, one in a DST gap with the offset before the change.
    """
    times = {}
    for which in ("start", "end"):
        when = event.get(which)
        if isinstance(when, dict) and when.get("dateTime"):
            times[which] = _instant(when, which)
            when["dateTime"] = times[which].isoformat()
    if len(times) == 2 and times["end"] < times["start"]:
        raise ValueError("The specified time range is empty.")
    return event


def _instant(when: dict[str, Any], field: str) -> dt.datetime:
    raw = str(when["dateTime"])
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Invalid value for {field}.dateTime: {raw!r}") from None
    if moment.tzinfo is not None:
        return moment
    if not when.get("timeZone"):
        raise ValueError(f"Missing time zone definition for {field} time.")
    try:
        return moment.replace(tzinfo=ZoneInfo(str(when["timeZone"])))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Invalid time zone definition for {field} time.") from None


@dataclass
class Calendar:
    """One calendar: its zone and stored events, with the change sequence number of each."""

    id: str
    time_zone: str
    summary: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)  # event id -> change seq

    def zone(self, event: dict[str, Any] | None = None) -> ZoneInfo:
        """The zone an event's times are expanded in (its start.timeZone, else the calendar's)."""
        name = (event or {}).get("start", {}).get("timeZone") or self.time_zone
        return ZoneInfo(name)

    def bounds(self, event: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
        """Start and end of an event as aware datetimes (all-day: local midnights).

        An event stored without an end (odd data a test serves) ends when it starts.
        """
        start = self._moment(event["start"], event)
        return start, self._moment(event["end"], event) if event.get("end") else start

    def _moment(self, when: dict[str, Any], event: dict[str, Any]) -> dt.datetime:
        if "date" in when:
            day = dt.date.fromisoformat(when["date"])
            return dt.datetime.combine(day, dt.time(), tzinfo=self.zone(event))
        return parse_time(when["dateTime"])

    def instances(
        self, master: dict[str, Any], horizon: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """A series' instances with stored exceptions applied (cancelled ones included)."""
        start, end = self.bounds(master)
        zone = self.zone(master)
        local_start = start.astimezone(zone)
        limit = horizon or (local_start + SERIES_SPAN)
        result = []
        for when in occurrences(master["recurrence"], local_start, limit):
            instance = self._instance(master, when, end - start)
            result.append(self.events.get(instance["id"], instance))
        return result

    def _instance(
        self, master: dict[str, Any], when: dt.datetime, length: dt.timedelta
    ) -> dict[str, Any]:
        instance = {k: v for k, v in master.items() if k != "recurrence"}
        all_day = "date" in master["start"]
        if all_day:
            suffix = when.strftime("%Y%m%d")
            instance["start"] = {"date": when.date().isoformat()}
            instance["end"] = {"date": (when + length).date().isoformat()}
        else:
            suffix = when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            tz = master["start"].get("timeZone")
            instance["start"] = {"dateTime": when.isoformat(), **({"timeZone": tz} if tz else {})}
            end = (when.replace(tzinfo=None) + length).replace(tzinfo=when.tzinfo)
            instance["end"] = {"dateTime": end.isoformat(), **({"timeZone": tz} if tz else {})}
        instance["id"] = f"{master['id']}_{suffix}"
        instance["recurringEventId"] = master["id"]
        instance["originalStartTime"] = dict(instance["start"])
        return instance

    def find_instance(self, event_id: str) -> dict[str, Any] | None:
        """A generated instance of a stored series by its instance id (`{series}_{start}`)."""
        series_id, _, _ = event_id.rpartition("_")
        master = self.events.get(series_id)
        if not master or "recurrence" not in master:
            return None
        stamp = event_id.rpartition("_")[2]
        horizon = self._stamp_horizon(stamp, master)
        return next((i for i in self.instances(master, horizon) if i["id"] == event_id), None)

    def _stamp_horizon(self, stamp: str, master: dict[str, Any]) -> dt.datetime | None:
        try:
            if "T" in stamp:
                return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            day = dt.datetime.strptime(stamp, "%Y%m%d")
            return day.replace(tzinfo=self.zone(master)) + dt.timedelta(days=1)
        except ValueError:
            return None


def normalize_event(
    event: dict[str, Any], *, calendar: Calendar, user_email: str, now: dt.datetime
) -> dict[str, Any]:
    """The event (changed in place) with the fields Google always sets filled in."""
    stored = event
    stored.setdefault("id", secrets.token_hex(13))
    stored.setdefault("status", "confirmed")
    stored.setdefault("kind", "calendar#event")
    stored.setdefault("htmlLink", f"https://www.google.com/calendar/event?eid={stored['id']}")
    if "created" not in stored or "updated" not in stored:
        stamp = rfc3339(now)
        stored.setdefault("created", stamp)
        stored.setdefault("updated", stamp)
    stored.setdefault("iCalUID", f"{stored.get('recurringEventId', stored['id'])}@google.com")
    stored.setdefault("sequence", 0)
    stored.setdefault("creator", {"email": user_email, "self": True})
    stored.setdefault("organizer", {"email": user_email, "self": True})
    stored.setdefault("reminders", {"useDefault": True})
    stored.setdefault("eventType", "default")
    for attendee in stored.get("attendees", []):
        attendee.setdefault("responseStatus", "needsAction")
        if attendee.get("email", "").lower() == user_email.lower():
            attendee["self"] = True
    return stored


def tombstone(event: dict[str, Any]) -> dict[str, Any]:
    """The few fields Google sends for a cancelled event."""
    keys = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
    return {k: event[k] for k in keys if k in event}
