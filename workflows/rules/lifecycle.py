"""The life of a meeting: scheduled, then completed at its end plus a grace period, or cancelled.

    completion_due(end, grace) -> aware UTC datetime          # when the workflow falls due
    decide_lifecycle(event, known=..., contact_emails=..., grace=...) -> LifecycleDecision
    is_history(end, first_sync_at=..., history_days=3) -> bool
    effects_for(end, first_sync_at=..., history_days=3) -> EffectPlan

A moved event is re-timed; an event cancelled, deleted (Google's cancelled tombstone) or
declined by the contact before completion is Cancelled and gets no effects. Once a meeting
is Completed its effects stand: later changes of the event do not undo them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.records import CalendarEvent
from workflows.rules.clock import ensure_aware, within_reach
from workflows.rules.emails import fold_email

DEFAULT_GRACE = dt.timedelta(minutes=15)
DEFAULT_HISTORY_DAYS = 3


class MeetingStatus(enum.StrEnum):
    """A meeting's status, spelled as the Airtable Meetings Status choices."""

    SCHEDULED = "Scheduled"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class Action(enum.StrEnum):
    """What to do with the stored meeting after seeing its event again."""

    SCHEDULE = "schedule"  # new (or back from cancelled): record, completion due at due_at
    RETIME = "retime"  # moved: change start/end and the completion due time
    CANCEL = "cancel"  # cancelled, deleted, declined by the contact, no longer qualifies
    UNCHANGED = "unchanged"  # nothing that matters changed
    SETTLED = "settled"  # already completed or cancelled and stays so: nothing to do


@dataclass(frozen=True)
class KnownMeeting:
    """What the store already recorded of a meeting."""

    status: MeetingStatus
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class LifecycleDecision:
    """The decision for one event: the action, the resulting status and when completion is due."""

    action: Action
    status: MeetingStatus
    due_at: dt.datetime | None
    reason: str


@dataclass(frozen=True)
class EffectPlan:
    """Which effects a completed meeting gets (history gets only the record and the contact)."""

    record_meeting: bool = True
    update_contact: bool = True
    draft: bool = True
    thank_you: bool = True
    action_items: bool = True


def completion_due(end: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> dt.datetime:
    """The instant a meeting counts as completed: its end plus the grace period, in UTC."""
    return ensure_aware(end, what="meeting end") + grace


def is_history(
    end: dt.datetime, *, first_sync_at: dt.datetime, history_days: int = DEFAULT_HISTORY_DAYS
) -> bool:
    """True for a meeting that ended more than `history_days` before the account's first sync."""
    cutoff = ensure_aware(first_sync_at) - dt.timedelta(days=history_days)
    return ensure_aware(end) < cutoff


def effects_for(
    end: dt.datetime, *, first_sync_at: dt.datetime, history_days: int = DEFAULT_HISTORY_DAYS
) -> EffectPlan:
    """The effects of a completed meeting: all of them, or no draft and follow-ups for history."""
    if is_history(end, first_sync_at=first_sync_at, history_days=history_days):
        return EffectPlan(draft=False, thank_you=False, action_items=False)
    return EffectPlan()


def declined_by_contact(event: CalendarEvent, contact_emails: Iterable[str]) -> bool:
    """True when the contact (any of their emails) declined the invitation."""
    folded = {fold_email(e) for e in contact_emails}
    return any(
        a.response_status == "declined" and fold_email(a.email or "") in folded
        for a in event.attendees
    )


def _cancel(known: KnownMeeting | None, reason: str) -> LifecycleDecision:
    if known is not None and known.status is not MeetingStatus.SCHEDULED:
        return LifecycleDecision(Action.SETTLED, known.status, None, "already " + known.status)
    return LifecycleDecision(Action.CANCEL, MeetingStatus.CANCELLED, None, reason)


def _times(event: CalendarEvent) -> tuple[dt.datetime, dt.datetime] | None:
    """Start and end in UTC; None when either is missing or outside the years rules reach."""
    start, end = event.start, event.end
    if not (isinstance(start, dt.datetime) and isinstance(end, dt.datetime)):
        return None
    if not (within_reach(start) and within_reach(end)):
        return None
    return ensure_aware(start), ensure_aware(end)


def _cancel_reason(
    event: CalendarEvent, contact_emails: Iterable[str], still_qualifies: bool
) -> str | None:
    if event.cancelled:
        return "the event was cancelled or deleted"
    if declined_by_contact(event, contact_emails):
        return "the contact declined"
    if not still_qualifies:
        return "the event is no longer an informational interview"
    return None


def decide_lifecycle(
    event: CalendarEvent,
    *,
    known: KnownMeeting | None,
    contact_emails: Iterable[str] = (),
    still_qualifies: bool = True,
    grace: dt.timedelta = DEFAULT_GRACE,
) -> LifecycleDecision:
    """What seeing `event` (again) means for its meeting; `known` is the store's record or None."""
    reason = _cancel_reason(event, contact_emails, still_qualifies)
    times = _times(event)
    if reason is not None or times is None:
        return _cancel(known, reason or "the event no longer has a usable start and end time")
    due_at = completion_due(times[1], grace)
    if known is None or known.status is MeetingStatus.CANCELLED:
        return LifecycleDecision(Action.SCHEDULE, MeetingStatus.SCHEDULED, due_at, "scheduled")
    if known.status is MeetingStatus.COMPLETED:
        return LifecycleDecision(Action.SETTLED, known.status, None, "already Completed")
    if (ensure_aware(known.start), ensure_aware(known.end)) != times:
        return LifecycleDecision(Action.RETIME, MeetingStatus.SCHEDULED, due_at, "the event moved")
    return LifecycleDecision(Action.UNCHANGED, MeetingStatus.SCHEDULED, due_at, "unchanged")
