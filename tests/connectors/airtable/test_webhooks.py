"""The base's webhook as change feed: exactly the changes, nothing twice, recovery when gone."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pyairtable import Api

from connectors.airtable.contact_writes import create_contacts
from connectors.airtable.readers import read_contacts
from connectors.airtable.webhooks import (
    check_enabled,
    create_webhook,
    delete_webhook,
    list_webhooks,
    mac_matches,
    needs_refresh,
    read_changes,
    refresh_webhook,
)
from connectors.airtable.writes import ContactWrite
from connectors.errors import ResyncRequired
from connectors.records import AirtableChange
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import base_fixture, make_client

ADA: dict[str, Any] = {
    "id": "recAda0000000001",
    "fields": {"Name": "Ada", "Email": "ada@example.com"},
}
GRACE: dict[str, Any] = {
    "id": "recGrace00000001",
    "fields": {"Name": "Grace", "Email": "g@example.com"},
}


def world(box_factory: Callable[..., Sandbox]) -> Sandbox:
    fixture = base_fixture({"Contacts": [ADA, GRACE]})
    fixture["airtable"]["tables"].append(
        {"name": "Ideas", "fields": [{"name": "Idea", "type": "singleLineText"}], "records": []}
    )
    return box_factory(fixture)


def test_a_poll_returns_exactly_what_the_user_changed(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)  # no public URL: the payloads are polled
    user = box.airtable
    added = user.create_record("Meetings", {"Title": "Coffee", "Event ID": "evt9"})
    user.update_record("Contacts", ADA["id"], {"Company": "Analytical", "Stage": "Met"})
    user.delete_record("Contacts", GRACE["id"])
    user.create_record("Ideas", {"Idea": "not ours"})
    batch = read_changes(client, hook.webhook_id, hook.cursor)
    assert set(batch.changes) == {
        AirtableChange("Meetings", added["id"], "created"),
        AirtableChange("Contacts", ADA["id"], "changed", ("Company", "Stage")),
        AirtableChange("Contacts", GRACE["id"], "destroyed"),
    }
    box.reset_requests()
    again = read_changes(client, hook.webhook_id, batch.next_cursor)
    assert again.changes == () and again.next_cursor == batch.next_cursor
    assert box.request_counts() == {"airtable.webhooks.payloads": 1}  # one request, nothing new


def test_a_fresh_process_polling_an_unchanged_base_sends_one_request(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    hook = create_webhook(make_client(box))
    box.reset_requests()

    batch = read_changes(make_client(box), hook.webhook_id, hook.cursor)  # no cached schema

    assert batch.changes == ()
    assert box.request_counts() == {"airtable.webhooks.payloads": 1}


def test_changes_to_one_record_are_merged(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    made = box.airtable.create_record("Contacts", {"Name": "Linus"})
    box.airtable.update_record("Contacts", made["id"], {"Email": "linus@example.com"})
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})
    box.airtable.update_record("Contacts", ADA["id"], {"Notes": "Insight: notes"})
    batch = read_changes(client, hook.webhook_id, hook.cursor)
    assert set(batch.changes) == {
        AirtableChange("Contacts", made["id"], "created"),
        AirtableChange("Contacts", ADA["id"], "changed", ("Notes", "Role")),
    }


def test_more_payloads_than_one_page_are_all_read(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    for i in range(70):
        box.airtable.update_record("Contacts", ADA["id"], {"Notes": f"edit {i}"})
    batch = read_changes(client, hook.webhook_id, hook.cursor)
    assert batch.changes == (AirtableChange("Contacts", ADA["id"], "changed", ("Notes",)),)
    assert batch.next_cursor == "71"
    assert box.request_counts()["airtable.webhooks.payloads"] == 2  # 50 a page; mightHaveMore


def test_a_deleted_webhook_means_resync_and_a_new_one_recovers(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    old = create_webhook(client)
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})
    delete_webhook(client, old.webhook_id)  # as if it had expired
    with pytest.raises(ResyncRequired, match="no longer exists"):
        read_changes(client, old.webhook_id, "2")
    with pytest.raises(ResyncRequired):
        refresh_webhook(client, old.webhook_id)
    new = create_webhook(client)
    box.airtable.update_record("Contacts", GRACE["id"], {"Role": "Admiral"})
    batch = read_changes(client, new.webhook_id, new.cursor)
    assert batch.changes == (AirtableChange("Contacts", GRACE["id"], "changed", ("Role",)),)


def test_a_garbled_cursor_means_resync(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    for cursor in ("not-a-number", "0"):
        with pytest.raises(ResyncRequired):
            read_changes(client, hook.webhook_id, cursor)


def test_a_webhook_is_refreshed_before_it_expires(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    assert hook.expiration_time is not None
    now = hook.expiration_time - dt.timedelta(days=7)
    assert not needs_refresh(hook.expiration_time, now)
    assert needs_refresh(hook.expiration_time, hook.expiration_time - dt.timedelta(hours=12))
    renewed = refresh_webhook(client, hook.webhook_id)
    assert renewed is not None and renewed >= hook.expiration_time
    listed = [h.expiration_time for h in list_webhooks(client) if h.webhook_id == hook.webhook_id]
    assert listed == [renewed]


class _Pings:
    """A local notification URL that keeps the raw bodies and MAC headers it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.arrived = threading.Event()
        pings = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                pings.received.append((body, self.headers.get("X-Airtable-Content-MAC", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                pings.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/airtable"


@pytest.fixture
def pings() -> Iterator[_Pings]:
    receiver = _Pings()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_pings_to_a_public_url_verify_with_the_secret(
    airtable_box: Callable[..., Sandbox], pings: _Pings
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client, pings.url)
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})
    assert pings.arrived.wait(5.0)
    body, mac = pings.received[0]
    key = base64.b64decode(hook.mac_secret_base64)
    assert mac_matches(body, mac, key)
    assert not mac_matches(body + b" ", mac, key)
    assert "secret" not in repr(hook) or "***" in repr(hook)
    # the ping only makes the same read prompt
    batch = read_changes(client, hook.webhook_id, hook.cursor)
    assert batch.changes == (AirtableChange("Contacts", ADA["id"], "changed", ("Role",)),)


def test_expired_payloads_behind_the_cursor_mean_resync(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})
    box.airtable.expire_webhook_payloads()  # more than 7 days without a poll
    box.airtable.update_record("Contacts", GRACE["id"], {"Role": "Admiral"})
    with pytest.raises(ResyncRequired, match="cannot tell every change"):
        read_changes(client, hook.webhook_id, hook.cursor)


