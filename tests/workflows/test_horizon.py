"""Series with no end: Google expands them decades ahead; Followthrough keeps a year, and reads
each series' new instances as time moves the horizon on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    at,
    clean_pass,
    drafts,
    fast,
    guest,
    meeting,
    world,
)
from workflows.store.models import Event, Meeting

ZOE = "zoe@mentor.example"


def _weekly(event_id: str, title: str, attendees: list[dict[str, Any]]) -> dict[str, Any]:
    series = meeting(event_id, title, at(2026, 3, 2, 10), attendees=attendees)
    series["recurrence"] = ["RRULE:FREQ=WEEKLY"]  # no COUNT, no UNTIL: it never ends
    return series


def test_the_first_sync_of_twenty_endless_series_keeps_a_year_in_one_request(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [_weekly(f"series{i:02d}", f"Standup {i}", []) for i in range(20)]
    sandbox: Sandbox = sandbox_factory(world(events=events), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)

    clean_pass(runtime)

    assert sandbox.request_counts()["calendar.events.list"] == 1  # Google's expansion: 9 pages
    with runtime.db.read() as session:
        kept = session.scalar(sa.select(sa.func.count()).select_from(Event))
    assert 20 * 52 <= kept <= 20 * 54  # a year of weeks each, nothing beyond


def test_an_endless_series_still_brings_its_interviews_a_year_on(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    chat = _weekly("zoechat", "Weekly coffee chat", [guest(ZOE, "Zoe Mentor")])
    sandbox: Sandbox = sandbox_factory(world(events=[chat]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    assert len(drafts(sandbox)) == 1
    sandbox.reset_requests()

    # Thirteen months on, the week's chat lies past the first sync's horizon
    clean_pass(runtime, at(2027, 4, 5, 12))

    assert sandbox.request_counts()["calendar.events.instances"] == 1
    with runtime.db.read() as session:
        week = session.scalars(sa.select(Meeting).where(Meeting.start == at(2027, 4, 5, 10))).one()
        last = session.scalar(sa.select(sa.func.max(Meeting.start)))
    assert week.status == "completed" and week.draft_id is not None  # it just ended
    assert last is not None and last <= at(2028, 4, 5, 12)  # and a year ahead is kept
