"""The RRULE subset the sandbox expands: FREQ=DAILY|WEEKLY, INTERVAL, COUNT, UNTIL, BYDAY, EXDATE.

Occurrences step in the event's local time, so a weekly 9:00 meeting stays at 9:00 across a
daylight-saving change, as Google keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connectors.errors import ConfigurationError

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
MAX_INSTANCES = 8000  # a bound for open-ended series: a daily one for twenty years


class RecurrenceError(ConfigurationError):
    """A recurrence rule outside the subset the sandbox expands."""


def parse_rule(lines: list[str]) -> tuple[dict[str, str], set[dt.date | dt.datetime]]:
    """The RRULE parts as a dict and the EXDATE values of a `recurrence` list."""
    rule: dict[str, str] = {}
    exdates: set[dt.date | dt.datetime] = set()
    for line in lines:
        name, _, value = line.partition(":")
        if name == "RRULE":
            rule = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
        elif name.startswith("EXDATE"):
            exdates.update(_parse_stamp(v) for v in value.split(",") if v)
    if rule.get("FREQ") not in ("DAILY", "WEEKLY"):
        raise RecurrenceError(
            f"the sandbox cannot expand recurrence {lines!r}: use FREQ=DAILY or FREQ=WEEKLY"
        )
    return rule, exdates


def occurrences(
    lines: list[str], start: dt.datetime, horizon: dt.datetime
) -> Iterator[dt.datetime]:
    """Start times of a series (aware, in `start`'s zone) up to `horizon` or the rule's end."""
    rule, exdates = parse_rule(lines)
    count = int(rule["COUNT"]) if "COUNT" in rule else None
    until = _parse_stamp(rule["UNTIL"]) if "UNTIL" in rule else None
    for produced, when in enumerate(_candidates(rule, start)):
        if produced >= (count or MAX_INSTANCES) or when > horizon or _after(when, until):
            return
        if not exdates & {when, when.replace(tzinfo=None), when.date()}:
            yield when


def _candidates(rule: dict[str, str], start: dt.datetime) -> Iterator[dt.datetime]:
    interval = int(rule.get("INTERVAL", "1"))
    zone = start.tzinfo
    local = start.replace(tzinfo=None)
    if rule["FREQ"] == "DAILY":
        step = 0
        while True:
            yield (local + dt.timedelta(days=step)).replace(tzinfo=zone)
            step += interval
    days = sorted(WEEKDAYS[d[-2:]] for d in rule.get("BYDAY", "").split(",") if d) or [
        local.weekday()
    ]
    week_start = local - dt.timedelta(days=local.weekday())
    week = 0
    while True:
        for weekday in days:
            when = week_start + dt.timedelta(weeks=week, days=weekday)
            if when >= local:
                yield when.replace(tzinfo=zone)
        week += interval


def _after(when: dt.datetime, until: dt.date | dt.datetime | None) -> bool:
    if until is None:
        return False
    if isinstance(until, dt.datetime):
        return (when if until.tzinfo else when.replace(tzinfo=None)) > until
    return when.date() > until


def _parse_stamp(value: str) -> dt.date | dt.datetime:
    """An iCalendar DATE (20260302) or DATE-TIME (UTC with a Z, else the event's local time)."""
    value = value.strip()
    if "T" not in value:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    stamp = dt.datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    return stamp.replace(tzinfo=dt.UTC) if value.endswith("Z") else stamp
