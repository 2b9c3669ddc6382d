"""One sandbox, many users: each tenant's token reaches its own calendar, Gmail and base only."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import pytest
import requests

from connectors.sandbox.remote import RemoteSandbox
from connectors.sandbox.server import Sandbox
from connectors.sandbox.tenants import Tenant
from tests.connectors.sandbox.helpers import call, credentials, service
from tests.workflows.world import at, meeting, world


def tenant_world(event_id: str, title: str) -> dict[str, Any]:
    """A user with one meeting, and no Airtable identity of its own (the sandbox makes one)."""
    fixture = world(events=[meeting(event_id, title, at(2026, 3, 2, 9))])
    fixture["google"].pop("user")
    fixture["airtable"] = {"tables": fixture["airtable"]["tables"]}
    return fixture


@pytest.fixture
def two(sandbox: Sandbox) -> tuple[Tenant, Tenant]:
    """Alice and Bob, two tenants beside the sandbox's own world."""
    alice = sandbox.add_tenant(tenant_world("evtalice", "Chat with Ada"), name="alice")
    bob = sandbox.add_tenant(tenant_world("evtbob", "Chat with Grace"), name="bob")
    return alice, bob


def titles(tenant: Tenant | Sandbox, token: str, calendar: str = "primary") -> tuple[int, Any]:
    status, body = call(tenant, "GET", f"/calendar/v3/calendars/{calendar}/events", token=token)
    return status, sorted(e["summary"] for e in body["items"]) if status == 200 else body


def test_a_token_reads_its_own_users_calendar_and_never_another(
    sandbox: Sandbox, two: tuple[Tenant, Tenant]
) -> None:
    alice, bob = two
    alices_token = alice.google_credentials()["token"]

    assert titles(alice, alices_token) == (200, ["Chat with Ada"])
    assert titles(bob, bob.google_credentials()["token"]) == (200, ["Chat with Grace"])
    # Bob's calendar named by its id is not Alice's to read: it does not exist for her
    status, _ = titles(alice, alices_token, calendar=bob.user_email)
    assert status == 404
    assert "Chat with Ada" not in str(sandbox.events())


def test_a_refresh_token_refreshes_into_its_own_users_world(
    two: tuple[Tenant, Tenant],
) -> None:
    alice, bob = two
    creds = credentials(bob)
    creds.token = None
    creds.refresh(google.auth.transport.requests.Request())
    assert bob.owns_google_token(str(creds.token)) and not alice.owns_google_token(str(creds.token))
    assert titles(bob, str(creds.token)) == (200, ["Chat with Grace"])


def test_each_tenants_drafts_land_only_in_its_own_gmail(
    sandbox: Sandbox, two: tuple[Tenant, Tenant]
) -> None:
    alice, bob = two
    message = EmailMessage()
    message["To"], message["Subject"] = "ada@analytical.example", "Thank you, Ada"
    message.set_content("Thanks for the chat.")
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()

    gmail = service(alice, "gmail", credentials(alice))
    gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()

    assert [d["subject"] for d in alice.drafts()] == ["Thank you, Ada"]
    assert bob.drafts() == [] and sandbox.drafts() == []
    assert sandbox.draft_counts() == {"default": 0, "alice": 1, "bob": 0}
    assert alice.request_counts() == {"gmail.drafts.create": 1}
    assert bob.request_counts() == {}
    assert sandbox.requests_by_tenant("gmail.drafts.create") == {"alice": 1}


def test_an_airtable_token_reaches_its_own_base_only(
    sandbox: Sandbox, two: tuple[Tenant, Tenant]
) -> None:
    alice, bob = two
    contacts = f"/v0/{bob.airtable_base_id}/Contacts"

    assert call(bob, "GET", contacts, token=bob.airtable_token)[0] == 200
    status, body = call(alice, "GET", contacts, token=alice.airtable_token)
    assert status == 403
    assert body["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    status, body = call(sandbox, "GET", "/v0/meta/bases", token=alice.airtable_token)
    assert [b["id"] for b in body["bases"]] == [alice.airtable_base_id]


def test_the_per_base_rate_limit_is_each_bases_own(two: tuple[Tenant, Tenant]) -> None:
    alice, bob = two
    alice.airtable.set_rate_limit(per_second=1, penalty_seconds=30)
    alices = [
        call(alice, "GET", f"/v0/{alice.airtable_base_id}/Contacts", token=alice.airtable_token)[0]
        for _ in range(3)
    ]
    bobs = call(bob, "GET", f"/v0/{bob.airtable_base_id}/Contacts", token=bob.airtable_token)[0]
    assert 429 in alices and bobs == 200


def test_the_control_api_addresses_a_tenant(sandbox: Sandbox) -> None:
    status, body = call(
        sandbox, "POST", "/_sandbox/add_tenants", {"fixtures": [{}], "names": ["carol"]}, None
    )
    assert status == 200
    carol = body["result"][0]
    assert carol["name"] == "carol" and carol["user_email"] == "carol@example.com"

    event = {"id": "evtcarol", "summary": "Carol's chat", **_times()}
    status, _ = call(sandbox, "POST", "/_sandbox/tenants/carol/add_event", {"event": event}, None)
    assert status == 200
    token = carol["google_credentials"]["token"]
    assert titles(sandbox, token) == (200, ["Carol's chat"])
    assert "Carol's chat" not in str(sandbox.events())
    status, body = call(sandbox, "GET", "/_sandbox/tenants/nobody/drafts", token=None)
    assert status == 404 and "nobody" in body["error"]["message"]


def test_a_second_tenant_may_not_take_anothers_base_or_user(
    sandbox: Sandbox, two: tuple[Tenant, Tenant]
) -> None:
    alice, _ = two
    with pytest.raises(ValueError, match="Airtable base id"):
        sandbox.add_tenant({"airtable": {"base_id": alice.airtable_base_id}}, name="eve")
    with pytest.raises(ValueError, match="user email"):
        sandbox.add_tenant({"google": {"user": {"email": alice.user_email}}}, name="eve")


def _times() -> dict[str, Any]:
    start = at(2026, 3, 2, 9)
    end = at(2026, 3, 2, 10)
    return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}


def test_a_sandbox_process_serves_each_tenant_its_own_world(tmp_path: Path) -> None:
    # Given one sandbox process and two tenants added over its control API
    with RemoteSandbox({}, tmp_path) as box:
        alice, bob = box.add_tenants(
            [tenant_world("evtalice", "Chat with Ada"), tenant_world("evtbob", "Chat with Grace")],
            ["alice", "bob"],
        )

        # Then each one's token reads its own calendar, through the real client's path
        for tenant, title in ((alice, "Chat with Ada"), (bob, "Chat with Grace")):
            reply = requests.get(
                f"{box.url}/calendar/v3/calendars/primary/events",
                headers={"Authorization": f"Bearer {tenant.google_credentials['token']}"},
                timeout=10,
            )
            assert [e["summary"] for e in reply.json()["items"]] == [title]
        # And the control API acts on one tenant's world only
        assert [e["id"] for e in bob.call("events")] == ["evtbob"]
        assert box.call("draft_counts") == {"default": 0, "alice": 0, "bob": 0}
        assert box.call("requests_by_tenant") == {"alice": 1, "bob": 1}
