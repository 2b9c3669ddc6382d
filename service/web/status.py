"""The status page, the job seeker's home (GET /): the week at a glance, in the user's zone.

The web context supplies a `Home` (workflows.queries.home): today's and this week's work,
the pipeline, the last 90 days (drawn as inline SVG, service.web.pictures) and, lower on
the page, the connectors' health (workflows.queries.status decides how each reads: "failing"
and why, in red, whatever succeeded before it; "stale" when its last success is older than
`stale_after`; "off", with what to do, when the user left its feature off), the meetings
waiting for their effects and the recent errors. The words for hours left and overdue are
the digest's (workflows.digest), so the page and the digest read alike.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from service.web.pictures import Picture, funnel, histogram
from workflows.digest import day_name, due_on, hours_left, time_name
from workflows.queries.home import Home


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


def _web_link(value: str | None) -> str | None:
    """The link if it is an http(s) address (never a `javascript:` one), else None."""
    return value if value and value.startswith(("https://", "http://")) else None


_environment = Environment(
    loader=PackageLoader("service.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(
    when=_when,
    web_link=_web_link,
    day=day_name,
    moment=time_name,
    hours_left=hours_left,
    due_on=due_on,
)


def pictures(home: Home) -> tuple[Picture, Picture]:
    """The funnel and the thank-you times of the last 90 days."""
    recent = home.recent
    median = recent.median_hours
    summary = (
        f"Median {median:.0f} hours from a meeting's end to its thank-you, over "
        f"{len(recent.thank_you_hours)} sent."
        if median is not None
        else "No thank-you has been seen sent yet (this needs the gmail.metadata scope)."
    )
    return (
        funnel("From asks to introductions", recent.funnel.stages()),
        histogram("Hours from a meeting's end to its thank-you", recent.histogram(), summary),
    )


def render_status(home: Home) -> str:
    """The status page's HTML for `home`."""
    health = home.health
    now = health.generated_at
    connectors = [
        (connector, connector.state(now, health.stale_after), _ago(connector.last_success, now))
        for connector in health.connectors
    ]
    template = _environment.get_template("status.html.j2")
    return template.render(
        home=home, snapshot=health, connectors=connectors, pictures=pictures(home)
    )


router = APIRouter(tags=["status"])


@router.get("/", response_class=HTMLResponse, summary="Status page")
def status_page(request: Request) -> HTMLResponse:
    """The week at a glance, the pipeline, the last 90 days, then connector health and errors."""
    home = request.app.state.context.home()
    return HTMLResponse(render_status(home), headers={"Cache-Control": "no-store"})
