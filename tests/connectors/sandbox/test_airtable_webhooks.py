"""The sandbox's Airtable webhooks: payloads behind a cursor, and pings signed as Airtable does."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from pyairtable import Api
from pyairtable.models import WebhookNotification, WebhookPayload

from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.test_airtable_api import BASE_ID, crm_fixture

SandboxFactory = Callable[..., Sandbox]
ALL_CHANGES = {"options": {"filters": {"dataTypes": ["tableData"]}}}
WITH_PREVIOUS = {
    "options": {
        "filters": {"dataTypes": ["tableData"]},
        "includes": {"includePreviousCellValues": True},
    }
}


class PingReceiver:
    """A stand-in for Followthrough's webhook URL: keeps each POST's body and MAC header."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, str]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """Keeps each ping and answers 200 with an empty body, as Airtable asks."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver.arrived:
                    receiver.pings.append((body, self.headers.get("X-Airtable-Content-MAC", "")))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/airtable/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, str]]:
        """The first `count` pings, waiting for them to arrive."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.pings) >= count, timeout=timeout)
            return list(self.pings)

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm(sandbox_factory: SandboxFactory) -> Sandbox:
    """A sandbox with the CRM base and no rate limit."""
    return sandbox_factory(crm_fixture(), airtable_rate_limit=0)


@pytest.fixture
def receiver() -> Iterator[PingReceiver]:
    """A running ping receiver."""
    box = PingReceiver()
    yield box
    box.close()


def api(box: Sandbox) -> Api:
    """The real pyairtable client pointed at the sandbox."""
    return Api(box.airtable_token, endpoint_url=box.url)


def test_create_returns_a_secret_and_an_expiry_seven_days_out(crm: Sandbox) -> None:
    created = api(crm).base(BASE_ID).add_webhook(None, ALL_CHANGES)  # type: ignore[arg-type]
    listed = api(crm).base(BASE_ID).webhooks()

    assert created.id.startswith("ach") and len(created.mac_secret_base64) > 40
    assert created.expiration_time is not None
    remaining = created.expiration_time - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6, hours=23) < remaining <= dt.timedelta(days=7)
    assert [(w.id, w.notification_url, w.cursor_for_next_payload) for w in listed] == [
        (created.id, None, 1)
    ]


def test_every_change_becomes_a_payload_read_from_the_cursor(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, WITH_PREVIOUS).id  # type: ignore[arg-type]
    meetings = base.table("Meetings")
    meeting = meetings.create(
        {"Title": "Coffee", "Contact": ["recAda00000000001"], "Status": "Scheduled"}
    )
    crm.airtable.update_record("Meetings", meeting["id"], {"Status": "Completed"})
    meetings.delete(meeting["id"])

    payloads = list(base.webhook(hook_id).payloads())
    created, changed, deleted = payloads
    table_id = crm.airtable.table_id("Meetings")
    status = crm.airtable.field_id("Meetings", "Status")
    contact = crm.airtable.field_id("Meetings", "Contact")

    assert [p.cursor for p in payloads] == [1, 2, 3]
    assert [p.action_metadata.source for p in payloads if p.action_metadata] == [
        "publicApi",
        "client",
        "publicApi",
    ]
    new = created.changed_tables_by_id[table_id].created_records_by_id[meeting["id"]]
    assert new.cell_values_by_field_id[contact] == [
        {"id": "recAda00000000001", "name": "Ada Lovelace"}
    ]
    edit = changed.changed_tables_by_id[table_id].changed_records_by_id[meeting["id"]]
    assert edit.current.cell_values_by_field_id[status]["name"] == "Completed"
    assert (
        edit.previous is not None
        and edit.previous.cell_values_by_field_id[status]["name"] == "Scheduled"
    )
    assert deleted.changed_tables_by_id[table_id].destroyed_record_ids == [meeting["id"]]
    assert list(base.webhook(hook_id).payloads(cursor=4)) == []


def test_payload_pages_carry_the_next_cursor_and_might_have_more(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    for name in ("One", "Two", "Three"):
        crm.airtable.create_record("Contacts", {"Name": name})
    path = f"/v0/bases/{BASE_ID}/webhooks/{hook_id}/payloads"
    headers = {"Authorization": f"Bearer {crm.airtable_token}"}
    first = requests.get(f"{crm.url}{path}?cursor=1&limit=2", headers=headers, timeout=10).json()
    rest = requests.get(
        f"{crm.url}{path}?cursor={first['cursor']}", headers=headers, timeout=10
    ).json()
    too_many = requests.get(f"{crm.url}{path}?limit=51", headers=headers, timeout=10)

    assert (len(first["payloads"]), first["cursor"], first["mightHaveMore"]) == (2, 3, True)
    assert (len(rest["payloads"]), rest["cursor"], rest["mightHaveMore"]) == (1, 4, False)
    assert [
        WebhookPayload.model_validate(p).base_transaction_number
        for p in first["payloads"] + rest["payloads"]
    ] == [1, 2, 3]
    assert too_many.status_code == 422


def test_a_scoped_webhook_sees_only_its_tables_changes(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    meetings_id = crm.airtable.table_id("Meetings")
    spec = {"options": {"filters": {"dataTypes": ["tableData"], "recordChangeScope": meetings_id}}}
    hook_id = base.add_webhook(None, spec).id  # type: ignore[arg-type]
    crm.airtable.update_record("Contacts", "recAda00000000001", {"Company": "Analytical Engines"})
    crm.airtable.create_record("Meetings", {"Title": "Lunch"})

    payloads = list(base.webhook(hook_id).payloads())

    assert [list(p.changed_tables_by_id) for p in payloads] == [[meetings_id]]


def test_pings_are_signed_so_that_pyairtable_verifies_them(
    crm: Sandbox, receiver: PingReceiver
) -> None:
    created = api(crm).base(BASE_ID).add_webhook(receiver.url, ALL_CHANGES)
    crm.airtable.update_record("Contacts", "recAda00000000001", {"Stage": "Keeping in touch"})
    crm.airtable.create_record("Contacts", {"Name": "Linus"})
    pings = receiver.wait_for(3)  # one on creation, one per change

    notes = [
        WebhookNotification.from_request(body, mac, created.mac_secret_base64)
        for body, mac in pings
    ]
    assert [(n.base.id, n.webhook.id) for n in notes] == [(BASE_ID, created.id)] * 3
    with pytest.raises(ValueError):
        WebhookNotification.from_request(pings[0][0], pings[0][1], "c29tZSBvdGhlciBzZWNyZXQ=")
    listed = api(crm).base(BASE_ID).webhook(created.id)
    assert listed.last_notification_result is not None and listed.last_notification_result.success


def test_refresh_extends_and_delete_removes(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    hook = base.webhook(hook_id)
    before = hook.expiration_time
    hook.extend_expiration()
    refreshed = base.webhook(hook_id).expiration_time
    hook.delete()

    assert before is not None and refreshed is not None and refreshed >= before
    assert base.webhooks() == []


def test_a_bad_specification_is_refused(crm: Sandbox) -> None:
    response = requests.post(
        f"{crm.url}/v0/bases/{BASE_ID}/webhooks",
        headers={"Authorization": f"Bearer {crm.airtable_token}"},
        json={"notificationUrl": None, "specification": {"options": {"filters": {}}}},
        timeout=10,
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "INVALID_WEBHOOK_SPECIFICATION"


def test_expired_payloads_leave_a_gap_a_reader_can_see(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    crm.airtable.create_record("Contacts", {"Name": "Old news"})
    crm.airtable.create_record("Contacts", {"Name": "Also old"})
    crm.airtable.expire_webhook_payloads()
    crm.airtable.create_record("Contacts", {"Name": "Fresh"})
    page = requests.get(
        f"{crm.url}/v0/bases/{BASE_ID}/webhooks/{hook_id}/payloads?cursor=1",
        headers={"Authorization": f"Bearer {crm.airtable_token}"},
        timeout=10,
    ).json()

    assert page["cursor"] == 4 and len(page["payloads"]) == 1  # so the first kept is cursor 3
    assert page["payloads"][0]["baseTransactionNumber"] == 3
    assert base.webhook(hook_id).cursor_for_next_payload == 4


def test_control_edits_over_http_fire_webhooks(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    edited = requests.post(
        f"{crm.url}/_sandbox/airtable/update_record",
        json={
            "table": "Contacts",
            "record_id": "recAda00000000001",
            "fields": {"Role": "Countess"},
        },
        timeout=10,
    )
    payloads = list(base.webhook(hook_id).payloads())

    assert edited.status_code == 200 and edited.json()["result"]["fields"]["Role"] == "Countess"
    assert [p.action_metadata.source for p in payloads if p.action_metadata] == ["client"]


def test_a_record_made_by_a_typecast_link_is_in_the_same_payload(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    meeting = base.table("Meetings").create(
        {"Title": "Tea", "Contact": ["Alan Turing"]}, typecast=True
    )

    (payload,) = list(base.webhook(hook_id).payloads())
    contacts = payload.changed_tables_by_id[crm.airtable.table_id("Contacts")].created_records_by_id
    meetings = payload.changed_tables_by_id[crm.airtable.table_id("Meetings")].created_records_by_id
    assert list(contacts) == meeting["fields"]["Contact"] and list(meetings) == [meeting["id"]]
    assert [r["fields"]["Name"] for r in crm.airtable.records("Contacts")][-1] == "Alan Turing"


def test_an_expired_webhook_is_disabled_and_cannot_be_refreshed(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    crm.airtable.expire_webhooks()
    crm.airtable.create_record("Contacts", {"Name": "Unseen"})
    hook = base.webhook(hook_id)
    with pytest.raises(requests.HTTPError) as refused:
        hook.extend_expiration()

    assert not hook.is_hook_enabled and list(hook.payloads()) == []
    assert refused.value.response is not None and refused.value.response.status_code == 422


def test_a_base_holds_at_most_ten_webhooks(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    for _ in range(10):
        base.add_webhook(None, ALL_CHANGES)  # type: ignore[arg-type]
    with pytest.raises(requests.HTTPError) as refused:
        base.add_webhook(None, ALL_CHANGES)  # type: ignore[arg-type]

    assert refused.value.response is not None and refused.value.response.status_code == 422
    assert len(base.webhooks()) == 10


def test_change_type_and_watched_field_filters(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    stage = crm.airtable.field_id("Contacts", "Stage")
    removals = {"options": {"filters": {"dataTypes": ["tableData"], "changeTypes": ["remove"]}}}
    stages = {"options": {"filters": {"dataTypes": ["tableData"], "watchDataInFieldIds": [stage]}}}
    removals_id = base.add_webhook(None, removals).id  # type: ignore[arg-type]
    stages_id = base.add_webhook(None, stages).id  # type: ignore[arg-type]
    crm.airtable.update_record("Contacts", "recAda00000000001", {"Role": "Analyst"})
    crm.airtable.update_record("Contacts", "recAda00000000001", {"Stage": "Inactive"})
    crm.airtable.delete_record("Contacts", "recGrace000000001")

    removed = list(base.webhook(removals_id).payloads())
    staged = list(base.webhook(stages_id).payloads())
    contacts = crm.airtable.table_id("Contacts")
    assert [p.changed_tables_by_id[contacts].destroyed_record_ids for p in removed] == [
        ["recGrace000000001"]
    ]
    changed = [p.changed_tables_by_id[contacts].changed_records_by_id for p in staged]
    assert len(staged) == 2  # the Role edit is not seen; the Stage edit and the deletion are
    assert [list(c["recAda00000000001"].current.cell_values_by_field_id) for c in changed[:1]] == [
        [stage]
    ]


def test_concurrent_writers_each_get_their_own_payload(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    hook_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]

    def write(n: int) -> None:
        api(crm).table(BASE_ID, "Follow-ups").create({"Title": f"Task {n}", "Key": f"k{n}"})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    payloads = list(base.webhook(hook_id).payloads())

    assert len(crm.airtable.records("Follow-ups")) == 20
    assert sorted(p.base_transaction_number for p in payloads) == list(range(1, 21))


def test_new_tables_and_fields_reach_webhooks_that_watch_the_schema(crm: Sandbox) -> None:
    base = api(crm).base(BASE_ID)
    schema_spec = {"options": {"filters": {"dataTypes": ["tableFields", "tableMetadata"]}}}
    schema_id = base.add_webhook(None, schema_spec).id  # type: ignore[arg-type]
    data_id = base.add_webhook(None, ALL_CHANGES).id  # type: ignore[arg-type]
    companies = base.create_table("Companies", [{"name": "Name", "type": "singleLineText"}])
    size = companies.create_field("Size", "number", options={"precision": 0})

    new_table, new_field = list(base.webhook(schema_id).payloads())
    created = new_table.created_tables_by_id[companies.id]
    assert created.metadata is not None and created.metadata.name == "Companies"
    assert [f.name for f in created.fields_by_id.values()] == ["Name"]
    assert (
        new_field.changed_tables_by_id[companies.id].created_fields_by_id[size.id].type == "number"
    )
    assert list(base.webhook(data_id).payloads()) == []
