"""A pass syncs its sources at the same time, and nothing depends on which one finishes first.

The calendar's first pass waits for the contacts (every past event is judged once, against
everyone); later passes run the three together. A contact that arrives in the same pass as
an interview with them still gets the interview noticed, whichever source lands first.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows import world as w
from tests.workflows.conftest import RuntimeFactory
from workflows.passes import run_once
from workflows.rules.followups import NO_NOTES_HINT
from workflows.runtime import Runtime
from workflows.store.meetings import scheduled_meetings
from workflows.sync import stages

ADA = "ada@analytical.example"
BEA = "bea@botany.example"
NOW = w.at(2026, 3, 2, 9)


def _runtime(
    sandbox_factory: Any, make_runtime: RuntimeFactory, fixture: dict[str, Any], **kw: Any
) -> tuple[Sandbox, Runtime]:
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=w.FAST_AIRTABLE)
    return sandbox, w.fast(make_runtime(sandbox, now=NOW, **kw), sandbox)


def test_the_calendar_waits_for_the_contacts_only_on_its_first_pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    _, runtime = _runtime(sandbox_factory, make_runtime, w.world())
    every = ["airtable", "google_contacts", "google_calendar"]
    assert stages(runtime, every) == [["airtable", "google_contacts"], ["google_calendar"]]

    assert run_once(runtime).ok

    assert stages(runtime, every) == [every]
    assert stages(runtime, ["google_calendar"]) == [["google_calendar"]]


def test_an_interview_with_a_past_contact_from_the_first_pass_is_history(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Ada is only in Airtable; her interview last week must be judged against her on the
    # calendar's first pass, or it would never be seen as an interview at all
    ada = w.airtable_contact("recAda0000000001", Name="Ada", Email=ADA, Stage="Met")
    chat = w.meeting("evtada", "Chat", w.at(2026, 2, 23, 10), attendees=[w.guest(ADA)])
    sandbox, runtime = _runtime(
        sandbox_factory, make_runtime, w.world(events=[chat], airtable=[ada])
    )

    report = run_once(runtime)

    assert report.ok, report.failures
    met = [r["fields"] for r in sandbox.airtable.records("Meetings")]
    assert [m["Event ID"] for m in met] == ["evtada"]
    assert w.drafts(sandbox) == []  # history: remembered, no thank-you a week late


@pytest.mark.parametrize("slow", ["airtable", "calendar"])
def test_a_contact_and_their_interview_arriving_in_one_pass_get_the_thank_you(
    sandbox_factory: Any, make_runtime: RuntimeFactory, slow: str
) -> None:
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, w.world())
    assert run_once(runtime).ok  # the first pass: nothing to do yet
    # Bea is added to Airtable and an interview with her ends, both before the next pass;
    # one source answers slowly, so the other lands first
    sandbox.airtable.create_record("Contacts", {"Name": "Bea Botanist", "Email": BEA})
    sandbox.add_event(w.meeting("evtbea", "Chat", w.at(2026, 3, 2, 10), attendees=[w.guest(BEA)]))
    sandbox.faults.latency[slow] = 0.3
    w.set_now(runtime, w.at(2026, 3, 2, 11))

    report = run_once(runtime)

    assert report.ok, report.failures
    assert [BEA in str(d["to"]) for d in w.drafts(sandbox)] == [True]
    titles = [f["Title"] for f in w.followups(sandbox, "Thank-you")]
    assert titles == [f"Send Bea a thank-you {NO_NOTES_HINT}"]  # the invite had no notes


def test_a_contact_made_by_a_thank_you_has_their_next_meeting_noticed_in_the_same_pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # A coffee chat with Zoe, known to nobody, qualifies by its title; a lunch with her next
    # week does not, until the chat's completion makes her an Airtable contact
    zoe = w.guest("zoe@mentor.example", "Zoe Mentor")
    events = [
        w.meeting("evtcoffee", "Coffee chat", w.at(2026, 3, 2, 10), attendees=[zoe]),
        w.meeting("evtlunch", "Lunch", w.at(2026, 3, 9, 12), attendees=[zoe]),
    ]
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, w.world(events=events))
    w.set_now(runtime, w.at(2026, 3, 2, 8))
    assert run_once(runtime).ok  # before the chat: only the chat is an interview
    w.set_now(runtime, w.at(2026, 3, 2, 11))

    report = run_once(runtime)

    assert report.ok, report.failures
    with runtime.db.read() as session:
        interviews = {m.event_id for m in scheduled_meetings(session, account=runtime.account)}
    assert interviews == {"evtlunch"}
    assert len(w.drafts(sandbox)) == 1
