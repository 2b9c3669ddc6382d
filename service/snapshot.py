"""What the status page and `followthrough status` show, read from the store."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from service.web.status import (
    ConnectorStatus,
    FollowUpItem,
    RecentError,
    StatusSnapshot,
    WaitingMeeting,
)
from workflows.followup_sync import STORE_KINDS
from workflows.rules.followups import FollowUpKind
from workflows.runtime import Runtime
from workflows.store.followups import open_followups
from workflows.store.meetings import scheduled_meetings
from workflows.store.models import Followup, Meeting, Person
from workflows.store.status import SourceHealth, recent_errors, source_health

KIND_LABELS = {stored: kind.value for kind, stored in STORE_KINDS.items()}
PROGRESS = FollowUpKind.PROGRESS_UPDATE.value
SOURCE_LABELS = {
    "airtable": "Airtable",
    "google_contacts": "Google Contacts",
    "google_calendar": "Google Calendar",
}
SOON = dt.timedelta(days=7)


def status_snapshot(runtime: Runtime, *, stale_after: dt.timedelta | None = None) -> StatusSnapshot:
    """The store's view of health, waiting meetings, open follow-ups and recent errors."""
    now = runtime.now()
    with runtime.db.read() as session:
        health = source_health(session, account=runtime.account)
        waiting = scheduled_meetings(session, account=runtime.account, ended_by=now, limit=50)
        names = _names(session, [m.person_id for m in waiting])
        follow_ups = open_followups(session, account=runtime.account, limit=200)
        people = _names(session, [f.person_id for f in follow_ups])
        errors = recent_errors(session, account=runtime.account, limit=20)
    soon = now.date() + SOON
    items = [_item(f, people) for f in follow_ups]
    return StatusSnapshot(
        generated_at=dt.datetime.now(dt.UTC),
        account=runtime.account,
        connectors=tuple(_connector(h) for h in health),
        waiting_meetings=tuple(_waiting(m, names) for m in waiting),
        open_follow_ups=tuple(i for i in items if i.kind != PROGRESS),
        reminders_due=tuple(i for i in items if i.kind == PROGRESS and i.due <= soon),
        recent_errors=tuple(RecentError(e.occurred_at, e.source, e.message) for e in errors),
        **({"stale_after": stale_after} if stale_after else {}),
    )


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = sa.select(Person).where(Person.id.in_(wanted)).options(selectinload(Person.emails))
    return {p.id: p.name or p.primary_email or "" for p in session.execute(query).scalars()}


def _connector(health: SourceHealth) -> ConnectorStatus:
    attempts = [t for t in (health.last_success_at, health.last_error_at) if t is not None]
    return ConnectorStatus(
        name=SOURCE_LABELS.get(health.source, health.source),
        last_success=health.last_success_at,
        last_attempt=max(attempts, default=None),
        error=None if health.healthy else health.last_error,
    )


def _waiting(meeting: Meeting, names: dict[int, str]) -> WaitingMeeting:
    contact = names.get(meeting.person_id or -1, "")
    return WaitingMeeting(meeting.title, contact, meeting.end, ("thank-you draft", "follow-ups"))


def _item(follow_up: Followup, names: dict[int, str]) -> FollowUpItem:
    return FollowUpItem(
        title=follow_up.title,
        contact=names.get(follow_up.person_id or -1, ""),
        kind=KIND_LABELS.get(follow_up.kind, follow_up.kind),
        due=follow_up.due or dt.date.max,
    )
