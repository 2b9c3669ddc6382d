"""The service's health as people see it: what the status page and `followthrough status` show.

`status_snapshot(runtime)` gathers it from the store at once. A connector whose last attempt
failed reads "failing" whatever succeeded before it; one whose last success is older than the
snapshot's `stale_after` reads "stale"; one whose feature the user left off (Gmail without
the gmail.metadata scope) reads "off", with what to do. A thank-you flagged as not sent
within 20 hours of its meeting (only the Gmail pass flags one, with that scope) is listed apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from workflows.facts import source_off
from workflows.followup_sync import STORE_KINDS
from workflows.queries.listings import contact_names
from workflows.rules.followups import LATE_FLAG, FollowUpKind
from workflows.runtime import Runtime
from workflows.steps import steps_off
from workflows.store.followups import open_followups
from workflows.store.meetings import scheduled_meetings
from workflows.store.models import Followup, Meeting
from workflows.store.status import SourceHealth, recent_errors, source_health

ConnectorState = Literal["ok", "failing", "off", "stale", "never synced"]

KIND_LABELS = {stored: kind.value for kind, stored in STORE_KINDS.items()}
PROGRESS = FollowUpKind.PROGRESS_UPDATE.value
THANK_YOU = FollowUpKind.THANK_YOU.value
SOURCE_LABELS = {
    "airtable": "Airtable",
    "google_contacts": "Google Contacts",
    "google_calendar": "Google Calendar",
    "gmail": "Gmail",
}
SOON = dt.timedelta(days=7)


@dataclass(frozen=True)
class ConnectorStatus:
    """One source or sink (Google Calendar, Contacts, Gmail, Tasks, Airtable) and its health."""

    name: str
    last_success: dt.datetime | None = None
    last_attempt: dt.datetime | None = None
    error: str | None = None  # why the last attempt failed; None when it succeeded
    off: str | None = None  # why it reads nothing (the user left it off) and what to do

    def state(self, now: dt.datetime, stale_after: dt.timedelta) -> ConnectorState:
        """How this connector reads right now; a failure always wins over an older success."""
        if self.error:
            return "failing"
        if self.off:
            return "off"
        if self.last_success is None:
            return "never synced"
        if now - self.last_success > stale_after:
            return "stale"
        return "ok"


@dataclass(frozen=True)
class WaitingMeeting:
    """A completed (or soon completed) interview whose effects are not all done yet."""

    title: str
    contact: str
    ended_at: dt.datetime
    waiting_for: tuple[str, ...] = ()  # e.g. ("thank-you draft", "follow-ups")


@dataclass(frozen=True)
class FollowUpItem:
    """An open follow-up or a reminder: what, for whom, when."""

    title: str
    contact: str
    kind: str  # Thank-you, Action item, Progress update
    due: dt.date


@dataclass(frozen=True)
class RecentError:
    """An error worth a person's attention, newest first."""

    at: dt.datetime
    where: str
    message: str


@dataclass(frozen=True)
class StatusSnapshot:
    """Everything the status page shows, gathered at request time."""

    generated_at: dt.datetime
    account: str = "default"
    connectors: tuple[ConnectorStatus, ...] = ()
    waiting_meetings: tuple[WaitingMeeting, ...] = ()
    open_follow_ups: tuple[FollowUpItem, ...] = ()
    reminders_due: tuple[FollowUpItem, ...] = ()
    late_thank_yous: tuple[FollowUpItem, ...] = ()
    """Thank-yous not sent within 20 hours of their meeting's end (known with gmail.metadata)."""
    recent_errors: tuple[RecentError, ...] = ()
    steps_off: tuple[str, ...] = ()
    """Why each step the base or settings turn off is off (workflows.steps), one line each."""
    stale_after: dt.timedelta = field(default=dt.timedelta(minutes=30))


def status_snapshot(runtime: Runtime) -> StatusSnapshot:
    """The store's view of health, waiting meetings, open follow-ups and recent errors."""
    now = runtime.now()
    with runtime.db.read() as session:
        health = source_health(session, account=runtime.account)
        off = {h.source: source_off(session, h.source, account=runtime.account) for h in health}
        waiting = scheduled_meetings(session, account=runtime.account, ended_by=now, limit=50)
        follow_ups = open_followups(session, account=runtime.account, limit=200)
        people = [m.person_id for m in waiting] + [f.person_id for f in follow_ups]
        names = contact_names(session, people)
        errors = recent_errors(session, account=runtime.account, limit=20)
    soon = now.date() + SOON
    items = [_item(f, names) for f in follow_ups]
    return StatusSnapshot(
        generated_at=dt.datetime.now(dt.UTC),
        account=runtime.account,
        connectors=tuple(_connector(h, off.get(h.source)) for h in health),
        waiting_meetings=tuple(_waiting(m, names) for m in waiting),
        open_follow_ups=tuple(i for i in items if i.kind != PROGRESS),
        reminders_due=tuple(i for i in items if i.kind == PROGRESS and i.due <= soon),
        late_thank_yous=tuple(
            i for i in items if i.kind == THANK_YOU and i.title.endswith(LATE_FLAG)
        ),
        recent_errors=tuple(RecentError(e.occurred_at, e.source, e.message) for e in errors),
        steps_off=tuple(steps_off(runtime).values()),
    )


def _connector(health: SourceHealth, off: str | None) -> ConnectorStatus:
    attempts = [t for t in (health.last_success_at, health.last_error_at) if t is not None]
    return ConnectorStatus(
        name=SOURCE_LABELS.get(health.source, health.source),
        last_success=health.last_success_at,
        last_attempt=max(attempts, default=None),
        error=None if health.healthy else health.last_error,
        off=off,
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
