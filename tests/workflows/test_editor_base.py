"""A base the user did not create (Editor access): no webhook can be made, so the tables are
read by last-modified time, and in full once a day for deletions; the user is told why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connectors.airtable.schema import init_schema
from connectors.errors import NotPermitted
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    drafts,
    fast,
    guest,
    meeting,
    set_now,
    world,
)
from workflows.store.people import find_person

ADA = "ada@analytical.example"
LIN = "lin@studio.example"


def _editor_world(sandbox_factory: Any, make_runtime: RuntimeFactory) -> tuple[Sandbox, Any]:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    chat = meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])
    later = meeting("evt2", "Catch-up", at(2026, 3, 2, 15), attendees=[guest(LIN)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[chat, later], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)  # made by its creator
    sandbox.airtable.set_permission_level("edit")  # and shared with the user as an Editor
    return sandbox, runtime


def test_an_editor_syncs_without_a_webhook_and_is_told_why(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _editor_world(sandbox_factory, make_runtime)

    first = clean_pass(runtime)

    notes = [note for sync in first.syncs for note in sync.notes]
    assert any("Base creator" in note and "Editor" in note for note in notes)
    assert len(drafts(sandbox)) == 1  # everything else works
    assert sandbox.airtable.webhooks.listing() == []

    # The user adds Lin in Airtable's app: the next pass reads what changed, a request a table
    sandbox.airtable.create_record("Contacts", {"Name": "Lin Park", "Email": LIN})
    sandbox.reset_requests()
    clean_pass(runtime, at(2026, 3, 2, 16))

    assert sandbox.request_counts()["airtable.records.list"] == 4  # Milestones too
    assert sorted(d["to"][0] for d in drafts(sandbox)) == [ADA, LIN]


def test_without_a_webhook_deletions_are_found_by_a_daily_full_read(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _editor_world(sandbox_factory, make_runtime)
    clean_pass(runtime)

    sandbox.airtable.delete_record("Contacts", "recAda0000000001")
    clean_pass(runtime, at(2026, 3, 2, 13))
    with runtime.db.read() as session:
        still = find_person(session, ADA, account=runtime.account)
    assert still is not None and still.live_airtable_id is not None  # not seen in an hour
    set_now(runtime, at(2026, 3, 2, 13) + dt.timedelta(days=1))
    clean_pass(runtime)

    with runtime.db.read() as session:
        gone = find_person(session, ADA, account=runtime.account)
    assert gone is not None and gone.live_airtable_id is None


def test_airtable_init_on_an_editors_base_says_what_is_needed(sandbox: Sandbox) -> None:
    from tests.connectors.airtable.conftest import make_client

    sandbox.airtable.set_permission_level("edit")
    with pytest.raises(NotPermitted, match="Base creator"):
        init_schema(make_client(sandbox))
