"""Asks and nudges exactly once under faults: lost replies, errors, a flaky world, two passes
at once; over HTTP against the sandbox."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_ask import NADIA, ada
from tests.workflows.test_exactly_once import _until_ok
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    drafts,
    fast,
    followups,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.runtime import Runtime

ABOUT_ME = "I'm a data analyst exploring a move into UX research."
BOB = "bob@builder.example"
WRITES = ("gmail.drafts.create", "airtable.records.create", "airtable.records.update")


def _world(
    sandbox_factory: Any, make_runtime: RuntimeFactory, **config: Any
) -> tuple[Sandbox, Runtime]:
    """Ada and Bob, both To contact with Draft Ask ticked."""
    bob = airtable_contact(
        "recBob0000000001", Name="Bob Builder", Email=BOB, Stage="To contact", **{"Draft Ask": True}
    )
    sandbox: Sandbox = sandbox_factory(
        world(airtable=[NADIA, ada(), bob]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(
        make_runtime(sandbox, now=at(2026, 3, 2, 9), about_me=ABOUT_ME, **config), sandbox
    )
    return sandbox, runtime


def _assert_one_ask_each(sandbox: Sandbox) -> None:
    asks = [d for d in sandbox.drafts() if not d["subject"].startswith(("Re:", "Following"))]
    assert sorted(d["to"][0] for d in asks) == sorted(["ada@figma.example", BOB])
    rows = followups(sandbox, "Ask")
    assert sorted(r["Title"] for r in rows) == [
        "Send Ada your ask for a short conversation",
        "Send Bob your ask for a short conversation",
    ]
    assert all(r.get("Draft") for r in rows)
    ticked = [r for r in sandbox.airtable.records("Contacts") if r["fields"].get("Draft Ask")]
    assert ticked == []


def _assert_one_nudge_each(sandbox: Sandbox) -> None:
    nudges = [d for d in sandbox.drafts() if d["subject"].startswith(("Re:", "Following"))]
    assert sorted(d["to"][0] for d in nudges) == sorted(["ada@figma.example", BOB])
    assert len(followups(sandbox, "Nudge")) == 2


def _requested_and_a_week_on(sandbox: Sandbox, runtime: Runtime) -> None:
    for record_id in ("recAda0000000001", "recBob0000000001"):
        sandbox.airtable.update_record("Contacts", record_id, {"Stage": "Requested"})
    set_now(runtime, at(2026, 3, 2, 12))
    _until_ok(runtime)
    set_now(runtime, at(2026, 3, 9, 13))


@pytest.mark.parametrize("target", WRITES)
def test_asks_and_nudges_whose_replies_are_lost_are_not_repeated(
    sandbox_factory: Any, make_runtime: RuntimeFactory, target: str
) -> None:
    # Given the replies to the next writes of one kind are lost (the writes happened)
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    sandbox.drop_next_writes(target, times=2)

    # When passes run until one is clean, and once more
    _until_ok(runtime)
    run_once(runtime)

    # Then each contact has one ask; and a week after being moved to Requested, one nudge
    _assert_one_ask_each(sandbox)
    _requested_and_a_week_on(sandbox, runtime)
    sandbox.drop_next_writes(target, times=2)
    _until_ok(runtime)
    run_once(runtime)
    _assert_one_nudge_each(sandbox)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_leave_one_ask_and_one_nudge_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory, status: int
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    for target in WRITES:
        sandbox.fail_next(target, status, times=2)
    _until_ok(runtime)
    _assert_one_ask_each(sandbox)

    _requested_and_a_week_on(sandbox, runtime)
    for target in WRITES:
        sandbox.fail_next(target, status, times=2)
    _until_ok(runtime)
    _assert_one_nudge_each(sandbox)


def test_a_flaky_world_still_ends_with_one_ask_and_one_nudge_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given every API fails a fifth of the time and loses a fifth of the write replies
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    # When passes keep running through it, then once more in calm weather
    _through_flaky_weather(sandbox, runtime)

    # Then each has one ask, and one nudge a week after being moved to Requested
    _assert_one_ask_each(sandbox)
    _requested_and_a_week_on(sandbox, runtime)
    _through_flaky_weather(sandbox, runtime)
    _assert_one_nudge_each(sandbox)


def _through_flaky_weather(sandbox: Sandbox, runtime: Runtime) -> None:
    """Passes while every API fails a fifth of the time and loses a fifth of the write
    replies, then passes in calm weather until one is clean."""
    sandbox.set_error_rate("*", 503, 0.2)
    sandbox.set_ambiguous_rate("*", 0.2)
    for _ in range(6):
        run_once(runtime)
    sandbox.clear_faults()
    _until_ok(runtime)


def test_two_passes_at_once_make_one_ask_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given two runs of the service on one database (a second `run --once` by mistake)
    sandbox, first = _world(sandbox_factory, make_runtime)
    second = fast(
        make_runtime(sandbox, now=at(2026, 3, 2, 9), about_me=ABOUT_ME, init=False), sandbox
    )
    run_once(first, ["airtable"])

    # When both make a whole pass at the same time
    threads = [threading.Thread(target=lambda rt=rt: run_once(rt)) for rt in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then, once any retries have run, there is one ask each
    _until_ok(first)
    _assert_one_ask_each(sandbox)
    assert len(drafts(sandbox)) == 2
