"""Follow-ups mirrored to Google Tasks when the tasks sink says so, and only then."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    fast,
    followups,
    guest,
    meeting,
    set_now,
    world,
)
from workflows.passes import run_once

ADA = "ada@analytical.example"


def google_tasks(sandbox: Sandbox) -> dict[str, list[dict[str, Any]]]:
    """The user's task lists by title, each with its tasks."""
    state = sandbox.state()["tasks"]
    titles = {tasklist["id"]: tasklist["title"] for tasklist in state["lists"]}
    found: dict[str, list[dict[str, Any]]] = {}
    for task in state["tasks"]:
        found.setdefault(titles[task["tasklist"]], []).append(task)
    return found


def _flow(sandbox_factory: Any, make_runtime: RuntimeFactory, sink: str) -> Sandbox:
    ada = airtable_contact(
        "recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met", Update_Every_days=7
    )
    event = meeting(
        "evt1",
        "Chat",
        at(2026, 3, 2, 10),
        attendees=[guest(ADA)],
        description="TODO: send the notes link",
    )
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12), tasks_sink=sink), sandbox)
    for when in (at(2026, 3, 2, 12), at(2026, 3, 9, 9), at(2026, 3, 10, 9)):
        set_now(runtime, when)
        report = run_once(runtime)
        assert report.ok, report.failures
    return sandbox


@pytest.mark.parametrize("sink", ["google", "both"])
def test_follow_ups_are_mirrored_to_the_followthrough_task_list(
    sandbox_factory: Any, make_runtime: RuntimeFactory, sink: str
) -> None:
    sandbox = _flow(sandbox_factory, make_runtime, sink)

    lists = google_tasks(sandbox)
    assert list(lists) == ["Followthrough"]
    titles = sorted(t["title"] for t in lists["Followthrough"])
    assert titles == [
        "Send Ada a thank-you",
        "Send Ada an update on your progress",
        "send the notes link",
    ]
    due = {t["title"]: t["due"][:10] for t in lists["Followthrough"]}
    assert due["Send Ada a thank-you"] == "2026-03-03"
    assert due["send the notes link"] == "2026-03-09"
    # and Airtable has the same three follow-ups
    assert len(followups(sandbox)) == 3


def test_the_airtable_sink_makes_no_google_tasks(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox = _flow(sandbox_factory, make_runtime, "airtable")

    assert google_tasks(sandbox) == {}
    assert len(followups(sandbox)) == 3
