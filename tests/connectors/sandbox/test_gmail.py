"""Gmail drafts in the sandbox, driven through the real google-api-python-client."""

from __future__ import annotations

import base64
import threading
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import call, service


def _raw(subject: str, to: str, body: str, message_id: str | None = None) -> str:
    message = EmailMessage()
    message["To"] = to
    message["From"] = "sam.seeker@example.com"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


@pytest.fixture
def gmail(sandbox: Sandbox) -> Any:
    return service(sandbox, "gmail")


def test_a_created_draft_keeps_subject_recipients_and_body(gmail: Any, sandbox: Sandbox) -> None:
    raw = _raw(
        "Thank you, Ada",
        "Ada Lovelace <ada@analytical.example>",
        "I learned to start with the data model.",
    )
    created = gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
    assert created["message"]["labelIds"] == ["DRAFT"]
    [draft] = sandbox.drafts()
    assert (draft["id"], draft["subject"], draft["to"]) == (
        created["id"],
        "Thank you, Ada",
        ["ada@analytical.example"],
    )
    assert "start with the data model" in draft["body"] and draft["sent"] is False


def test_get_returns_headers_and_body_in_full_and_raw(gmail: Any) -> None:
    raw = _raw("Hello", "grace.hopper@gmail.com", "Body text")
    draft_id = (
        gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()["id"]
    )
    full = gmail.users().drafts().get(userId="me", id=draft_id).execute()
    headers = {h["name"]: h["value"] for h in full["message"]["payload"]["headers"]}
    assert headers["Subject"] == "Hello" and headers["Message-ID"]
    data = full["message"]["payload"]["body"]["data"]
    assert base64.urlsafe_b64decode(data + "==").decode().strip() == "Body text"
    as_raw = gmail.users().drafts().get(userId="me", id=draft_id, format="raw").execute()
    assert b"Subject: Hello" in base64.urlsafe_b64decode(as_raw["message"]["raw"] + "==")


def test_list_finds_a_draft_by_rfc822msgid(gmail: Any) -> None:
    for n in range(3):
        raw = _raw(
            f"Draft {n}", "a@b.example", "x", message_id=f"<thank-you-{n}@followthrough.local>"
        )
        gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
    found = (
        gmail.users()
        .drafts()
        .list(userId="me", q="rfc822msgid:thank-you-1@followthrough.local")
        .execute()
    )
    assert len(found["drafts"]) == 1 and found["resultSizeEstimate"] == 1
    none = gmail.users().drafts().list(userId="me", q="rfc822msgid:<nope@x>").execute()
    assert none == {"resultSizeEstimate": 0}


def test_update_replaces_the_message_and_delete_removes_the_draft(
    gmail: Any, sandbox: Sandbox
) -> None:
    draft = (
        gmail.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": _raw("v1", "a@b.example", "one")}})
        .execute()
    )
    updated = (
        gmail.users()
        .drafts()
        .update(
            userId="me", id=draft["id"], body={"message": {"raw": _raw("v2", "a@b.example", "two")}}
        )
        .execute()
    )
    assert updated["id"] == draft["id"] and updated["message"]["id"] != draft["message"]["id"]
    assert sandbox.drafts()[0]["subject"] == "v2"
    gmail.users().drafts().delete(userId="me", id=draft["id"]).execute()
    assert sandbox.drafts() == []
    with pytest.raises(HttpError) as caught:
        gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    assert caught.value.resp.status == 404


def test_a_sent_draft_leaves_the_drafts_list(gmail: Any, sandbox: Sandbox) -> None:
    draft = (
        gmail.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": _raw("s", "a@b.example", "x")}})
        .execute()
    )
    sandbox.mark_draft_sent(draft["id"])
    assert gmail.users().drafts().list(userId="me").execute()["resultSizeEstimate"] == 0
    assert sandbox.drafts()[0]["sent"] is True


@pytest.mark.parametrize("body", [{}, {"message": {}}, {"message": {"raw": "%%%"}}])
def test_a_draft_without_a_valid_raw_message_is_400(sandbox: Sandbox, body: dict[str, Any]) -> None:
    status, answer = call(sandbox, "POST", "/gmail/v1/users/me/drafts", body)
    assert status == 400 and answer["error"]["status"] == "INVALID_ARGUMENT"


def test_a_malformed_json_body_is_400(sandbox: Sandbox) -> None:
    status, answer = call(sandbox, "POST", "/gmail/v1/users/me/drafts", b"{not json")
    assert status == 400 and answer["error"]["code"] == 400


def test_drafts_list_pages_newest_first(gmail: Any) -> None:
    for n in range(5):
        raw = _raw(f"Draft {n}", "a@b.example", "x")
        gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
    first = gmail.users().drafts().list(userId="me", maxResults=3).execute()
    rest = (
        gmail.users()
        .drafts()
        .list(userId="me", maxResults=3, pageToken=first["nextPageToken"])
        .execute()
    )
    assert (len(first["drafts"]), len(rest["drafts"]), first["resultSizeEstimate"]) == (3, 2, 5)
    assert "nextPageToken" not in rest


def test_drafts_past_the_users_quota_are_refused_as_gmail_refuses_them(sandbox: Sandbox) -> None:
    # Given a client that writes 64 drafts from eight threads, ignoring Gmail's quota
    refused: list[HttpError] = []

    def write(n: int) -> None:
        gmail = service(sandbox, "gmail")  # a service per thread: httplib2 is not thread-safe
        for i in range(8):
            raw = _raw(f"Thanks {n}-{i}", "ada@analytical.example", "Body")
            try:
                gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
            except HttpError as exc:
                refused.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then those past 250 units a second (10 a draft) are refused with Gmail's 403
    assert refused
    assert {e.resp.status for e in refused} == {403}
    assert all(b"userRateLimitExceeded" in e.content for e in refused)
    assert len(sandbox.drafts()) == 64 - len(refused)
