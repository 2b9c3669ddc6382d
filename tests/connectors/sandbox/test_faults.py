"""Fault injection, the request log and the control API over HTTP, seen through real clients."""

from __future__ import annotations

import base64
import http.client
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import call, service

RAW = base64.urlsafe_b64encode(b"To: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n").decode()


def test_injected_5xx_are_retried_by_the_client_and_counted(sandbox: Sandbox) -> None:
    cal = service(sandbox, "calendar")
    sandbox.fail_next("calendar.events.list", 503, times=2)
    assert cal.events().list(calendarId="primary").execute(num_retries=3)["items"]
    log = [e for e in sandbox.requests_log() if e["route"] == "calendar.events.list"]
    assert [e["status"] for e in log] == [503, 503, 200]
    assert sandbox.request_counts()["calendar.events.list"] == 3


def test_an_error_rate_answers_in_googles_shape_until_cleared(sandbox: Sandbox) -> None:
    people = service(sandbox, "people")
    sandbox.set_error_rate("google", 429, 1.0)
    with pytest.raises(HttpError) as caught:
        people.people().connections().list(resourceName="people/me", personFields="names").execute()
    assert caught.value.resp.status == 429
    assert caught.value.error_details[0]["reason"] == "rateLimitExceeded"
    sandbox.clear_faults()
    assert (
        people.people()
        .connections()
        .list(resourceName="people/me", personFields="names")
        .execute()["connections"]
    )


def test_airtable_routes_get_airtables_error_shape(sandbox: Sandbox) -> None:
    sandbox.fail_next("airtable", 500)
    status, body = call(
        sandbox, "GET", f"/v0/{sandbox.airtable_base_id}/Contacts", token=sandbox.airtable_token
    )
    assert status == 500 and body["error"]["type"] == "SERVER_ERROR"


def test_latency_delays_matching_requests_only(sandbox: Sandbox) -> None:
    sandbox.set_latency(0.3, "calendar")
    started = time.monotonic()
    call(sandbox, "GET", "/calendar/v3/calendars/primary")
    slow = time.monotonic() - started
    started = time.monotonic()
    call(sandbox, "GET", "/tasks/v1/users/@me/lists")
    assert slow >= 0.3 and time.monotonic() - started < 0.3


def test_an_ambiguous_write_is_applied_but_never_answered(sandbox: Sandbox) -> None:
    sandbox.drop_next_writes("gmail.drafts.create")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        call(sandbox, "POST", "/gmail/v1/users/me/drafts", {"message": {"raw": RAW}})
    assert len(sandbox.drafts()) == 1
    assert sandbox.requests_log()[-1]["status"] == 0


def test_a_cut_reply_is_applied_then_ends_mid_body(sandbox: Sandbox) -> None:
    sandbox.cut_next_replies("gmail.drafts.create")
    with pytest.raises(http.client.IncompleteRead):
        call(sandbox, "POST", "/gmail/v1/users/me/drafts", {"message": {"raw": RAW}})
    assert len(sandbox.drafts()) == 1
    assert sandbox.requests_log()[-1]["status"] == 0
    # and only the next matching write: the one after is answered in full
    assert call(sandbox, "POST", "/gmail/v1/users/me/drafts", {"message": {"raw": RAW}})[0] == 200


def test_httplib2_silently_resends_a_dropped_post_so_the_write_lands_twice(
    sandbox: Sandbox,
) -> None:
    gmail = service(sandbox, "gmail")
    sandbox.drop_next_writes("gmail.drafts.create")
    gmail.users().drafts().create(userId="me", body={"message": {"raw": RAW}}).execute()
    assert len(sandbox.drafts()) == 2  # the fact that bites: no error, two drafts


def test_expired_access_tokens_are_refreshed_by_the_client(sandbox: Sandbox) -> None:
    tasks = service(sandbox, "tasks")
    tasks.tasklists().list().execute()
    sandbox.expire_access_tokens()
    assert tasks.tasklists().list().execute()["items"]
    counts = sandbox.request_counts()
    assert counts["oauth.token"] == 1 and counts["tasks.tasklists.list"] == 3


