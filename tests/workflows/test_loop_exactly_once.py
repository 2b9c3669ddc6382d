"""Introducer thank-yous, milestones and progress-update drafts exactly once under faults: lost
replies, transient errors, a flaky world and two passes at once (over HTTP)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_introductions import ADA, GRACE, GRACE_ID, grace_introduced_ada
from tests.workflows.world import at, drafts, fast, followups, set_now
from workflows.passes import PassReport, run_once
from workflows.runtime import Runtime

STEPS = (at(2026, 3, 2, 12), at(2026, 3, 10, 9), at(2026, 3, 12, 9))
"""Ada's meeting completes (Grace is thanked); a milestone for Grace; her update falls due."""


def _until_ok(runtime: Runtime, limit: int = 12) -> None:
    for _ in range(limit):
        if run_once(runtime).ok:
            return
    raise AssertionError(f"no clean pass in {limit}")


def _news_on_its_day(sandbox: Sandbox, step: dt.datetime) -> None:
    """On the story's second day the user records news that came from Grace's advice."""
    if step == STEPS[1]:
        news = {"What": "Accepted an offer at Figma", "Date": "2026-03-10", "Contacts": [GRACE_ID]}
        sandbox.airtable.create_record("Milestones", news)


def _the_story(sandbox: Sandbox, runtime: Runtime, before_each: Callable[[], None]) -> None:
    for step in STEPS:
        _news_on_its_day(sandbox, step)
        set_now(runtime, step)
        before_each()
        for _ in range(4):
            run_once(runtime)
        sandbox.clear_faults()
        _until_ok(runtime)
    run_once(runtime)


def _assert_one_of_each(sandbox: Sandbox) -> None:
    subjects = Counter((d["to"][0], d["subject"]) for d in drafts(sandbox))
    assert subjects == Counter(
        {
            (GRACE, "Thank you, Grace!"): 1,
            (ADA, "Thank you, Ada!"): 1,
            (GRACE, "Thank you for introducing me to Ada"): 1,
            (GRACE, "Re: Thank you for introducing me to Ada"): 1,
        }
    )
    (thanks,) = followups(sandbox, "Thank introducer")
    (update,) = followups(sandbox, "Progress update")
    assert thanks["Draft"] and update["Draft"]
    assert update["Due"] == "2026-03-12"
    body = next(d["body"] for d in drafts(sandbox) if d["subject"].startswith("Re: "))
    assert body.count("Accepted an offer at Figma") == 1 and "Ada Lovelace" in body


@pytest.mark.parametrize(
    "target", ["gmail.drafts.create", "airtable.records.create", "airtable.records.update"]
)
def test_lost_replies_make_nothing_twice(
    sandbox_factory: Any, make_runtime: RuntimeFactory, target: str
) -> None:
    sandbox, runtime = grace_introduced_ada(sandbox_factory, make_runtime)

    _the_story(sandbox, runtime, lambda: sandbox.drop_next_writes(target, times=2))

    _assert_one_of_each(sandbox)


def test_a_flaky_world_still_ends_with_one_of_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = grace_introduced_ada(sandbox_factory, make_runtime)

    def flaky() -> None:
        sandbox.set_error_rate("*", 503, 0.2)
        sandbox.set_ambiguous_rate("*", 0.2)

    _the_story(sandbox, runtime, flaky)

    _assert_one_of_each(sandbox)


def test_two_passes_at_once_make_one_of_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, first = grace_introduced_ada(sandbox_factory, make_runtime)
    second = fast(make_runtime(sandbox, now=STEPS[0], init=False), sandbox)
    reports: list[PassReport] = []

    for step in STEPS:
        _news_on_its_day(sandbox, step)
        set_now(first, step)
        set_now(second, step)
        threads = [
            threading.Thread(target=lambda rt=rt: reports.append(run_once(rt)))
            for rt in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        _until_ok(first)

    _assert_one_of_each(sandbox)
