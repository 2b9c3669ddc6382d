"""An interview moved after Followthrough first saw it: one meeting, one draft, at the new time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.fixture import small_fixture
from tests.workflows.conftest import RuntimeFactory
from workflows.passes import run_once
from workflows.rules.clock import Clock

EST = dt.timezone(dt.timedelta(hours=-5))
BEFORE_ADA = dt.datetime(2026, 3, 2, 8, 0, tzinfo=EST)
ADA_EVENT = "evtinterviewada01"


def test_a_moved_interview_gets_one_draft_after_its_new_end(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's interview (10:00-10:30) is known before it happens
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=BEFORE_ADA)
    run_once(runtime)

    # When Ada asks to meet the next day instead, and both days go by
    next_day = dt.timedelta(days=1)
    sandbox.move_event(
        ADA_EVENT,
        {"dateTime": dt.datetime(2026, 3, 3, 10, 0, tzinfo=EST).isoformat()},
        {"dateTime": dt.datetime(2026, 3, 3, 10, 30, tzinfo=EST).isoformat()},
    )
    runtime.clock = Clock.frozen_at(BEFORE_ADA + dt.timedelta(hours=4))
    first_day = run_once(runtime)
    runtime.clock = Clock.frozen_at(BEFORE_ADA + next_day + dt.timedelta(hours=4))
    second_day = run_once(runtime)

    # Then nothing was drafted on the old day, and exactly one draft exists, for the new day
    assert first_day.ok and second_day.ok, (first_day.failures, second_day.failures)
    drafts = sandbox.drafts()
    assert len(drafts) == 1
    assert " today" in drafts[0]["body"]  # written on March 3: the old day is "yesterday"
    meetings = [r["fields"] for r in sandbox.airtable.records("Meetings")]
    assert [m["Status"] for m in meetings] == ["Completed"]


def test_an_interview_moved_by_its_start_alone_follows_its_new_times_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's interview (10:00-10:30) is known before it happens
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=BEFORE_ADA)
    assert run_once(runtime).ok

    # When only its start moves, to 09:40 (same end), and the morning goes by
    sandbox.update_event(
        ADA_EVENT, {"start": {"dateTime": dt.datetime(2026, 3, 2, 9, 40, tzinfo=EST).isoformat()}}
    )
    runtime.clock = Clock.frozen_at(dt.datetime(2026, 3, 2, 9, 45, tzinfo=EST))
    during = run_once(runtime)
    runtime.clock = Clock.frozen_at(BEFORE_ADA + dt.timedelta(hours=4))
    after = run_once(runtime)

    # Then the Meetings row shows the new start and the same end, and nothing is doubled
    assert during.ok and after.ok, (during.failures, after.failures)
    meetings = [r["fields"] for r in sandbox.airtable.records("Meetings")]
    assert len(meetings) == 1
    assert meetings[0]["Start"].startswith("2026-03-02T14:40")  # 09:40 EST in UTC
    assert meetings[0]["End"].startswith("2026-03-02T15:30")
    assert meetings[0]["Status"] == "Completed"
    assert len(sandbox.drafts()) == 1
    kinds = [r["fields"]["Kind"] for r in sandbox.airtable.records("Follow-ups")]
    assert kinds.count("Thank-you") == 1
