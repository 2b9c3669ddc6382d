"""Progress-update reminders: cadence, next due date, and at most N a day.

    cadence_days(update_every, default=30) -> int
    after_meeting(stage=..., last_met=..., meeting_date=..., cadence=...) -> ContactUpdate
    after_progress_done(done_on, cadence) -> date            # the new Next Update Due
    schedule_reminders(due, per_day=3, not_before=today, occupied={...}) -> tuple[ScheduledReminder]

The integrator collects the contacts whose Next Update Due has come, schedules them
with `schedule_reminders` (counting reminders already open on each day in `occupied`), and
creates the Progress update follow-up for each one whose assigned day has come. The key is
`update:{contact}:{next_update_due}`: it names the due date being answered, not the day the
reminder was rolled to, so re-scheduling never duplicates one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.errors import ConfigurationError
from workflows.rules.followups import single_line
from workflows.rules.keys import update_key

DEFAULT_CADENCE_DAYS = 30
DEFAULT_PER_DAY = 3
KEEPING_IN_TOUCH = "Keeping in touch"
INACTIVE = "Inactive"


def _is_inactive(stage: str | None) -> bool:
    return (stage or "").strip().casefold() == INACTIVE.casefold()


def cadence_days(update_every: int | float | None, default: int = DEFAULT_CADENCE_DAYS) -> int:
    """The cadence: the contact's `Update Every (days)` if a positive number, else the default."""
    if update_every is None or isinstance(update_every, bool):
        return default
    try:
        days = int(update_every)
    except (TypeError, ValueError, OverflowError):
        return default
    return days if 0 < days <= 3660 else default


def next_update_due(last_met: dt.date, cadence: int) -> dt.date:
    """When the next progress update is due: the last meeting plus the cadence.

    A Last Met typed far in the future (9999-12-30) saturates at the last date instead of
    failing the meeting's completion.
    """
    try:
        return last_met + dt.timedelta(days=cadence)
    except OverflowError:
        return dt.date.max


@dataclass(frozen=True)
class ContactUpdate:
    """What a completed meeting changes on the contact's Airtable row."""

    last_met: dt.date
    next_update_due: dt.date
    stage: str  # the Stage to write (unchanged when Inactive)


def after_meeting(
    *, stage: str | None, last_met: dt.date | None, meeting_date: dt.date, cadence: int
) -> ContactUpdate:
    """A new meeting resets the clock; an older one (history seen late) never moves it back."""
    met = max(meeting_date, last_met) if last_met else meeting_date
    new_stage = stage if stage and _is_inactive(stage) else KEEPING_IN_TOUCH
    return ContactUpdate(met, next_update_due(met, cadence), new_stage)


def after_progress_done(done_on: dt.date, cadence: int) -> dt.date:
    """The Next Update Due after a Progress update was marked Done on `done_on`."""
    return next_update_due(done_on, cadence)


def reminder_title(first_name: str) -> str:
    """The Progress update follow-up's title."""
    who = first_name or "your contact"
    return single_line(f"Send {who} an update on your progress")


@dataclass(frozen=True)
class DueContact:
    """A contact whose progress update is due: their id, first name and Next Update Due."""

    contact: str  # a stable id (the Airtable record id)
    first_name: str
    next_update_due: dt.date


@dataclass(frozen=True)
class ScheduledReminder:
    """A reminder placed on a day: `due` is the assigned day, `key` names the answered due date."""

    contact: str
    key: str
    title: str
    due: dt.date
    next_update_due: dt.date


def schedule_reminders(
    due: Sequence[DueContact],
    *,
    per_day: int = DEFAULT_PER_DAY,
    not_before: dt.date | None = None,
    occupied: Mapping[dt.date, int] | None = None,
) -> tuple[ScheduledReminder, ...]:
    """Place each due contact on a day, at most `per_day` reminders a day (counting `occupied`).

    Contacts are taken by Next Update Due, input order breaking ties; each lands on its due
    day (or `not_before`, if later) or, when that day is full, the next day with room. The
    result is in that order, with non-decreasing days, and holds every input exactly once.
    """
    if per_day < 1:
        raise ConfigurationError(f"reminders per day must be at least 1, got {per_day}")
    load: Counter[dt.date] = Counter(occupied or {})
    ordered = sorted(enumerate(due), key=lambda pair: (pair[1].next_update_due, pair[0]))
    scheduled: list[ScheduledReminder] = []
    cursor: dt.date | None = None
    for _, item in ordered:
        day = max(d for d in (item.next_update_due, not_before, cursor) if d is not None)
        while load[day] >= per_day:
            day += dt.timedelta(days=1)
        load[day] += 1
        cursor = day
        key = update_key(item.contact, item.next_update_due)
        title = reminder_title(item.first_name)
        scheduled.append(ScheduledReminder(item.contact, key, title, day, item.next_update_due))
    return tuple(scheduled)


NEWS_WITHIN_DAYS = 2
"""A milestone linked to a contact brings their next update to within this many days."""


def brought_forward(
    next_due: dt.date | None, *, news_on: dt.date | None, today: dt.date
) -> dt.date | None:
    """The contact's new Next Update Due after a milestone of `news_on` (undated: today) linked
    to them: within NEWS_WITHIN_DAYS of the news (of today, for news already past), never
    later than it was. None when it stays: already that soon, or no update is kept for them."""
    if next_due is None:
        return None
    day = max(news_on or today, today)
    try:
        target = day + dt.timedelta(days=NEWS_WITHIN_DAYS)
    except OverflowError:
        return None
    return target if target < next_due else None
