"""Briefs, Prepare and Reschedule follow-ups exactly once under faults: errors, lost replies, a
flaky world and two passes at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_tasks_mirror import google_tasks
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import PassReport, run_once
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
BOB = "bob@builder.example"
DUE = at(2026, 3, 4, 17)
"""Ada's brief is due (17 hours before her meeting) and Bob's cancellation is a day old."""


def _before_faults(
    sandbox_factory: Any, make_runtime: RuntimeFactory, **config: Any
) -> tuple[Sandbox, Runtime]:
    """Ada meets the user on March 5; Bob cancelled his March 6 meeting on March 3."""
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Role="CTO")
    bob = airtable_contact("recBob0000000001", Name="Bob Builder", Email=BOB)
    events = [
        meeting("evtada", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)]),
        meeting("evtbob", "Coffee chat", at(2026, 3, 6, 10), attendees=[guest(BOB)]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada, bob]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), **config), sandbox)
    clean_pass(runtime)
    sandbox.cancel_event("evtbob")
    clean_pass(runtime, at(2026, 3, 3, 16))
    set_now(runtime, DUE)
    sandbox.reset_requests()
    return sandbox, runtime


def _assert_exactly_once(sandbox: Sandbox, *, tasks: bool = False) -> None:
    rows = meetings_by_event(sandbox)
    assert rows["evtada"]["Brief"].startswith("Brief for your conversation with Ada Lovelace")
    assert "Ada Lovelace works as a CTO." in rows["evtada"]["Brief"]
    assert "Brief" not in rows["evtbob"]
    kinds = sorted((f["Kind"], f["Title"]) for f in followups(sandbox) if f["Kind"] != "Thank-you")
    assert kinds == [
        ("Prepare", "Prepare for your conversation with Ada: read the Brief in the meeting's row"),
        ("Reschedule", "Offer Bob a new time: your conversation on Friday, March 6 was cancelled"),
    ]
    if tasks:
        titles = sorted(t["title"] for t in google_tasks(sandbox)["Followthrough"])
        assert titles == sorted(title for _, title in kinds)


def _assert_prepare_done_once_started(sandbox: Sandbox, runtime: Runtime) -> None:
    """After Ada's meeting starts, her Prepare follow-up is Done in Airtable and Google Tasks."""
    set_now(runtime, at(2026, 3, 5, 10, 1))
    _until_ok(runtime)
    (prepare,) = followups(sandbox, "Prepare")
    assert prepare["Status"] == "Done"
    tasks = google_tasks(sandbox)["Followthrough"]
    assert [t["status"] for t in tasks if t["title"].startswith("Prepare")] == ["completed"]


def _until_ok(runtime: Runtime, limit: int = 12) -> None:
    for _ in range(limit):
        if run_once(runtime).ok:
            return
    raise AssertionError("no clean pass")


@pytest.mark.parametrize("target", ["airtable.records.update", "tasks.tasks.insert"])
def test_writes_whose_replies_are_lost_are_not_repeated(
    sandbox_factory: Any, make_runtime: RuntimeFactory, target: str
) -> None:
    sandbox, runtime = _before_faults(sandbox_factory, make_runtime, tasks_sink="both")
    sandbox.drop_next_writes(target, times=2)

    _until_ok(runtime)
    run_once(runtime)

    assert sandbox.request_counts()[target] >= 2  # the faults met writes of this pass
    _assert_exactly_once(sandbox, tasks=True)


def test_a_flaky_world_still_ends_with_one_of_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _before_faults(sandbox_factory, make_runtime, tasks_sink="both")
    sandbox.set_error_rate("*", 503, 0.25)
    sandbox.set_ambiguous_rate("*", 0.25)

    for _ in range(6):
        run_once(runtime)
    sandbox.clear_faults()
    _until_ok(runtime)

    _assert_exactly_once(sandbox, tasks=True)
    _assert_prepare_done_once_started(sandbox, runtime)


def test_two_passes_at_once_make_one_of_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, first = _before_faults(sandbox_factory, make_runtime, tasks_sink="both")
    second = fast(make_runtime(sandbox, now=DUE, tasks_sink="both", init=False), sandbox)

    reports: list[PassReport] = []
    threads = [
        threading.Thread(target=lambda rt=rt: reports.append(run_once(rt)))
        for rt in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    _until_ok(first)
    _assert_exactly_once(sandbox, tasks=True)