def test_the_records_a_change_names_are_read_by_id(airtable_box: Callable[..., Sandbox]) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    for i in range(120):
        box.airtable.create_record("Contacts", {"Name": f"New {i}", "Email": f"n{i}@example.com"})
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})
    batch = read_changes(client, hook.webhook_id, hook.cursor)
    ids = [c.record_id for c in batch.changes if c.table == "Contacts"]
    pages = list(read_contacts(client, record_ids=ids))
    read = {r.record_id: r for page in pages for r in page.records}
    assert set(read) == set(ids) and len(ids) == 121
    assert read[ADA["id"]].role == "Countess"  # type: ignore[union-attr]
    assert [p.last for p in pages].count(True) == 1 and pages[-1].last


def test_our_own_writes_are_not_read_back_but_the_users_edits_are(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    ours = [ContactWrite(email=f"c{i}@example.com", name=f"C {i}") for i in range(30)]
    for start in (0, 10, 20):  # Followthrough's own rows: three write requests
        create_contacts(client, ours[start : start + 10])
    box.airtable.update_record("Contacts", ADA["id"], {"Role": "Countess"})  # the user, in the app
    box.reset_requests()

    batch = read_changes(client, hook.webhook_id, hook.cursor)

    assert batch.changes == (AirtableChange("Contacts", ADA["id"], "changed", ("Role",)),)
    assert box.request_counts().get("airtable.records.list") is None
    assert "airtable.meta.whoami" not in box.request_counts()  # judged by content, not author


def _script(box: Sandbox) -> Any:
    """The user's own script (or Zapier, or Make): the same token, so the same Airtable user."""
    return Api(box.airtable_token, endpoint_url=box.url).table(box.airtable_base_id, "Contacts")


def test_edits_by_the_users_other_tools_under_the_same_token_are_read(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    create_contacts(client, [ContactWrite(email="c@example.com", name="C", role="Engineer")])
    ours = read_changes(client, hook.webhook_id, hook.cursor)
    script = _script(box)

    added = script.create({"Name": "Lin", "Email": "lin@example.com"})
    script.update(ADA["id"], {"Role": "Countess"})
    script.update(ours_id(client, "c@example.com"), {"Role": "Director"})  # a row we wrote
    script.delete(GRACE["id"])
    batch = read_changes(client, hook.webhook_id, ours.next_cursor)

    assert ours.changes == ()
    assert {(c.record_id, c.kind) for c in batch.changes} == {
        (added["id"], "created"),
        (ADA["id"], "changed"),
        (ours_id(client, "c@example.com"), "changed"),
        (GRACE["id"], "destroyed"),
    }


def test_a_script_writing_the_value_followthrough_wrote_changes_nothing_worth_reading(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    create_contacts(client, [ContactWrite(email="c@example.com", name="C", stage="Met")])
    first = read_changes(client, hook.webhook_id, hook.cursor)

    _script(box).update(ours_id(client, "c@example.com"), {"Stage": "Met", "Role": "Chef"})
    batch = read_changes(client, hook.webhook_id, first.next_cursor)

    assert batch.changes == (
        AirtableChange("Contacts", ours_id(client, "c@example.com"), "changed", ("Role",)),
    )


def ours_id(client: Any, email: str) -> str:
    """The id of the Contacts row with `email`."""
    found = client.table("Contacts").all(formula=f"{{Email}} = '{email}'")
    assert len(found) == 1
    return str(found[0]["id"])


def test_a_poll_after_only_our_own_writes_reads_no_schema(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    create_contacts(client, [ContactWrite(email="new@example.com", name="New")])

    fresh = make_client(box)  # a new process: what was written is kept, so are the names
    fresh.own_writes, fresh_names = client.own_writes, client.id_names()
    box.reset_requests()
    fresh.adopt_id_names(fresh_names)
    batch = read_changes(fresh, hook.webhook_id, hook.cursor)

    assert batch.changes == ()
    assert box.request_counts() == {"airtable.webhooks.payloads": 1}


def test_a_lapsed_webhook_is_told_by_its_listing_and_its_refused_refresh(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = world(airtable_box)
    client = make_client(box)
    hook = create_webhook(client)
    assert check_enabled(client, hook.webhook_id).enabled

    box.airtable.expire_webhooks()  # seven days with nothing reading or refreshing it

    with pytest.raises(ResyncRequired, match="lapsed"):
        check_enabled(client, hook.webhook_id)
    with pytest.raises(ResyncRequired, match="lapsed"):
        refresh_webhook(client, hook.webhook_id)
    box.airtable.delete_lapsed_webhooks()  # and some time later Airtable deletes it
    with pytest.raises(ResyncRequired, match="no longer exists"):
        check_enabled(client, hook.webhook_id)
