"""Contacts rows without merging on Email: created, updated by id, found by address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.airtable.contact_writes import create_contacts, find_contacts, update_contacts
from connectors.airtable.tables import Contacts
from connectors.airtable.writes import ContactWrite
from connectors.errors import AmbiguousWrite, UserActionRequired
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client

ADA: dict[str, Any] = {
    "id": "recAda0000000001",
    "fields": {"Name": "Ada Lovelace", "Email": "ada@example.com", "Notes": "typed by the user"},
}


def contacts(n: int) -> list[ContactWrite]:
    return [ContactWrite(email=f"p{i}@example.com", name=f"Person {i}") for i in range(n)]


def emails(box: Sandbox) -> list[str]:
    return sorted(r["fields"].get("Email", "") for r in box.airtable.records("Contacts"))


def text_email_base(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A base whose user turned Contacts.Email into a single line text field."""
    fixture = base_fixture({"Contacts": records})
    [contacts_table] = [t for t in fixture["airtable"]["tables"] if t["name"] == "Contacts"]
    for spec in contacts_table["fields"]:
        if spec["name"] == Contacts.EMAIL:
            spec["type"] = "singleLineText"
    return fixture


@pytest.mark.parametrize("email_type", ["email", "singleLineText"])
def test_new_rows_are_created_in_one_request_and_known_ones_updated_by_id(
    airtable_box: Callable[..., Sandbox], email_type: str
) -> None:
    fixture = base_fixture({"Contacts": [ADA]}) if email_type == "email" else text_email_base([ADA])
    box = airtable_box(fixture)
    client = make_client(box)

    created = create_contacts(client, contacts(10))
    known = ContactWrite(email="ADA@example.com", stage="Met", record_id=ADA["id"])
    updated = update_contacts(client, [known])

    assert len(emails(box)) == 11 and created.created == {f"p{i}@example.com" for i in range(10)}
    assert updated.record_ids == {"ADA@example.com": ADA["id"]}
    ada = box.airtable.records("Contacts")[0]["fields"]
    assert ada["Stage"] == "Met" and ada["Email"] == "ada@example.com"  # as the user typed it
    assert ada["Notes"] == "typed by the user"
    counts = box.request_counts()
    assert counts["airtable.records.create"] == 1 and counts["airtable.records.update"] == 1


def test_a_create_whose_response_was_lost_is_found_by_email_and_not_made_twice(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    client = make_client(box)
    box.drop_next_writes("airtable.records.create")
    with pytest.raises(AmbiguousWrite):
        create_contacts(client, contacts(3))  # applied, but its response never came

    rows = [*contacts(3), ContactWrite(email="new@example.com", name="New")]
    again = create_contacts(client, rows, look_up=[r.email for r in contacts(3)])

    assert emails(box) == ["new@example.com", "p0@example.com", "p1@example.com", "p2@example.com"]
    assert again.created == {"new@example.com"} and len(set(again.record_ids.values())) == 4
    assert box.request_counts()["airtable.records.create"] == 2  # the lost one, then only New


def test_addresses_are_found_as_the_reader_reads_them(
    airtable_box: Callable[..., Sandbox],
) -> None:
    spelled = [
        {"id": "recAda0000000001", "fields": {"Name": "Ada", "Email": " Ada@Example.com "}},
        {"id": "recBob0000000001", "fields": {"Name": "Bob", "Email": "mailto:bob@example.com"}},
        {"id": "recEve0000000001", "fields": {"Name": "Eve", "Email": "eve@example.com"}},
    ]
    box = airtable_box(text_email_base(spelled))

    found = find_contacts(make_client(box), ["ada@example.com", "BOB@example.com", "x@y.org"])

    assert found == {"ada@example.com": "recAda0000000001", "bob@example.com": "recBob0000000001"}
    assert box.request_counts()["airtable.records.list"] == 1


def test_a_deleted_row_is_reported_refused_and_the_others_are_updated(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture({"Contacts": [ADA]}))
    client = make_client(box)
    [bob] = create_contacts(client, [ContactWrite(email="bob@example.com")]).record_ids.values()
    box.airtable.delete_record("Contacts", ADA["id"])

    written = update_contacts(
        client,
        [
            ContactWrite(email="ada@example.com", stage="Met", record_id=ADA["id"]),
            ContactWrite(email="bob@example.com", stage="Met", record_id=bob),
        ],
    )

    assert written.record_ids == {"bob@example.com": bob}
    assert "ROW_DOES_NOT_EXIST" in written.refused["ada@example.com"]
    assert emails(box) == ["bob@example.com"]


def test_a_field_missing_from_the_base_tells_the_user_to_run_init(
    airtable_box: Callable[..., Sandbox],
) -> None:
    bare = {
        "name": "Contacts",
        "fields": [{"name": "Name", "type": "singleLineText"}, {"name": "Email", "type": "email"}],
    }
    box = airtable_box(base_fixture(tables=[bare]))
    with pytest.raises(UserActionRequired, match="followthrough airtable init"):
        create_contacts(make_client(box), [ContactWrite(email="a@example.com", stage="Met")])
    assert box.airtable.records("Contacts") == []
