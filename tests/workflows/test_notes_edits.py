"""Notes the user writes in Airtable's Meetings table, before and after the draft exists."""

from __future__ import annotations

from typing import Any

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_tasks_mirror import google_tasks
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
NOTES = "Insight: start with the data model\nTODO: send the notes link"
MORE = NOTES + "\nTakeaway: ship small\nTODO: share the deck"


def _world(
    sandbox_factory: Any, make_runtime: RuntimeFactory, when: Any
) -> tuple[Sandbox, Runtime]:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=when), sandbox)
    report = run_once(runtime)
    assert report.ok, report.failures
    return sandbox, runtime


def _edit_notes(sandbox: Sandbox, notes: str) -> None:
    record = next(
        r for r in sandbox.airtable.records("Meetings") if r["fields"]["Event ID"] == "evt1"
    )
    sandbox.airtable.update_record("Meetings", record["id"], {"Notes": notes})


def test_notes_edited_after_the_draft_regenerate_it_and_add_only_new_action_items(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, at(2026, 3, 2, 11))
    (before,) = drafts(sandbox)

    # When the user adds to the meeting's notes in Airtable
    _edit_notes(sandbox, MORE)
    set_now(runtime, at(2026, 3, 2, 12))
    report = run_once(runtime)

    # Then the one draft now says it, and only the new promise became an Action item
    assert report.ok, report.failures
    (after,) = drafts(sandbox)
    assert after["id"] == before["id"]
    assert "  - Ship small.\r\n" in after["body"] and "share the deck" in after["body"]
    actions = sorted(f["Title"] for f in followups(sandbox, "Action item"))
    assert actions == ["send the notes link", "share the deck"]
    assert len(followups(sandbox, "Thank-you")) == 1
    assert meetings_by_event(sandbox)["evt1"]["Notes"] == MORE

    # and a pass with nothing new changes nothing
    again = run_once(runtime)
    assert again.ok, again.failures
    assert len(drafts(sandbox)) == 1 and len(followups(sandbox)) == 3


def test_a_sent_draft_is_left_alone_but_new_promises_still_count(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, at(2026, 3, 2, 11))
    (draft,) = drafts(sandbox)
    sandbox.mark_draft_sent(draft["id"])

    _edit_notes(sandbox, MORE)
    set_now(runtime, at(2026, 3, 2, 12))
    report = run_once(runtime)

    assert report.ok, report.failures
    assert drafts(sandbox) == []
    (sent,) = sandbox.drafts()
    assert "ship small" not in sent["body"]
    actions = sorted(f["Title"] for f in followups(sandbox, "Action item"))
    assert actions == ["send the notes link", "share the deck"]


def test_notes_the_user_wrote_before_the_meeting_ended_are_kept_and_used(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given the meeting is scheduled and its row is in Airtable with the invite's notes
    sandbox, runtime = _world(sandbox_factory, make_runtime, at(2026, 3, 2, 9))
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Scheduled"

    # When the user writes their own notes there during the meeting, and it then moves
    mine = "Insight: my own words\nTODO: read her paper"
    _edit_notes(sandbox, mine)
    set_now(runtime, at(2026, 3, 2, 9, 30))
    run_once(runtime)
    sandbox.move_event(
        "evt1",
        {"dateTime": at(2026, 3, 2, 10, 15).isoformat()},
        {"dateTime": at(2026, 3, 2, 10, 45).isoformat()},
    )
    set_now(runtime, at(2026, 3, 2, 11, 30))
    report = run_once(runtime)

    # Then the draft and the follow-ups come from the user's notes, which stay in Airtable
    assert report.ok, report.failures
    (draft,) = drafts(sandbox)
    body = draft["body"]
    assert "  - My own words.\r\n" in body and "tart with the data model" not in body
    assert [f["Title"] for f in followups(sandbox, "Action item")] == ["read her paper"]
    assert meetings_by_event(sandbox)["evt1"]["Notes"] == mine


def test_a_promise_added_later_is_mirrored_to_google_tasks_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 11), tasks_sink="google"), sandbox)
    assert run_once(runtime).ok

    _edit_notes(sandbox, MORE)
    for hour in (12, 13):
        set_now(runtime, at(2026, 3, 2, hour))
        assert run_once(runtime).ok

    titles = sorted(t["title"] for t in google_tasks(sandbox)["Followthrough"])
    assert titles == ["Send Ada a thank-you", "send the notes link", "share the deck"]


def test_a_promise_added_after_the_contact_row_was_deleted_links_no_stale_contact(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, at(2026, 3, 2, 11))
    # The user deletes Ada's Contacts row, then adds a promise to the meeting's notes
    sandbox.airtable.delete_record("Contacts", "recAda0000000001")
    set_now(runtime, at(2026, 3, 2, 12))
    assert run_once(runtime).ok
    _edit_notes(sandbox, MORE)

    report = run_once(runtime)

    assert report.ok, report.failures
    (added,) = [f for f in followups(sandbox, "Action item") if f["Title"] == "share the deck"]
    assert "recAda0000000001" not in added.get("Contact", [])
