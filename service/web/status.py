"""The status page: what the service knows, rendered as HTML a person can read (GET /).

The web context supplies a `StatusSnapshot` (workflows.queries.status, which also decides how
each connector's health reads: "failing" and why, in red, whatever succeeded before it;
"stale" when its last success is older than the snapshot's `stale_after`; "off", with what
to do, when the user left its feature off).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from workflows.queries.status import StatusSnapshot


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
