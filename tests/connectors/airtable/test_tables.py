"""Every declared field goes through `airtable init`, the writers and the readers unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from connectors.airtable.contact_writes import create_contacts
from connectors.airtable.readers import read_contacts, read_follow_ups, read_meetings
from connectors.airtable.schema import init_schema
from connectors.airtable.tables import (
    CONTACTS_SPEC,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_STATUSES,
    FOLLOW_UPS_SPEC,
    MEETING_STATUSES,
    MEETINGS_SPEC,
    SCHEMA,
    STAGES,
    TableSpec,
)
from connectors.airtable.writes import ContactWrite, FollowUpWrite, MeetingWrite, upsert
from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client
from workflows.rules.followups import FollowUpKind, FollowUpStatus
from workflows.rules.lifecycle import MeetingStatus
from workflows.rules.reminders import INACTIVE, KEEPING_IN_TOUCH

SAMPLES: dict[str, Any] = {
    "singleLineText": "Coffee at the Analytical Engines office",
    "multilineText": "Insight: start with the data model.\nTODO: send the notes link",
    "email": "ada@analytical.example",
    "url": "https://mail.google.com/mail/u/0/#drafts?compose=r123",
    "number": 14,
    "checkbox": True,
    "date": dt.date(2026, 3, 2),
    "dateTime": dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC),
}
"""A value of each Airtable type the contract uses, as Followthrough holds it."""


def every_cell(table: TableSpec, links: Mapping[str, str]) -> dict[str, Any]:
    """A value for every field of `table`: a sample by type, the last choice, the linked row."""
    values: dict[str, Any] = {}
    for attribute, spec in table.attributes:
        if spec.link_table is not None:  # a link to a row not made yet (its own table) is empty
            values[attribute] = (links[spec.link_table],) if spec.link_table in links else ()
        elif spec.choices:
            values[attribute] = spec.choices[-1]
        else:
            values[attribute] = SAMPLES[spec.type]
    return values


def test_every_field_written_is_read_back_as_written(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture(tables=[]))
    client = make_client(box)
    init_schema(client)
    links: dict[str, str] = {}

    contact = every_cell(CONTACTS_SPEC, links)
    written = create_contacts(client, [ContactWrite(**contact)])
    links["Contacts"] = written.record_ids[contact["email"]]
    introduced = {**every_cell(CONTACTS_SPEC, links), "email": "grace@cobol.example"}
    create_contacts(client, [ContactWrite(**introduced)])
    meeting = every_cell(MEETINGS_SPEC, links)
    links["Meetings"] = upsert(client, [MeetingWrite(**meeting)]).record_ids[meeting["event_id"]]
    follow_up = every_cell(FOLLOW_UPS_SPEC, links)
    upsert(client, [FollowUpWrite(**follow_up)])

    contacts = {row.email: row for page in read_contacts(client) for row in page.records}
    for values in (contact, introduced):
        row = contacts[values["email"]]
        assert {name: getattr(row, name) for name in values} == values
    assert contacts[introduced["email"]].referred_by == (links["Contacts"],)
    for values, pages in (
        (meeting, read_meetings(client)),
        (follow_up, read_follow_ups(client)),
    ):
        (row,) = [record for page in pages for record in page.records]
        assert {name: getattr(row, name) for name in values} == values


def test_the_sandbox_fixture_declares_contacts_as_init_creates_them(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture(tables=[{"name": "Contacts", "fields": CONTACT_FIELDS}]))
    report = init_schema(make_client(box))
    assert report.created_tables == tuple(spec.name for spec in SCHEMA[1:])
    assert not report.created_fields and not report.problems


def test_every_choice_the_domain_writes_is_a_choice_of_its_field() -> None:
    assert [kind.value for kind in FollowUpKind] == list(FOLLOW_UP_KINDS)
    assert [status.value for status in FollowUpStatus] == list(FOLLOW_UP_STATUSES)
    assert [status.value for status in MeetingStatus] == list(MEETING_STATUSES)
    assert {KEEPING_IN_TOUCH, INACTIVE} <= set(STAGES)
