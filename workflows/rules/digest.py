"""When the weekly digest is drafted: `FOLLOWTHROUGH_DIGEST` read as a weekday and a time.

    parse_digest("mon 08:00")  ->  DigestTime(weekday=0, at=08:00)
    parse_digest("")           ->  None (no digest)

A week's digest is keyed by its ISO week in the user's zone (`2026-W10`), so it is drafted
at most once that week. `digest_due` answers the week to schedule: this week's while its
time has not passed by more than LATE_BY (a service that was down at 08:00 still drafts it
at 10:00), else next week's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LATE_BY = dt.timedelta(hours=12)
_PATTERN = re.compile(r"(?P<day>[a-z]{3,9})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})")


@dataclass(frozen=True)
class DigestTime:
    """A weekday (0 = Monday) and a local time of day."""

    weekday: int
    at: dt.time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class DigestDue:
    """One week's digest: its key (the ISO week) and when it falls due (UTC)."""

    week: str
    due_at: dt.datetime


def parse_digest(text: str | None) -> DigestTime | None:
    """The digest's weekday and time; None when empty; ValueError saying what to write."""
    value = (text or "").strip().lower()
    if not value:
        return None
    found = _PATTERN.fullmatch(value)
    day = _weekday(found["day"]) if found else None
    if found is None or day is None:
        raise ValueError("must be a weekday and a 24-hour time, e.g. 'mon 08:00', or empty")
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"has no time {hour}:{minute:02d}; use 00:00 to 23:59, e.g. 'mon 08:00'")
    return DigestTime(day, dt.time(hour, minute))


def _weekday(word: str) -> int | None:
    """0 for `mon`, `mond` or `monday`; None for a word that is no weekday."""
    return next((i for i, name in enumerate(DAY_NAMES) if name.startswith(word)), None)


def week_key(day: dt.date) -> str:
    """The ISO week `day` falls in, e.g. 2026-W10."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(when: DigestTime, now: dt.datetime, zone: dt.tzinfo) -> DigestDue:
    """The digest to schedule at `now`: this week's unless it is more than LATE_BY past."""
    today = now.astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    this_week = _at(monday + dt.timedelta(days=when.weekday), when.at, zone)
    if now <= this_week + LATE_BY:
        return DigestDue(week_key(monday), this_week)
    next_monday = monday + dt.timedelta(days=7)
    return DigestDue(
        week_key(next_monday), _at(next_monday + dt.timedelta(days=when.weekday), when.at, zone)
    )


def _at(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """`day` at `at` in `zone`, as UTC (a time skipped by a DST change lands an hour later)."""
    local = dt.datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(dt.UTC).astimezone(zone).astimezone(dt.UTC)
