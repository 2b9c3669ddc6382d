"""Reading Contacts, Meetings and Follow-ups from the base, page by page, bad records skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from connectors.airtable.formula import equals
from connectors.airtable.ratelimit import LocalRateLimiter
from connectors.airtable.readers import read_contacts, read_follow_ups, read_meetings
from connectors.airtable.tables import CONTACTS_SPEC, AirtableContact
from connectors.errors import AuthorizationError, UserActionRequired
from connectors.sandbox.fixture import contract_table
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client

ADA: dict[str, Any] = {
    "id": "recAda0000000001",
    "fields": {
        "Name": "Ada Lovelace",
        "Email": "ada@example.com",
        "Company": "Analytical",
        "Stage": "Met",
        "Last Met": "2026-02-20",
        "Update Every (days)": 30,
        "Notes": "Insight: engines",
    },
}
GRACE: dict[str, Any] = {
    "id": "recGrace00000001",
    "fields": {"Name": "Grace Hopper", "Email": "grace@example.com"},
}


def contacts_of(pages: list) -> list[AirtableContact]:
    return [record for page in pages for record in page.records]


def test_contacts_are_read_into_typed_records(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box(base_fixture({"Contacts": [ADA, GRACE]}))
    pages = list(read_contacts(make_client(box)))
    ada = next(c for c in contacts_of(pages) if c.record_id == ADA["id"])
    assert ada == AirtableContact(
        record_id=ADA["id"],
        name="Ada Lovelace",
        email="ada@example.com",
        company="Analytical",
        stage="Met",
        last_met=dt.date(2026, 2, 20),
        update_every_days=30,
        notes="Insight: engines",
    )
    assert pages[-1].last and pages[-1].full_sync


def test_meetings_and_follow_ups_carry_links_and_times(
    airtable_box: Callable[..., Sandbox],
) -> None:
    meeting: dict[str, Any] = {
        "id": "recMeet00000001",
        "fields": {
            "Title": "Coffee with Ada",
            "Contact": [ADA["id"]],
            "Start": "2026-02-20T15:00:00.000Z",
            "End": "2026-02-20T15:30:00.000Z",
            "Event ID": "evt1",
            "Status": "Completed",
        },
    }
    follow_up: dict[str, Any] = {
        "id": "recFoll00000001",
        "fields": {
            "Title": "Thank Ada",
            "Contact": [ADA["id"]],
            "Meeting": [meeting["id"]],
            "Kind": "Thank-you",
            "Due": "2026-02-21",
            "Status": "Open",
            "Key": "thank-you:evt1:2026-02-20T15:00:00Z",
        },
    }
    box = airtable_box(
        base_fixture({"Contacts": [ADA], "Meetings": [meeting], "Follow-ups": [follow_up]})
    )
    client = make_client(box)
    [read_meeting] = [m for page in read_meetings(client) for m in page.records]
    [read_follow_up] = [f for page in read_follow_ups(client) for f in page.records]
    assert read_meeting.contact_ids == (ADA["id"],)
    assert read_meeting.start == dt.datetime(2026, 2, 20, 15, 0, tzinfo=dt.UTC)
    assert read_meeting.event_id == "evt1" and read_meeting.status == "Completed"
    assert read_follow_up.meeting_ids == (meeting["id"],)
    assert read_follow_up.due == dt.date(2026, 2, 21)
    assert read_follow_up.key == "thank-you:evt1:2026-02-20T15:00:00Z"


def test_a_cell_of_an_unexpected_type_is_ignored_and_the_contact_kept(
    airtable_box: Callable[..., Sandbox],
) -> None:
    # "Update Every (days)" holds text here (say, the user changed the field's type in Airtable).
    loose = contract_table(CONTACTS_SPEC)
    for field in loose["fields"]:
        if field["name"] == "Update Every (days)":
            field.clear()
            field.update({"name": "Update Every (days)", "type": "singleLineText"})
    odd: dict[str, Any] = {
        "id": "recOdd000000001",
        "fields": {"Name": "Odd", "Update Every (days)": "monthly"},
    }
    nameless: dict[str, Any] = {"id": "recNone00000001", "fields": {"Company": "Nobody Inc"}}
    fine: dict[str, Any] = {
        "id": "recFine00000001",
        "fields": {"Name": "Fine", "Update Every (days)": ""},
    }
    loose["records"] = [fine, odd, nameless, GRACE]
    box = airtable_box(base_fixture(tables=[loose]))
    pages = list(read_contacts(make_client(box)))
    # the odd cell is ignored (logged as airtable.field_ignored), never the person: skipping
    # the row would let a later write by email overwrite the user's Name
    contacts = {c.record_id: c for c in contacts_of(pages)}
    assert set(contacts) == {fine["id"], odd["id"], GRACE["id"]}
    assert (contacts[odd["id"]].name, contacts[odd["id"]].update_every_days) == ("Odd", None)
    skipped = {s.record_id: s.reason for page in pages for s in page.skipped}
    assert set(skipped) == {nameless["id"]}
    assert "Name or an Email" in skipped[nameless["id"]]


def test_a_formula_with_quotes_reads_only_the_matching_records(
    airtable_box: Callable[..., Sandbox],
) -> None:
    quoted: dict[str, Any] = {
        "id": "recQuote0000001",
        "fields": {"Name": 'O\'Brien "the" \\ one', "Email": "ob@example.com"},
    }
    box = airtable_box(base_fixture({"Contacts": [ADA, quoted, GRACE]}))
    pages = list(read_contacts(make_client(box), formula=equals("Name", 'O\'Brien "the" \\ one')))
    assert [c.record_id for c in contacts_of(pages)] == [quoted["id"]]
    assert not pages[-1].full_sync


def test_a_missing_table_tells_the_user_to_run_init(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box(base_fixture(tables=[contract_table(CONTACTS_SPEC)]))
    with pytest.raises(UserActionRequired, match="followthrough airtable init"):
        list(read_meetings(make_client(box)))


def test_a_refused_token_names_the_setting(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box()
    with pytest.raises(AuthorizationError, match="FOLLOWTHROUGH_AIRTABLE_TOKEN"):
        list(read_contacts(make_client(box, token="patWrong")))


@pytest.mark.slow
def test_a_large_base_is_read_in_full_a_page_at_a_time(
    airtable_box: Callable[..., Sandbox],
) -> None:
    total = 50_000
    records = [
        {"id": f"rec{i:014d}", "fields": {"Name": f"Person {i}", "Email": f"p{i}@example.com"}}
        for i in range(total)
    ]
    box = airtable_box(base_fixture({"Contacts": records}), airtable_rate_limit=2000)
    del records
    client = make_client(box, limiter=LocalRateLimiter(rate=1500))
    seen, pages, biggest = 0, 0, 0
    for page in read_contacts(client):
        if pages == 0:  # streamed: the first page is handed over before the rest is fetched
            assert box.request_counts()["airtable.records.list"] <= 2
        seen += len(page.records)
        pages += 1
        biggest = max(biggest, len(page.records))
    assert seen == total and pages == total // 100 and biggest == 100
    assert box.request_counts()["airtable.records.list"] == total // 100
    assert client.stats.penalties == 0
