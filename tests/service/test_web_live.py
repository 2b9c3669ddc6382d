"""Webhooks on the live context: the sandbox's real pushes enqueue syncs; forgeries do not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from workflows import channels
from workflows.actors import Actors, declare_actors
from workflows.runtime import Runtime
from workflows.store.webhooks import channels as stored_channels
from workflows.store.webhooks import find_channel, save_channel
from workflows.sync import sync_source

NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

PUSHED = ["google_contacts", "google_calendar"]  # what a calendar push syncs


@dataclasses.dataclass
class Live:
    """A web app on the live context, its runtime (public URL = the app) and its broker."""

    sandbox: Sandbox
    runtime: Runtime
    broker: StubBroker
    actors: Actors
    url: str

    def wait_for_message(self, timeout: float = 5.0) -> list[tuple[str, tuple[Any, ...]]]:
        """The messages enqueued once at least one has arrived (drained)."""
        deadline = time.monotonic() + timeout
        while self._all_empty() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # a second message, if one were coming, would be here by now
        return self.queued()

    def _all_empty(self) -> bool:
        return all(self.broker.queues[name].empty() for name in self.actors.queues)

    def queued(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The messages enqueued so far on either queue (drained): actor name and arguments."""
        found = []
        for name in self.actors.queues:
            queue = self.broker.queues[name]
            while not queue.empty():
                message = Message.decode(queue.get_nowait())
                queue.task_done()
                found.append((message.actor_name, tuple(message.args)))
        return found


@pytest.fixture
def live(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,  # noqa: F811
) -> Iterator[Live]:
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW)
    broker = StubBroker()
    actors = declare_actors(broker)
    server = WebServer(create_app(LiveContext(runtime, actors, broker)))
    runtime.config = dataclasses.replace(runtime.config, public_url=server.url)
    with server:
        yield Live(sandbox, runtime, broker, actors, server.url)
    broker.close()


def calendar_post(live: Live, channel_id: str, token: str) -> requests.Response:
    headers = {
        "X-Goog-Channel-ID": channel_id,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-ID": "r1",
    }
    return requests.post(f"{live.url}/webhooks/google/calendar", headers=headers, timeout=5)


def test_a_calendar_change_pushed_by_google_enqueues_a_calendar_sync(live: Live) -> None:
    # Given the service opened a watch channel on the calendar at its public URL
    channel_id = channels.ensure_calendar_channel(live.runtime)
    assert channel_id is not None

    # When an event changes, Google (the sandbox) posts to the web app
    live.sandbox.update_event("evtinterviewada01", {"summary": "Informational interview: Ada L."})
    pushes = live.sandbox.push_log()

    # Then every push was accepted and the change asked for exactly one calendar sync, with
    # the contacts first (they have no push: a new attendee's contact is found at once)
    assert [p["status"] for p in pushes] == [200, 200]  # the channel's "sync", then the change
    assert live.queued() == [("sync", (live.runtime.account, PUSHED))]


def test_forged_calendar_notifications_are_refused_and_enqueue_nothing(live: Live) -> None:
    channel_id = channels.ensure_calendar_channel(live.runtime)
    assert channel_id is not None
    live.sandbox.push_log()
    live.queued()

    unknown = calendar_post(live, "not-our-channel", "whatever")
    bad_token = calendar_post(live, channel_id, "guessed-token")

    assert unknown.status_code == 404
    assert bad_token.status_code == 403
    assert live.queued() == []


def test_a_push_for_one_accounts_channel_routes_to_that_account_only(live: Live) -> None:
    # Given account A's watch channel, and account B served by the same web app and database
    channel_id = channels.ensure_calendar_channel(live.runtime)
    assert channel_id is not None

    # When B stores a channel with A's id (its own token), and A's calendar then changes
    with live.runtime.db.transaction() as session:
        save_channel(
            session,
            provider="google_calendar",
            channel_id=channel_id,
            token="bob-token",
            account="bob",
        )
    live.sandbox.update_event("evtinterviewada01", {"summary": "Informational interview: Ada L."})

    # Then Google's push reached A, which asked for its sync; A's channel is still A's
    assert [p["status"] for p in live.sandbox.push_log()] == [200, 200]  # "sync", the change
    assert live.queued() == [("sync", (live.runtime.account, PUSHED))]
    with live.runtime.db.read() as session:
        row = find_channel(session, "google_calendar", channel_id, account=live.runtime.account)
        assert row is not None and row.token != "bob-token"
    # and a notification signed with B's token for the same id syncs B, and B only
    assert calendar_post(live, channel_id, "bob-token").status_code == 200
    assert live.queued() == [("sync", ("bob", PUSHED))]


