"""The transport and the call policy over real HTTP: no hidden re-sends, timeouts, threads, 401."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.errors import AmbiguousWrite, AuthorizationError, RetryLater
from connectors.google.client import GoogleClient, shared_service
from connectors.policy import FAST_POLICY, RetryPolicy
from connectors.records import DraftMessage
from connectors.sandbox.server import Sandbox

DRAFT = DraftMessage(
    to="ada@analytical.example",
    subject="Thanks",
    body="Thank you!",
    message_id="<feedfacefeedfacefeedfacefeedface@followthrough.local>",
)


def test_a_dropped_write_is_sent_once_and_reported_ambiguous(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    sandbox.drop_next_writes("gmail.drafts.create", times=1)

    with pytest.raises(AmbiguousWrite, match=r"(?i)look it up"):
        google_client(sandbox).gmail.create_draft(DRAFT)

    # httplib2 would have sent the POST a second time and made two drafts.
    assert sandbox.request_counts() == {"gmail.drafts.create": 1}
    assert len(sandbox.drafts()) == 1


def test_every_request_has_a_timeout_and_reads_are_retried_visibly(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    policy = RetryPolicy(timeout=0.2, attempts=2, base_delay=0.01, max_delay=0.02)
    client = GoogleClient(credentials_file(sandbox), sandbox.url, policy)
    sandbox.set_latency(1.0, "calendar.events.get")
    started = time.monotonic()

    with pytest.raises(RetryLater, match="no response within"):
        client.calendar.get_event("primary", "evtinterviewada01")

    assert time.monotonic() - started < 1.0
    time.sleep(1.2)  # let the sandbox finish the slow requests before counting them
    assert sandbox.request_counts() == {"calendar.events.get": 2}


def test_threads_share_one_service_and_refresh_the_token_once(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    client.calendar.get_event("primary", "evtinterviewada01")
    sandbox.expire_access_tokens()
    barrier = threading.Barrier(4)
    services: list[object] = []
    titles: list[str] = []

    def work() -> None:
        services.append(client.service("calendar"))
        barrier.wait()
        titles.append(client.calendar.get_event("primary", "evtinterviewada01").title)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Every thread read the event through the one service built from the discovery document
    # (each over its own transport), and the expired token was refreshed once for all
    assert len(titles) == 4 and len(set(titles)) == 1
    assert len({id(s) for s in services}) == 1
    assert sandbox.request_counts()["oauth.token"] == 1


def test_a_revoked_grant_stops_the_call_and_says_what_to_do(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    path = credentials_file(sandbox, token="ya29.revoked", refresh_token="revoked-by-user")
    client = GoogleClient(path, sandbox.url, RetryPolicy(timeout=5))

    with pytest.raises(AuthorizationError, match="followthrough auth google"):
        client.calendar.get_event("primary", "evtinterviewada01")

    assert sandbox.request_counts() == {"calendar.events.get": 1, "oauth.token": 1}


def test_a_token_still_refused_after_one_refresh_stops_with_authorization_error(
    sandbox_factory: Callable[..., Sandbox], credentials_file: Callable[..., Path]
) -> None:
    issuer, api = sandbox_factory(), sandbox_factory()  # tokens from one are unknown to the other
    client = GoogleClient(credentials_file(issuer), api.url, RetryPolicy(timeout=5))

    with pytest.raises(AuthorizationError, match="followthrough auth google"):
        client.calendar.get_event("primary", "evtinterviewada01")

    assert issuer.request_counts() == {"oauth.token": 1}
    assert api.request_counts() == {"calendar.events.get": 2}


def test_accounts_share_the_service_objects_but_each_request_carries_its_own_credentials(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given two accounts' clients on one endpoint: Ada's credentials are good, the other's
    # were revoked (its token and refresh token no longer valid)
    def client(name: str, **overrides: str) -> GoogleClient:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**sandbox.google_credentials(), **overrides}))
        return GoogleClient(path, sandbox.url, FAST_POLICY)

    ada = client("ada")
    revoked = client("revoked", token="ya29.revoked", refresh_token="1//revoked")

    # When both read the same event, one after the other and then Ada again
    assert ada.calendar.get_event("primary", "evtinterviewada01").title
    with pytest.raises(AuthorizationError):
        revoked.calendar.get_event("primary", "evtinterviewada01")
    title = ada.calendar.get_event("primary", "evtinterviewada01").title

    # Then each went out with its own credentials (the revoked one never borrowed Ada's),
    # through the one service object the process built for that endpoint
    assert title
    assert ada.service("calendar")._shared is revoked.service("calendar")._shared
    # and a request made on the shared object itself, outside any account, is refused
    shared = shared_service("calendar", sandbox.url)
    with pytest.raises(RuntimeError, match="without an account's transport"):
        shared.events().get(calendarId="primary", eventId="evtinterviewada01").execute()
