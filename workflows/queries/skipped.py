"""The calendar events that did not become meetings, and why (the demo's "not interviews" table).

The reason is worked out again from the stored event with the same rules the sync applied
(qualification, a contact who declined, a cancellation), so it always matches the rules of
the running code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from connectors.records import CalendarEvent
from workflows.facts import USER_EMAIL, get_fact
from workflows.rules.lifecycle import declined_by_contact
from workflows.rules.people import Directory
from workflows.rules.qualify import qualify
from workflows.runtime import Runtime
from workflows.store.meetings import event_from_json
from workflows.store.models import Event, Meeting
from workflows.sync.calendar import build_directory


@dataclass(frozen=True)
class SkippedEvent:
    """A calendar event (or a recurring series) that is not an informational interview."""

    title: str
    start: dt.datetime | dt.date | None
    why: str
    occurrences: int = 1


def skipped_events(
    runtime: Runtime, seen: Mapping[str, Mapping[str, Any]] | None = None
) -> list[SkippedEvent]:
    """Every synced event that is not a live meeting, grouped by series, with the reason.

    The store keeps only Google's tombstone of an event cancelled before the first sync;
    `seen` (event id to the Google event resource, e.g. from the sandbox) names it anyway.
    """
    account = runtime.account
    live_query = sa.select(Meeting.event_id).where(
        Meeting.account == account, Meeting.status != "cancelled"
    )
    with runtime.db.read() as session:
        rows = session.scalars(sa.select(Event).where(Event.account == account)).all()
        live = set(session.scalars(live_query))
        user_email = get_fact(session, USER_EMAIL, account=account) or ""
        directory = build_directory(session, account)
    series: dict[str, list[CalendarEvent]] = {}
    for row in rows:
        event = event_from_json(row.data)
        if event.id not in live and event.recurring_event_id not in live:
            series.setdefault(event.recurring_event_id or event.id, []).append(event)
    skipped = []
    for events in series.values():
        events.sort(key=lambda e: _sort_key(e.start))
        shown = next((e for e in events if not e.cancelled), events[0])
        why = _why_skipped(shown, user_email, directory, runtime)
        title, start = shown.title, shown.start
        if not title and seen and shown.id in seen:
            title, start = _title_and_start(seen[shown.id])
        skipped.append(SkippedEvent(title, start, why, len(events)))
    return sorted(skipped, key=lambda s: _sort_key(s.start))


def _why_skipped(
    event: CalendarEvent, user_email: str, directory: Directory, runtime: Runtime
) -> str:
    found = qualify(
        event, user_email=user_email, directory=directory, policy=runtime.qualify_policy()
    )
    if not found.qualified:
        why = found.reason.value.removeprefix("skipped: ")
    elif found.contact is not None and declined_by_contact(event, found.contact.emails):
        why = "the contact declined the invitation"
    else:
        why = "cancelled before it took place"
    return f"recurring: {why}" if event.recurring_event_id else why


def _title_and_start(resource: Mapping[str, Any]) -> tuple[str, dt.datetime | dt.date | None]:
    start = resource.get("start") or {}
    if "dateTime" in start:
        return str(resource.get("summary", "")), dt.datetime.fromisoformat(start["dateTime"])
    if "date" in start:
        return str(resource.get("summary", "")), dt.date.fromisoformat(start["date"])
    return str(resource.get("summary", "")), None


def _sort_key(value: dt.datetime | dt.date | None) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return dt.datetime.max.replace(tzinfo=dt.UTC)
