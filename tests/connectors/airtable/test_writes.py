"""Batch upserts: at most 10 records a request, keyed on Event ID or Key, applied once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connectors.airtable.writes import FollowUpWrite, MeetingWrite, upsert
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client

EXISTING: dict[str, Any] = {
    "id": "recAda0000000001",
    "fields": {"Name": "Ada Lovelace", "Email": "ada@example.com", "Notes": "typed by the user"},
}
THANKS: dict[str, Any] = {
    "id": "recThanks0000001",
    "fields": {"Title": "Thank Ada", "Key": "thank-you:ada", "Status": "Open"},
}


def follow_ups(n: int, start: int = 0) -> list[FollowUpWrite]:
    return [
        FollowUpWrite(key=f"key-{i}", title=f"Follow-up {i}", status="Open")
        for i in range(start, start + n)
    ]


def by_key(box: Sandbox) -> dict[str, dict]:
    return {r["fields"]["Key"]: r for r in box.airtable.records("Follow-ups")}


def test_upserts_go_ten_to_a_request_and_return_record_ids_by_key(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(base_fixture({"Follow-ups": [THANKS]}))
    rows = [*follow_ups(24), FollowUpWrite(key="thank-you:ada", kind="Thank-you")]
    result = upsert(make_client(box), rows)
    stored = by_key(box)
    assert len(stored) == 25
    assert box.request_counts()["airtable.records.update"] == 3
    assert result.record_ids == {key: record["id"] for key, record in stored.items()}
    assert result.record_ids["thank-you:ada"] == THANKS["id"]
    assert "thank-you:ada" not in result.created and len(result.created) == 24
    # a field the write leaves out stays as the user made it
    assert stored["thank-you:ada"]["fields"]["Status"] == "Open"
    assert stored["thank-you:ada"]["fields"]["Kind"] == "Thank-you"


def test_a_second_identical_upsert_changes_nothing(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box()
    client = make_client(box)
    first = upsert(client, follow_ups(12))
    second = upsert(client, follow_ups(12))
    assert second.record_ids == first.record_ids and not second.created
    assert len(box.airtable.records("Follow-ups")) == 12


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
    result = upsert(make_client(box), follow_ups(30))
    stored = by_key(box)
    assert len(stored) == 30 and set(result.record_ids) == set(stored)


def test_ambiguous_writes_end_with_every_upsert_applied_once(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    box.drop_next_writes("airtable.records.update", times=3)
    client = make_client(box)
    result = upsert(client, follow_ups(30))
    stored = by_key(box)
    assert len(stored) == 30  # re-sent upserts matched the records their lost attempts created
    assert result.record_ids == {key: record["id"] for key, record in stored.items()}
    assert client.stats.retries >= 3


def test_two_records_with_the_same_key_skip_only_that_row(
    airtable_box: Callable[..., Sandbox],
) -> None:
    twin: dict[str, Any] = {"id": "recThanks0000002", "fields": {**THANKS["fields"]}}
    box = airtable_box(base_fixture({"Follow-ups": [THANKS, twin]}))
    rows = [*follow_ups(5), FollowUpWrite(key="thank-you:ada"), *follow_ups(4, start=5)]
    result = upsert(make_client(box), rows)
    assert len(result.record_ids) == 9
    [skipped] = result.skipped
    assert skipped.record_id == "thank-you:ada" and "match" in skipped.reason
    assert len(box.airtable.records("Follow-ups")) == 11
