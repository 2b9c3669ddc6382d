"""The follow-ups a completed interview owes, each with a stable key.

    plan_followups(event_id=..., original_start=..., meeting_start=..., zone=...,
                   first_name=..., todos=...) -> tuple[FollowUpPlan, ...]

A Thank-you is due the day after the meeting's date in the user's time zone; an Action item
per promise (`TODO:` / `- [ ]`) is due 7 days after. Keys come from `workflows.rules.keys`,
so re-planning after notes change only adds the promises that are new.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from workflows.rules.clock import local_days_after
from workflows.rules.keys import action_key, thank_you_key

THANK_YOU_AFTER_DAYS = 1
ACTION_ITEM_AFTER_DAYS = 7
MAX_TITLE_CHARS = 200


class FollowUpKind(enum.StrEnum):
    """The Kind of a follow-up, spelled as the Airtable Follow-ups Kind choices."""

    THANK_YOU = "Thank-you"
    ACTION_ITEM = "Action item"
    PROGRESS_UPDATE = "Progress update"


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
) -> tuple[FollowUpPlan, ...]:
    """The Thank-you and Action items of one completed meeting (history passes False for both)."""
    plans: list[FollowUpPlan] = []
    if thank_you:
        due = local_days_after(meeting_start, THANK_YOU_AFTER_DAYS, zone)
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
