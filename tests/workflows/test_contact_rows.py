"""Contacts rows are created once and updated by id: Airtable cannot merge on an email field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from connectors.airtable.contact_writes import create_contacts
from connectors.airtable.writes import ContactWrite
from connectors.errors import RetryLater
from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    contact,
    fast,
    guest,
    meeting,
    meetings_by_event,
    rows,
    world,
)
from workflows.contact_rows import KIND, ContactRow, create_key, write_contacts
from workflows.passes import run_once
from workflows.store import ledger

ADA = "ada@analytical.example"
BOB = "bob@builder.example"
ADA_ID = "recAda0000000001"
BEFORE, AFTER = at(2026, 3, 2, 9), at(2026, 3, 2, 12)


def _fields(email_type: str) -> list[dict[str, Any]]:
    fields = [dict(f) for f in CONTACT_FIELDS]
    for spec in fields:
        if spec["name"] == "Email":
            spec["type"] = email_type
    return fields


def _sandbox(sandbox_factory: Any, email_type: str = "email") -> Sandbox:
    ada = airtable_contact(ADA_ID, Name="Ada Lovelace", Email=ADA, Stage="Scheduled")
    events = [
        meeting("evtada", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)]),
        meeting("evtbob", "Coffee chat", at(2026, 3, 2, 11), attendees=[guest(BOB, "Bob B")]),
    ]
    fixture = world(events=events, airtable=[ada], contact_fields=_fields(email_type))
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    return sandbox


def _emails(sandbox: Sandbox) -> list[str]:
    return sorted(str(row.get("Email")) for row in rows(sandbox, "Contacts"))


@pytest.mark.parametrize("email_type", ["email", "singleLineText"])
def test_a_pass_creates_new_contacts_and_updates_known_ones_whatever_the_email_field_is(
    sandbox_factory: Any, make_runtime: RuntimeFactory, email_type: str
) -> None:
    # Given Ada is in Airtable and Bob is not, on a base whose Email is `email_type`
    sandbox = _sandbox(sandbox_factory, email_type)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)

    # When both their coffee chats are completed, and another pass runs
    clean_pass(runtime)
    clean_pass(runtime)

    # Then Bob has a row, made in one request, and Ada's row is hers, updated
    assert _emails(sandbox) == [ADA, BOB]
    assert contact(sandbox, BOB)["Name"] == "Bob B"
    assert contact(sandbox, ADA)["Stage"] == contact(sandbox, BOB)["Stage"] == "Keeping in touch"
    assert sandbox.request_counts()["airtable.records.create"] == 1
    links = {event: row["Contact"] for event, row in meetings_by_event(sandbox).items()}
    bob_id = next(r["id"] for r in sandbox.airtable.records("Contacts") if r["id"] != ADA_ID)
    assert links == {"evtada": [ADA_ID], "evtbob": [bob_id]}


def test_a_create_whose_reply_is_lost_leaves_one_row_per_contact(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Airtable creates Bob's row but its reply never arrives
    sandbox = _sandbox(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    sandbox.drop_next_writes("airtable.records.create")

    # When the pass fails and the next one retries
    assert not run_once(runtime).ok
    clean_pass(runtime)
    clean_pass(runtime)

    # Then Bob has one row, the one the lost create made, and his meeting links it
    assert _emails(sandbox) == [ADA, BOB]
    assert sandbox.request_counts()["airtable.records.create"] == 1
    bob_id = next(r["id"] for r in sandbox.airtable.records("Contacts") if r["id"] != ADA_ID)
    assert meetings_by_event(sandbox)["evtbob"]["Contact"] == [bob_id]


def test_a_create_that_landed_before_a_crash_is_found_and_not_made_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a process claimed Bob's create, sent it, and died before recording its answer
    sandbox = _sandbox(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    row = ContactRow(ContactWrite(email=BOB, name="Bob B"))
    with runtime.db.transaction() as session:
        ledger.begin_effect(session, create_key(row), KIND, account=runtime.account)
    [landed] = create_contacts(runtime.need_airtable(), [row.write]).record_ids.values()

    # While its hold lasts, another writer makes nothing and says to try again
    waiting = write_contacts(runtime, [row])
    assert isinstance(waiting.errors[BOB], RetryLater) and _emails(sandbox) == [ADA, BOB]

    # When the service starts again (the dead holder's hold released) and writes Bob's row
    with runtime.db.transaction() as session:
        ledger.release_holds(session)
    written = write_contacts(runtime, [row])
    again = write_contacts(runtime, [row])

    # Then the row the dead process made is Bob's, and no second one was created
    assert written.record_ids == {BOB: landed} and not written.created
    assert again.record_ids == {BOB: landed}
    assert _emails(sandbox) == [ADA, BOB]


def test_a_contact_row_the_user_deleted_is_made_again_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's row was synced, then the user deleted it in Airtable
    sandbox = _sandbox(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=BEFORE), sandbox)
    clean_pass(runtime)
    sandbox.airtable.delete_record("Contacts", ADA_ID)

    # When her coffee chat is completed, and passes go on
    clean_pass(runtime, AFTER)
    clean_pass(runtime)

    # Then she has one new row, which her meeting links
    assert _emails(sandbox) == [ADA, BOB]
    ada = next(r for r in sandbox.airtable.records("Contacts") if r["fields"]["Email"] == ADA)
    assert ada["id"] != ADA_ID and ada["fields"]["Name"] == "Ada Lovelace"
    assert meetings_by_event(sandbox)["evtada"]["Contact"] == [ada["id"]]


def test_a_row_deleted_since_the_last_sync_is_found_or_made_again_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's row is deleted and the store does not know it yet
    sandbox = _sandbox(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    sandbox.airtable.delete_record("Contacts", ADA_ID)
    row = ContactRow(ContactWrite(email=ADA, name="Ada", stage="Met", record_id=ADA_ID), ADA_ID)

    # When her row is written by its old id, twice
    first = write_contacts(runtime, [row])
    second = write_contacts(runtime, [row])

    # Then it was made once, and the second write found it by Email
    [made] = [r["id"] for r in sandbox.airtable.records("Contacts")]
    assert first.record_ids == second.record_ids == {ADA: made}
    assert first.created == {ADA} and not second.created

    # And deleted again, it is made again (once)
    sandbox.airtable.delete_record("Contacts", made)
    again = ContactRow(replace(row.write, record_id=made), made)
    third = write_contacts(runtime, [again])
    fourth = write_contacts(runtime, [again])
    [remade] = [r["id"] for r in sandbox.airtable.records("Contacts")]
    assert third.record_ids == fourth.record_ids == {ADA: remade} and remade != made