def test_the_request_log_tells_own_credentials_from_anyone_elses_without_the_secret(
    sandbox: Sandbox,
) -> None:
    # Given a client of this sandbox whose access token expires (it refreshes at /token)
    tasks = service(sandbox, "tasks")
    tasks.tasklists().list().execute()
    sandbox.expire_access_tokens()
    tasks.tasklists().list().execute()
    # When someone calls with a token this sandbox never issued, and someone with none
    call(sandbox, "GET", "/tasks/v1/users/@me/lists", token="ya29.someone-elses-token")
    call(sandbox, "GET", "/tasks/v1/users/@me/lists", token=None)

    # Then the log names each caller by fingerprint: its own, the stranger's, none
    log = sandbox.requests_log()
    own = set(sandbox.own_credentials())
    assert [e["credential"] in own for e in log[:-2]] == [True] * (len(log) - 2)
    assert log[-2]["credential"] not in own | {""} and log[-1]["credential"] == ""
    assert {e["route"] for e in log[:-2]} == {"tasks.tasklists.list", "oauth.token"}
    secrets = [*sandbox.oauth.tokens, sandbox.oauth.refresh_token, "someone-elses"]
    assert not any(secret in str(log) for secret in secrets)


def test_unknown_paths_are_404_not_500(sandbox: Sandbox) -> None:
    assert call(sandbox, "GET", "/calendar/v3/nowhere")[0] == 404
    assert call(sandbox, "GET", "/v0/")[0] == 404


def _control(sandbox: Sandbox, name: str, body: dict[str, Any] | None = None) -> Any:
    import json

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/{name}", data=data, method="POST" if data else "GET"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def test_the_control_api_works_over_http(sandbox: Sandbox) -> None:
    _control(sandbox, "fail_next", {"target": "calendar.calendars.get", "status": 500})
    assert call(sandbox, "GET", "/calendar/v3/calendars/primary")[0] == 500
    _control(sandbox, "cancel_event", {"event_id": "evtinterviewada01"})
    events = {e["id"]: e["status"] for e in _control(sandbox, "events")}
    assert events["evtinterviewada01"] == "cancelled"
    assert _control(sandbox, "request_counts") == {"calendar.calendars.get": 1}
    with pytest.raises(urllib.error.HTTPError) as caught:
        _control(sandbox, "fail_next", {"target": "x", "status": 418})
    assert caught.value.code == 400


def test_airtable_control_methods_are_reachable_over_http(sandbox: Sandbox) -> None:
    records = _control(sandbox, "airtable/records", {"table": "Contacts"})
    assert any(r["fields"].get("Name") == "Ada Lovelace" for r in records)


def test_concurrent_clients_and_world_changes_never_fail(sandbox: Sandbox) -> None:
    import threading

    token = sandbox.google_credentials()["token"]
    statuses: list[int] = []

    def read() -> None:
        for _ in range(15):
            statuses.append(
                call(
                    sandbox,
                    "GET",
                    "/calendar/v3/calendars/primary/events?singleEvents=true&maxResults=2",
                    token=token,
                )[0]
            )

    def write() -> None:
        for n in range(30):
            start = f"2026-03-{1 + n % 28:02d}T12:00:00Z"
            sandbox.add_event({"start": {"dateTime": start}, "end": {"dateTime": start}})

    threads = [threading.Thread(target=read) for _ in range(6)] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 90
    assert len(sandbox.events()) == 2 + 30


def test_a_client_that_hangs_up_before_its_answer_leaves_no_traceback(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_latency(0.1)
    for _ in range(3):
        with socket.create_connection((sandbox.host, sandbox.port)) as client:
            client.sendall(b"GET /v1/people/me/connections HTTP/1.1\r\nHost: sandbox\r\n\r\n")
    time.sleep(0.4)  # the server answers into closed connections

    assert sandbox.request_counts()["people.connections.list"] == 3
    assert "Traceback" not in capfd.readouterr().err