def test_an_airtable_edit_pinged_with_a_valid_mac_enqueues_a_payload_fetch(live: Live) -> None:
    # Given the first Airtable sync created the base's webhook with our public URL
    sync_source(live.runtime, "airtable")
    with live.runtime.db.read() as session:
        [webhook] = stored_channels(session, "airtable", account=live.runtime.account)

    # When the user edits a contact in Airtable
    ada = next(r for r in live.sandbox.airtable.records("Contacts") if "Ada" in str(r["fields"]))
    live.sandbox.airtable.update_record("Contacts", ada["id"], {"Role": "Chief Engineer"})

    # Then Airtable's signed ping (sent from its own thread) enqueued one payload fetch
    assert live.wait_for_message() == [
        ("fetch_airtable", (live.runtime.account, webhook.channel_id))
    ]


def test_airtable_pings_with_a_bad_mac_or_unknown_webhook_are_refused(live: Live) -> None:
    sync_source(live.runtime, "airtable")
    with live.runtime.db.read() as session:
        [webhook] = stored_channels(session, "airtable", account=live.runtime.account)
    body = json.dumps(
        {"base": {"id": live.sandbox.airtable_base_id}, "webhook": {"id": webhook.channel_id}}
    ).encode()
    secret = channels.airtable_mac_secret(
        live.runtime.db, webhook.channel_id, account=live.runtime.account
    )
    assert secret is not None
    good_mac = "hmac-sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    forged_mac = "hmac-sha256=" + hmac.new(b"guess", body, hashlib.sha256).hexdigest()
    unknown_body = body.replace(webhook.channel_id.encode(), b"achNotOurs0000000")

    def ping(data: bytes, mac: str) -> int:
        headers = {"X-Airtable-Content-MAC": mac, "Content-Type": "application/json"}
        url = f"{live.url}/webhooks/airtable"
        return requests.post(url, data=data, headers=headers, timeout=5).status_code

    assert ping(body, forged_mac) == 401
    assert ping(unknown_body, good_mac) == 404
    assert live.queued() == []
    assert ping(body, good_mac) == 200
    assert live.queued() == [("fetch_airtable", (live.runtime.account, webhook.channel_id))]

    # A stored secret that is not base64 (damaged by hand) refuses every ping, never crashes
    with live.runtime.db.transaction() as session:
        stored = find_channel(session, "airtable", webhook.channel_id, account=live.runtime.account)
        assert stored is not None
        stored.mac_secret = "c2Vj*cmV0"
    assert ping(body, good_mac) == 404
    assert live.queued() == []


def test_a_channel_near_its_end_is_replaced_and_the_old_one_stopped(live: Live) -> None:
    first = channels.ensure_calendar_channel(live.runtime)
    assert channels.ensure_calendar_channel(live.runtime) == first  # still young: kept

    six_and_a_half_days_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=6.5)
    second = channels.ensure_calendar_channel(live.runtime, now=six_and_a_half_days_later)

    assert second not in (None, first)
    assert list(live.sandbox.calendar_api.channels.open_channels) == [second]
    assert (
        channels.calendar_channel_token(live.runtime.db, str(first), account=live.runtime.account)
        is None
    )


def test_readiness_reports_the_database_and_the_broker(live: Live) -> None:
    assert requests.get(f"{live.url}/readyz", timeout=5).json()["checks"] == {
        "database": True,
        "broker": True,
    }
    assert "Followthrough" in requests.get(f"{live.url}/", timeout=5).text


def test_a_new_public_url_gets_a_new_channel_and_the_old_one_stopped(live: Live) -> None:
    first = channels.ensure_calendar_channel(live.runtime)
    moved = "http://127.0.0.1:9/followthrough"  # the service now answers elsewhere
    live.runtime.config = dataclasses.replace(live.runtime.config, public_url=moved)

    second = channels.ensure_calendar_channel(live.runtime)

    assert second not in (None, first)
    open_now = live.sandbox.calendar_api.channels.open_channels
    assert list(open_now) == [second]
    assert open_now[str(second)].address == f"{moved}/webhooks/google/calendar"
    assert channels.ensure_calendar_channel(live.runtime) == second  # and it is kept
