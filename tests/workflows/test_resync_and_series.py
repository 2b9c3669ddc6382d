"""Whole passes across resyncs and series changes: nothing twice, nothing lost, nothing undone."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    contact,
    drafts,
    fast,
    followups,
    google_person,
    guest,
    meeting,
    meetings_by_event,
    rows,
    set_now,
    world,
)
from workflows.runtime import Runtime
from workflows.store.people import find_person

ADA = "ada@analytical.example"
ZOE = "zoe@mentor.example"
GRACE = "grace@navy.example"


def _zoe_weekly(weeks: int) -> dict[str, Any]:
    """A weekly coffee chat with Zoe at 10:00 New York from March 2, `weeks` long."""
    return meeting(
        "evtweekly",
        "Weekly coffee chat",
        at(2026, 3, 2, 10),
        attendees=[guest(ZOE, "Zoe Mentor")],
        recurrence=[f"RRULE:FREQ=WEEKLY;COUNT={weeks}"],
    )


def _ada_world(sandbox_factory: Any, make_runtime: RuntimeFactory) -> tuple[Sandbox, Runtime]:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting(
        "evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description="TODO: send it"
    )
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    assert len(drafts(sandbox)) == 1
    return sandbox, runtime


@pytest.mark.parametrize("reason", [True, False], ids=["with-reason", "bare-410"])
def test_expired_sync_tokens_make_a_full_sync_that_repeats_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory, reason: bool
) -> None:
    sandbox, runtime = _ada_world(sandbox_factory, make_runtime)

    # When every sync token goes stale (answered by Google's reasons, or by a bare 410)
    sandbox.expire_sync_tokens(reason=reason)
    sandbox.airtable.expire_webhook_payloads()
    set_now(runtime, at(2026, 3, 3, 9))
    clean_pass(runtime)
    clean_pass(runtime)

    assert len(drafts(sandbox)) == 1
    assert len(followups(sandbox)) == 2
    assert [m["Status"] for m in rows(sandbox, "Meetings")] == ["Completed"]


@pytest.mark.parametrize("with_reason", [True, False], ids=["reason", "status-and-message"])
def test_an_expired_contacts_token_in_either_shape_resyncs_contacts_and_loses_no_one(
    sandbox_factory: Any, make_runtime: RuntimeFactory, with_reason: bool
) -> None:
    # Given Google Contacts read once, knowing Ada
    ada = google_person("people/c1", "Ada Lovelace", ADA, company="Analytical Engines")
    grace = google_person("people/c2", "Grace Hopper", GRACE, company="Navy")
    chats = [
        meeting("evt1", "Coffee chat", at(2026, 3, 3, 10), attendees=[guest(ADA)]),
        meeting("evt2", "Coffee chat", at(2026, 3, 3, 14), attendees=[guest(GRACE)]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=chats, contacts=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    # When the contacts sync token expires (Google may name the reason or only the status),
    # and Grace is added to Google Contacts meanwhile
    sandbox.expire_sync_tokens("people", with_reason=with_reason)
    sandbox.add_contact(grace)
    clean_pass(runtime, at(2026, 3, 3, 16))

    # Then both chats find their person as Google knows them: the one read before, and the new
    assert contact(sandbox, ADA)["Company"] == "Analytical Engines"
    assert contact(sandbox, GRACE)["Company"] == "Navy"
    assert len(drafts(sandbox)) == 2


def test_a_notes_edit_is_not_lost_when_the_webhook_must_be_made_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_world(sandbox_factory, make_runtime)

    record = sandbox.airtable.records("Meetings")[0]
    sandbox.airtable.update_record("Meetings", record["id"], {"Notes": "TODO: send it\nTODO: call"})
    sandbox.airtable.expire_webhooks()
    set_now(runtime, at(2026, 3, 3, 9))
    clean_pass(runtime)

    assert sorted(f["Title"] for f in followups(sandbox, "Action item")) == ["call", "send it"]
    assert "call" in drafts(sandbox)[0]["body"]


def test_edits_made_while_the_webhook_lapsed_are_applied_once_it_is_replaced(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a first pass, then a laptop closed for ten days: the webhook lapses unread
    sandbox, runtime = _ada_world(sandbox_factory, make_runtime)
    bob = sandbox.airtable.create_record("Contacts", {"Name": "Bob", "Email": "bob@b.example"})
    clean_pass(runtime)
    sandbox.airtable.expire_webhooks()

    # When the user edits the base meanwhile (a lapsed webhook records none of it)
    record = sandbox.airtable.records("Meetings")[0]
    sandbox.airtable.update_record("Meetings", record["id"], {"Notes": "TODO: send it\nTODO: call"})
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Inactive"})
    sandbox.airtable.delete_record("Contacts", bob["id"])
    set_now(runtime, at(2026, 3, 12, 9))
    clean_pass(runtime)

    # Then every edit is applied, under one new webhook
    assert sorted(f["Title"] for f in followups(sandbox, "Action item")) == ["call", "send it"]
    with runtime.db.read() as session:
        ada = find_person(session, ADA, account=runtime.account)
        gone = find_person(session, "bob@b.example", account=runtime.account)
    assert ada is not None and ada.stage == "Inactive"
    assert gone is not None and gone.live_airtable_id is None
    hooks = sandbox.airtable.webhooks.listing()
    assert [h["isHookEnabled"] for h in hooks] == [True]


def test_a_completed_meeting_cancelled_later_stays_completed(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_world(sandbox_factory, make_runtime)

    sandbox.cancel_event("evt1")
    set_now(runtime, at(2026, 3, 3, 9))
    clean_pass(runtime)

    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"
    assert len(drafts(sandbox)) == 1 and len(followups(sandbox)) == 2


def test_a_cancelled_series_cancels_its_future_interviews_only(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a weekly coffee chat with Zoe, three weeks long; the first has happened
    series = _zoe_weekly(weeks=3)
    sandbox: Sandbox = sandbox_factory(world(events=[series]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    assert len(drafts(sandbox)) == 1

    # When Zoe cancels the rest of the series, and the weeks go by
    sandbox.cancel_event("evtweekly")
    set_now(runtime, at(2026, 3, 3, 9))
    clean_pass(runtime)
    set_now(runtime, at(2026, 3, 20, 9))
    clean_pass(runtime)

    # Then the first stays Completed, the others say Cancelled, and no more drafts came
    statuses = sorted(m["Status"] for m in rows(sandbox, "Meetings"))
    assert statuses == ["Cancelled", "Cancelled", "Completed"]
    assert len(drafts(sandbox)) == 1
    assert len(followups(sandbox, "Thank-you")) == 1


def test_one_moved_instance_of_a_series_completes_at_its_new_time(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a weekly coffee chat with Zoe across the DST change (10:00 New York each week)
    series = _zoe_weekly(weeks=2)
    sandbox: Sandbox = sandbox_factory(world(events=[series]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 1, 9)), sandbox)
    clean_pass(runtime)

    # When the second one (March 9, after DST began) moves to the next day
    sandbox.move_event(
        "evtweekly_20260309T140000Z",
        {"dateTime": at(2026, 3, 10, 16).isoformat()},
        {"dateTime": at(2026, 3, 10, 16, 30).isoformat()},
    )
    set_now(runtime, at(2026, 3, 9, 12))
    clean_pass(runtime)
    assert len(drafts(sandbox)) == 1  # only the first week's
    set_now(runtime, at(2026, 3, 10, 17))
    clean_pass(runtime)

    # Then the moved one got its draft then, dated its new day
    assert len(drafts(sandbox)) == 2
    # (written on March 10: its old day, March 9, would be "yesterday")
    assert any(" today" in d["body"] for d in drafts(sandbox))
    due = sorted(f["Due"] for f in followups(sandbox, "Thank-you"))
    assert due == ["2026-03-03", "2026-03-11"]
    assert sorted(m["Status"] for m in rows(sandbox, "Meetings")) == ["Completed", "Completed"]


def test_one_cancelled_instance_of_a_series_is_cancelled_and_the_rest_still_count(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a weekly coffee chat with Zoe, three weeks long, known before it starts
    series = _zoe_weekly(weeks=3)
    sandbox: Sandbox = sandbox_factory(world(events=[series]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 1, 9)), sandbox)
    clean_pass(runtime)
    assert [m["Status"] for m in rows(sandbox, "Meetings")] == ["Scheduled"] * 3

    # When Zoe cancels the second week only (March 9, after DST began), and the weeks go by
    sandbox.cancel_event("evtweekly_20260309T140000Z")
    for day in (2, 9, 16):
        clean_pass(runtime, at(2026, 3, day, 12))

    # Then the cancelled week says Cancelled and got nothing; the first and third got theirs
    meetings = meetings_by_event(sandbox)
    assert meetings["evtweekly_20260309T140000Z"]["Status"] == "Cancelled"
    assert meetings["evtweekly_20260302T150000Z"]["Status"] == "Completed"
    assert meetings["evtweekly_20260316T140000Z"]["Status"] == "Completed"
    assert len(drafts(sandbox)) == 2
    due = sorted(f["Due"] for f in followups(sandbox, "Thank-you"))
    assert due == ["2026-03-03", "2026-03-17"]
