"""Batch upserts: at most 10 records a request, keyed on Email, Event ID or Key, applied once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from connectors.airtable.writes import ContactWrite, FollowUpWrite, MeetingWrite, upsert
from connectors.errors import UserActionRequired
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client

EXISTING: dict[str, Any] = {
    "id": "recAda0000000001",
    "fields": {"Name": "Ada Lovelace", "Email": "ada@example.com", "Notes": "typed by the user"},
}


def contacts(n: int, start: int = 0) -> list[ContactWrite]:
    return [
        ContactWrite(email=f"p{i}@example.com", name=f"Person {i}", stage="Met")
        for i in range(start, start + n)
    ]


def by_email(box: Sandbox) -> dict[str, dict]:
    return {r["fields"]["Email"]: r for r in box.airtable.records("Contacts")}


def test_upserts_go_ten_to_a_request_and_return_record_ids_by_key(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture({"Contacts": [EXISTING]}))
    rows = [*contacts(24), ContactWrite(email="ada@example.com", stage="Keeping in touch")]
    result = upsert(make_client(box), rows)
    stored = by_email(box)
    assert len(stored) == 25
    assert box.request_counts()["airtable.records.update"] == 3
    assert result.record_ids == {email: record["id"] for email, record in stored.items()}
    assert result.record_ids["ada@example.com"] == EXISTING["id"]
    assert "ada@example.com" not in result.created and len(result.created) == 24
    # a field the write leaves out stays as the user typed it
    assert stored["ada@example.com"]["fields"]["Notes"] == "typed by the user"
    assert stored["ada@example.com"]["fields"]["Stage"] == "Keeping in touch"


def test_a_second_identical_upsert_changes_nothing(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box()
    client = make_client(box)
    first = upsert(client, contacts(12))
    second = upsert(client, contacts(12))
    assert second.record_ids == first.record_ids and not second.created
    assert len(box.airtable.records("Contacts")) == 12


def test_meetings_and_follow_ups_link_by_record_id(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box(base_fixture({"Contacts": [EXISTING]}))
    client = make_client(box)
    start = dt.datetime(2026, 2, 20, 15, 0, tzinfo=dt.UTC)
    meeting = MeetingWrite(
        event_id="evt1",
        title="Coffee with Ada",
        contact_ids=(EXISTING["id"],),
        start=start,
        end=start + dt.timedelta(minutes=30),
        status="Completed",
    )
    meeting_id = upsert(client, [meeting]).record_ids["evt1"]
    key = "thank-you:evt1:2026-02-20T15:00:00Z"
    follow_up = FollowUpWrite(
        key=key,
        title="Thank Ada",
        contact_ids=(EXISTING["id"],),
        meeting_ids=(meeting_id,),
        kind="Thank-you",
        due=dt.date(2026, 2, 21),
        status="Open",
    )
    upsert(client, [follow_up])
    [stored_meeting] = box.airtable.records("Meetings")
    [stored_follow_up] = box.airtable.records("Follow-ups")
    assert stored_meeting["fields"]["Contact"] == [EXISTING["id"]]
    assert stored_meeting["fields"]["Start"].startswith("2026-02-20T15:00:00")
    assert stored_follow_up["fields"]["Meeting"] == [meeting_id]
    assert (
        stored_follow_up["fields"]["Key"] == key
        and stored_follow_up["fields"]["Due"] == "2026-02-21"
    )


def test_injected_429_and_5xx_end_with_every_upsert_applied_once(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    box.fail_next("airtable.records.update", 429)
    box.fail_next("airtable.records.update", 500, times=2)
    box.fail_next("airtable.records.update", 503)
    result = upsert(make_client(box), contacts(30))
    stored = by_email(box)
    assert len(stored) == 30 and set(result.record_ids) == set(stored)


def test_ambiguous_writes_end_with_every_upsert_applied_once(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    box.drop_next_writes("airtable.records.update", times=3)
    client = make_client(box)
    result = upsert(client, contacts(30))
    stored = by_email(box)
    assert len(stored) == 30  # re-sent upserts matched the records their lost attempts created
    assert result.record_ids == {email: record["id"] for email, record in stored.items()}
    assert client.stats.retries >= 3


def test_two_records_with_the_same_email_skip_only_that_row(
    airtable_box: Callable[..., Sandbox],
) -> None:
    twin: dict[str, Any] = {
        "id": "recAda0000000002",
        "fields": {"Name": "Ada again", "Email": "ada@example.com"},
    }
    box = airtable_box(base_fixture({"Contacts": [EXISTING, twin]}))
    rows = [*contacts(5), ContactWrite(email="ada@example.com", stage="Met"), *contacts(4, start=5)]
    result = upsert(make_client(box), rows)
    assert len(result.record_ids) == 9
    [skipped] = result.skipped
    assert skipped.record_id == "ada@example.com" and "match" in skipped.reason
    assert len(box.airtable.records("Contacts")) == 11


def test_a_field_missing_from_the_base_tells_the_user_to_run_init(
    airtable_box: Callable[..., Sandbox],
) -> None:
    bare = {
        "name": "Contacts",
        "fields": [{"name": "Name", "type": "singleLineText"}, {"name": "Email", "type": "email"}],
    }
    box = airtable_box(base_fixture(tables=[bare]))
    with pytest.raises(UserActionRequired, match="followthrough airtable init"):
        upsert(make_client(box), [ContactWrite(email="a@example.com", stage="Met")])
    assert box.airtable.records("Contacts") == []
