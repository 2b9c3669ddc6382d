"""`init_schema` creates what the contract needs and never touches what the user made."""

from __future__ import annotations

from collections.abc import Callable

from pyairtable.models.schema import BaseSchema

from connectors.airtable.contact_writes import create_contacts
from connectors.airtable.schema import init_schema
from connectors.airtable.tables import CONTACTS_SPEC, FOLLOW_UP_KINDS, SCHEMA, STAGES
from connectors.airtable.writes import ContactWrite, FollowUpWrite, upsert
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client


def tables_of(box: Sandbox) -> dict[str, dict[str, dict]]:
    """Fields by name per table name, as the metadata API (parsed by pyairtable) reports them."""
    snapshot = box.airtable.snapshot()
    schema = BaseSchema.model_validate(
        {"tables": [{k: v for k, v in t.items() if k != "records"} for t in snapshot["tables"]]}
    )
    return {t.name: {f.name: f.model_dump() for f in t.fields} for t in schema.tables}


def test_the_contract_names_every_table_and_choice() -> None:
    assert [spec.name for spec in SCHEMA] == ["Contacts", "Meetings", "Follow-ups", "Milestones"]
    assert STAGES == ("To contact", "Requested", "Scheduled", "Met", "Keeping in touch", "Inactive")
    assert FOLLOW_UP_KINDS == (
        "Thank-you",
        "Action item",
        "Progress update",
        "Ask",
        "Nudge",
        "Prepare",
        "Reschedule",
        "Thank introducer",
    )
    assert CONTACTS_SPEC.fields[0].name == "Name"


def test_an_empty_base_gets_every_table_field_and_choice(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture(tables=[]))
    report = init_schema(make_client(box))
    assert report.created_tables == ("Contacts", "Meetings", "Follow-ups", "Milestones")
    assert not report.problems
    tables = tables_of(box)
    for spec in SCHEMA:
        assert list(tables[spec.name]) == [f.name for f in spec.fields]
        for wanted in spec.fields:
            assert tables[spec.name][wanted.name]["type"] == wanted.type
    stage_choices = [c["name"] for c in tables["Contacts"]["Stage"]["options"]["choices"]]
    assert stage_choices == list(STAGES)
    links = tables["Follow-ups"]["Meeting"]["options"]["linked_table_id"]
    assert links == report.table_ids["Meetings"]
    introducer = tables["Contacts"]["Referred By"]["options"]["linked_table_id"]
    assert introducer == report.table_ids["Contacts"]


def test_every_choice_followthrough_writes_is_accepted_after_init(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture(tables=[]))
    client = make_client(box)
    init_schema(client)
    create_contacts(
        client, [ContactWrite(email=f"{i}@x.org", stage=s) for i, s in enumerate(STAGES)]
    )
    upsert(client, [FollowUpWrite(key=k, kind=k, status="Snoozed") for k in FOLLOW_UP_KINDS])
    assert len(box.airtable.records("Contacts")) == len(STAGES)


def test_a_partial_contacts_table_is_completed_and_the_users_field_left_alone(
    airtable_box: Callable[..., Sandbox],
) -> None:
    partial = {
        "name": "Contacts",
        "fields": [
            {"name": "Name", "type": "singleLineText"},
            {"name": "Email", "type": "email"},
            {"name": "Birthday", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
            {"name": "Stage", "type": "singleSelect", "options": {"choices": [{"name": "Met"}]}},
            {"name": "Company", "type": "multilineText"},
        ],
        "records": [
            {
                "id": "recUser00000001",
                "fields": {"Name": "Ada", "Email": "ada@example.com", "Birthday": "1815-12-10"},
            }
        ],
    }
    box = airtable_box(base_fixture(tables=[partial]))
    client = make_client(box)
    report = init_schema(client)
    assert report.created_tables == ("Meetings", "Follow-ups", "Milestones")
    created = {name for table, name in report.created_fields if table == "Contacts"}
    assert created == {
        "Role",
        "Last Met",
        "Next Update Due",
        "Update Every (days)",
        "Google Contact",
        "Notes",
        "Last Contacted",
        "Last Reply",
        "Draft Ask",
        "Why Them",
        "Referred By",
    }
    contacts = tables_of(box)["Contacts"]
    assert contacts["Birthday"]["type"] == "date"  # the user's own field is still there
    assert (
        contacts["Company"]["type"] == "multilineText"
    )  # a conflicting type is reported, not changed
    problems = {p.field: p.message for p in report.problems}
    assert "singleLineText" in problems["Company"]
    assert "Requested" in problems["Stage"] and "add them in Airtable" in problems["Stage"]
    assert box.airtable.records("Contacts")[0]["fields"]["Birthday"] == "1815-12-10"


def test_init_twice_changes_nothing_the_second_time(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box(base_fixture(tables=[]))
    client = make_client(box)
    init_schema(client)
    box.reset_requests()
    again = init_schema(client)
    assert not again.changed and not again.problems
    assert again.lines() == ["the base already matches the Followthrough schema; nothing to do"]
    assert box.request_counts() == {"airtable.meta.tables.list": 1}
