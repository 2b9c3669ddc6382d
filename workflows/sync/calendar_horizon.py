"""How far ahead the calendar is kept: a year, whatever Google expands.

With `singleEvents=true` Google expands a series that has no end decades ahead, and an
incremental sync cannot be bounded in time (Google refuses timeMin/timeMax beside a sync
token). So the first sync reads up to the horizon, every page drops the instances past it
(nothing beyond it is stored), and as time moves the horizon on (a month at a time), the
instances of the series seen near it are read for the new stretch: a request per series.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace

import structlog
from sqlalchemy.orm import Session

from connectors.errors import NotFound
from connectors.google.calendar import CalendarClient
from connectors.records import CalendarEvent, CalendarPage
from workflows.facts import get_fact, set_fact
from workflows.runtime import Runtime

log = structlog.get_logger(__name__)

HORIZON = dt.timedelta(days=365)
"""How far ahead events are kept: interviews are arranged weeks ahead, not years."""
STEP = dt.timedelta(days=30)
"""The horizon moves on when it is this far behind `now + HORIZON`."""
SERIES_REACH = dt.timedelta(days=366)
"""A series with an instance this close to the old horizon may go on past it (a yearly one)."""


def within(page: CalendarPage, horizon: dt.datetime) -> CalendarPage:
    """The page without the events that start after `horizon` (counted in the log)."""
    kept = tuple(event for event in page.records if not _beyond(event, horizon))
    if len(kept) < len(page.records):
        log.info("calendar.beyond_horizon", events=len(page.records) - len(kept))
    return replace(page, records=kept)


def _beyond(event: CalendarEvent, horizon: dt.datetime) -> bool:
    start = event.start
    if isinstance(start, dt.datetime):
        return start > horizon
    return start is not None and start > horizon.date()


def note_series(
    runtime: Runtime, session: Session, page: CalendarPage, horizon: dt.datetime | None
) -> None:
    """Remember, in the page's transaction, each series' latest kept instance (and the
    horizon a full sync read up to)."""
    series = [e for e in page.records if e.recurring_event_id and isinstance(e.start, dt.datetime)]
    if not series and horizon is None:
        return  # nothing to note: no write
    latest = _series(runtime, session)
    for event in series:
        if event.recurring_event_id and isinstance(event.start, dt.datetime):
            known = latest.get(event.recurring_event_id)
            if known is None or event.start > known:
                latest[event.recurring_event_id] = event.start
    _store(runtime, session, latest, horizon)


def later_instances(
    runtime: Runtime, calendar: CalendarClient, now: dt.datetime
) -> Iterator[CalendarPage]:
    """The instances that came within the horizon since it last moved, by page; the new
    horizon is stored once they are all yielded (so a failure reads them again next time)."""
    with runtime.db.read() as session:
        stored = get_fact(session, _name(runtime, "horizon"), account=runtime.account)
        latest = _series(runtime, session)
    new = now + HORIZON
    if stored is None:  # kept before horizons were: everything it has is within one
        with runtime.db.transaction() as session:
            _store(runtime, session, latest, new)
        return
    old = dt.datetime.fromisoformat(stored)
    if new - old < STEP:
        return
    gone = []
    for series_id, last in sorted(latest.items()):
        if last < old - SERIES_REACH:
            continue  # ended long before the horizon
        try:
            yield from calendar.instances(runtime.config.calendar_id, series_id, old, new)
        except NotFound:
            gone.append(series_id)  # the series was deleted
    log.info("calendar.horizon_moved", horizon=new.isoformat(), series=len(latest) - len(gone))
    with runtime.db.transaction() as session:
        current = _series(runtime, session)  # with what the pages just read noted
        _store(runtime, session, {k: v for k, v in current.items() if k not in gone}, new)


def _name(runtime: Runtime, what: str) -> str:
    return f"fact:calendar_{what}:{runtime.config.calendar_id}"


def _series(runtime: Runtime, session: Session) -> dict[str, dt.datetime]:
    value = get_fact(session, _name(runtime, "series"), account=runtime.account)
    stored = json.loads(value) if value else {}
    return {series: dt.datetime.fromisoformat(start) for series, start in stored.items()}


def _store(
    runtime: Runtime,
    session: Session,
    latest: dict[str, dt.datetime],
    horizon: dt.datetime | None,
) -> None:
    value = json.dumps({series: start.isoformat() for series, start in sorted(latest.items())})
    set_fact(session, _name(runtime, "series"), value, account=runtime.account)
    if horizon is not None:
        set_fact(session, _name(runtime, "horizon"), horizon.isoformat(), account=runtime.account)
