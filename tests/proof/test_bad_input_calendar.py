"""Hostile calendar times, end to end: an event whose dates no arithmetic can hold (year 1,
year 9999) is skipped with a reason a user can read, and the good interview on the same page
still gets its draft.

The rule is tested alone in tests/workflows/rules/test_qualify.py; here the events come in
through the sandbox's Calendar API (an incremental sync, so that they share a page with the
good interview) and a whole `run_once` pass.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.server import Sandbox
from tests.proof.conftest import CapturedLog
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    NEW_YORK,
    airtable_contact,
    at,
    clean_pass,
    drafts,
    fast,
    guest,
    me,
    meeting,
    meetings_by_event,
    world,
)
from workflows.rules.qualify import Reason

ADA = "ada@analytical.example"
ADA_ROW = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Scheduled")


def _timed(event_id: str, start: str, end: str, zone: str | None = NEW_YORK) -> dict[str, Any]:
    """An interview-titled event at raw RFC 3339 times (with the event's zone, if any)."""
    where = {"timeZone": zone} if zone else {}
    return {
        "id": event_id,
        "summary": "Informational interview",
        "start": {"dateTime": start, **where},
        "end": {"dateTime": end, **where},
        "attendees": [me(), guest("odd@times.example", "Otto Odd")],
    }


def _bad_times() -> list[dict[str, Any]]:
    """Events Google holds but whose instants overflow what Followthrough computes with."""
    return [
        _timed("evtyear1", "0001-01-01T10:00:00Z", "0001-01-01T11:00:00Z"),
        # Year 1 at +05:00 is in year 0 in UTC: not even an instant Python can hold
        _timed("evtyear0", "0001-01-01T01:00:00+05:00", "0001-01-01T02:00:00+05:00", None),
        # The end plus the grace period is in year 10000
        _timed("evtyear9999", "9999-12-31T23:00:00Z", "9999-12-31T23:55:00Z"),
        # The end is in year 10000 in UTC (and so in New York)
        _timed("evtyear10000", "9999-12-31T22:00:00-05:00", "9999-12-31T23:00:00-05:00"),
    ]


def test_events_in_year_1_or_9999_are_skipped_and_the_rest_of_the_page_is_not(
    sandbox_factory: Any, make_runtime: RuntimeFactory, captured_log: CapturedLog
) -> None:
    # Given a calendar Followthrough has synced once
    sandbox: Sandbox = sandbox_factory(
        world(events=[], airtable=[ADA_ROW]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 8)), sandbox)
    clean_pass(runtime)

    # When events at unrepresentable times arrive on one page with a good interview
    for event in _bad_times():
        sandbox.add_event(event)
    sandbox.add_event(meeting("evtgood", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)]))
    report = clean_pass(runtime, at(2026, 3, 2, 11))

    # Then the good interview got its draft and its Meetings row, and nothing else did
    assert len(drafts(sandbox)) == 1
    assert list(meetings_by_event(sandbox)) == ["evtgood"]
    # and each bad event was skipped with a reason in the log and the pass report
    (calendar,) = [s for s in report.syncs if s.source == "google_calendar"]
    unreadable = {s.record_id: s.reason for s in calendar.skipped}
    assert set(unreadable) == {"evtyear0", "evtyear10000"}
    assert all("not a readable time" in why for why in unreadable.values())
    logged = {e["record_id"]: e["reason"] for e in captured_log.events("calendar.skipped")}
    assert logged["evtyear1"] == Reason.OUT_OF_RANGE.value
    # (year 9999 lies past the calendar's horizon, a year ahead: dropped, and counted)
    assert [e["events"] for e in captured_log.events("calendar.beyond_horizon")] == [1]
    assert {"evtyear0", "evtyear10000"} <= set(logged)
