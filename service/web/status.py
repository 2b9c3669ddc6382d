"""The status page: what the service knows, rendered as HTML a person can read (GET /).

The caller supplies a `StatusSnapshot`; this module decides how each connector's health reads.
A connector whose last attempt failed shows "failing" and why, in red, whatever succeeded
before it; one whose last success is older than the snapshot's `stale_after` shows "stale".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

ConnectorState = Literal["ok", "failing", "stale", "never synced"]


@dataclass(frozen=True)
class ConnectorStatus:
    """One source or sink (Google Calendar, Contacts, Gmail, Tasks, Airtable) and its health."""

    name: str
    last_success: dt.datetime | None = None
    last_attempt: dt.datetime | None = None
    error: str | None = None  # why the last attempt failed; None when it succeeded

    def state(self, now: dt.datetime, stale_after: dt.timedelta) -> ConnectorState:
        """How this connector reads right now; a failure always wins over an older success."""
        if self.error:
            return "failing"
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
    """Everything the status page shows, gathered by the caller at request time."""

    generated_at: dt.datetime
    account: str = "default"
    connectors: tuple[ConnectorStatus, ...] = ()
    waiting_meetings: tuple[WaitingMeeting, ...] = ()
    open_follow_ups: tuple[FollowUpItem, ...] = ()
    reminders_due: tuple[FollowUpItem, ...] = ()
    recent_errors: tuple[RecentError, ...] = ()
    stale_after: dt.timedelta = field(default=dt.timedelta(minutes=30))


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "never"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _ago(value: dt.datetime | None, now: dt.datetime) -> str:
    if value is None:
        return ""
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


_environment = Environment(
    loader=PackageLoader("service.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["when"] = _when


def render_status(snapshot: StatusSnapshot) -> str:
    """The status page's HTML for `snapshot`."""
    now = snapshot.generated_at
    connectors = [
        (connector, connector.state(now, snapshot.stale_after), _ago(connector.last_success, now))
        for connector in snapshot.connectors
    ]
    template = _environment.get_template("status.html.j2")
    return template.render(snapshot=snapshot, connectors=connectors)


router = APIRouter(tags=["status"])


@router.get("/", response_class=HTMLResponse, summary="Status page")
def status_page(request: Request) -> HTMLResponse:
    """Connector health, meetings waiting for effects, follow-ups due soon, recent errors."""
    snapshot = request.app.state.context.status_snapshot()
    return HTMLResponse(render_status(snapshot), headers={"Cache-Control": "no-store"})
