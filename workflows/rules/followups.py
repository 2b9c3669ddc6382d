"""The follow-ups a completed interview owes, each with a stable key.

    plan_followups(event_id=..., original_start=..., meeting_start=..., zone=...,
                   first_name=..., todos=...) -> tuple[FollowUpPlan, ...]

A Thank-you is due the day after the meeting's date in the user's time zone, or, for a meeting
seen late (it ended before Followthrough's first sync), on the day it is SEEN_LATE_HOURS after
Followthrough planned it (never already overdue); an Action item per promise (`TODO:` /
`- [ ]`) is due 7 days after. Keys come from `workflows.rules.keys`, so re-planning after
notes change only adds the promises that are new.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from workflows.rules.clock import local_date, local_days_after
from workflows.rules.keys import action_key, thank_you_key

THANK_YOU_AFTER_DAYS = 1
SEEN_LATE_HOURS = 4
"""A Thank-you planned later than its usual due day is due this many hours from then."""
SEEN_LATE = dt.timedelta(hours=SEEN_LATE_HOURS)
ACTION_ITEM_AFTER_DAYS = 7
MAX_TITLE_CHARS = 200


class FollowUpKind(enum.StrEnum):
    """The Kind of a follow-up, spelled as the Airtable Follow-ups Kind choices."""

    THANK_YOU = "Thank-you"
    ACTION_ITEM = "Action item"
    PROGRESS_UPDATE = "Progress update"
    ASK = "Ask"
    NUDGE = "Nudge"
    PREPARE = "Prepare"
    RESCHEDULE = "Reschedule"
    THANK_INTRODUCER = "Thank introducer"


class FollowUpStatus(enum.StrEnum):
    """The Status of a follow-up, spelled as the Airtable Follow-ups Status choices."""

    OPEN = "Open"
    DONE = "Done"
    SNOOZED = "Snoozed"


@dataclass(frozen=True)
class FollowUpPlan:
    """A follow-up to create (once, by its key): what, by when, and for which kind."""

    key: str
    kind: FollowUpKind
    title: str
    due: dt.date


def single_line(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """`text` on one line (any line breaks or control characters become spaces), at most `limit`."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


NO_NOTES_HINT = "(an Insight: line in the meeting's Airtable Notes rewrites the draft)"
"""Said by the Thank-you of a meeting without notes: the draft can say what you learned."""


def thank_you_title(first_name: str, *, with_notes: bool = True) -> str:
    """The Thank-you follow-up's title; without notes it says how to make the draft specific."""
    title = f"Send {first_name} a thank-you" if first_name else "Send a thank-you"
    return single_line(title if with_notes else f"{title} {NO_NOTES_HINT}")


THANK_YOU_WITHIN_HOURS = 20
LATE_FLAG = f"(not sent within {THANK_YOU_WITHIN_HOURS} hours)"
"""Ends the title of a Thank-you not sent in time (known only with the gmail.metadata scope)."""


def owed_since(meeting_end: dt.datetime, completed_at: dt.datetime | None) -> dt.datetime:
    """When a thank-you became owed: the meeting's end, or, for a meeting Followthrough completed
    more than SEEN_LATE_HOURS after it ended (it was seen late), when it completed it."""
    late = completed_at is not None and completed_at - meeting_end > SEEN_LATE
    return completed_at if late and completed_at is not None else meeting_end


def thank_you_late(owed_since: dt.datetime, now: dt.datetime) -> bool:
    """Whether a thank-you still unsent at `now` missed its time: 20 hours after the meeting's
    end, or after Followthrough first saw the meeting when that was later (a meeting seen days
    late is not flagged at once)."""
    return now - owed_since > dt.timedelta(hours=THANK_YOU_WITHIN_HOURS)


def late_title(title: str) -> str:
    """A Thank-you's title flagged as not sent in time (the same title when it already is)."""
    return title if title.endswith(LATE_FLAG) else single_line(f"{title} {LATE_FLAG}")


def plan_followups(
    *,
    event_id: str,
    original_start: dt.datetime | dt.date,
    meeting_start: dt.datetime,
    zone: dt.tzinfo,
    first_name: str,
    todos: Iterable[str],
    with_notes: bool = True,
    thank_you: bool = True,
    action_items: bool = True,
    seen_at: dt.datetime | None = None,
) -> tuple[FollowUpPlan, ...]:
    """The Thank-you and Action items of one completed meeting (history passes False for both);
    `seen_at` is when Followthrough planned them (the Thank-you is never due before that)."""
    plans: list[FollowUpPlan] = []
    if thank_you:
        due = local_days_after(meeting_start, THANK_YOU_AFTER_DAYS, zone)
        if seen_at is not None:
            due = max(due, local_date(seen_at + dt.timedelta(hours=SEEN_LATE_HOURS), zone))
        key = thank_you_key(event_id, original_start)
        title = thank_you_title(first_name, with_notes=with_notes)
        plans.append(FollowUpPlan(key, FollowUpKind.THANK_YOU, title, due))
    if action_items:
        due = local_days_after(meeting_start, ACTION_ITEM_AFTER_DAYS, zone)
        for todo in todos:
            key = action_key(event_id, original_start, todo)
            plans.append(FollowUpPlan(key, FollowUpKind.ACTION_ITEM, single_line(todo), due))
    return _unique(plans)


def _unique(plans: Iterable[FollowUpPlan]) -> tuple[FollowUpPlan, ...]:
    seen: set[str] = set()
    kept = []
    for plan in plans:
        if plan.key not in seen:
            seen.add(plan.key)
            kept.append(plan)
    return tuple(kept)
