"""Meetings rows go to Airtable as their drafts are written, not after the last draft."""

from __future__ import annotations

from typing import Any

from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    at,
    chats_with_new_people,
    drafts,
    meetings_by_event,
)
from workflows.passes import run_once


def test_meetings_rows_are_written_while_later_drafts_are_still_being_written(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given 22 coffee chats with new people that ended this morning, and Gmail slow to answer
    sandbox = sandbox_factory(chats_with_new_people(22), airtable_rate_limit=FAST_AIRTABLE)
    sandbox.faults.latency["gmail.drafts.create"] = 0.2
    runtime = make_runtime(sandbox, now=at(2026, 3, 2, 12))

    # When a pass completes them
    assert run_once(runtime).ok

    # Then the first Meetings rows were sent before the last draft was asked for
    log = [e for e in sandbox.requests_log() if not e["route"].startswith("control.")]
    meeting_writes = [
        n
        for n, e in enumerate(log)
        if e["route"].startswith("airtable.records") and "Meetings" in e["path"]
        if e["method"] != "GET"  # the first sync's read of the empty table
    ]
    draft_creates = [n for n, e in enumerate(log) if e["route"] == "gmail.drafts.create"]
    assert len(draft_creates) == 22
    assert meeting_writes[0] < draft_creates[-1]
    # And every meeting has one draft and its Meetings row links it, ten rows a request
    assert len(drafts(sandbox)) == 22
    rows = meetings_by_event(sandbox)
    assert all(rows[f"evt{i:02d}"].get("Thank-you Draft") for i in range(22))
    assert len(meeting_writes) == 3
