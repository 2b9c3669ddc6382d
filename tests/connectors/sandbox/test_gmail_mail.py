"""The sandbox's Gmail mailbox as the real client sees it: the user's edits, sends and replies,
history, the profile, and what the gmail.metadata scope refuses."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.google.auth import GMAIL_COMPOSE_SCOPE, GMAIL_METADATA_SCOPE, SCOPES
from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import credentials, service

CONTACT = "Ada Lovelace <ada@analytical.example>"


@pytest.fixture
def gmail(sandbox: Sandbox) -> Any:
    """A client whose token has Followthrough's scopes and gmail.metadata."""
    creds = credentials(sandbox)
    creds.token = sandbox.google_credentials([*SCOPES, GMAIL_METADATA_SCOPE])["token"]
    return service(sandbox, "gmail", creds)


def with_scopes(sandbox: Sandbox, scopes: list[str]) -> Any:
    creds = credentials(sandbox)
    creds.token = sandbox.google_credentials(scopes)["token"]
    return service(sandbox, "gmail", creds)


def create_draft(gmail: Any, subject: str = "Thank you, Ada") -> dict[str, Any]:
    message = EmailMessage()
    message["To"] = CONTACT
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(',', '').replace(' ', '-')}@followthrough.local>"
    message.set_content("I learned to start with the data model.")
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    draft: dict[str, Any] = (
        gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()
    )
    return draft


def status_and_message(request: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        request.execute()
    return caught.value.resp.status, caught.value.reason


def headers(message: dict[str, Any]) -> dict[str, str]:
    return {h["name"]: h["value"] for h in message["payload"]["headers"]}


def test_an_edit_in_gmail_keeps_the_draft_and_gives_it_a_new_message(
    sandbox: Sandbox, gmail: Any
) -> None:
    draft = create_draft(gmail)
    new_id = sandbox.edit_draft(draft["id"], body="Hi Ada, my own words.", subject="Thanks!")
    seen = gmail.users().drafts().get(userId="me", id=draft["id"], format="metadata").execute()
    assert seen["message"]["id"] == new_id != draft["message"]["id"]
    assert seen["message"]["threadId"] == draft["message"]["threadId"]
    assert headers(seen["message"])["Subject"] == "Thanks!"
    assert "Thank-you" not in headers(seen["message"])["Message-ID"]
    assert sandbox.drafts()[0]["body"].strip() == "Hi Ada, my own words."


def test_a_sent_draft_is_a_new_message_labelled_sent_in_the_same_thread(
    sandbox: Sandbox, gmail: Any
) -> None:
    draft = create_draft(gmail)
    sent = sandbox.mark_draft_sent(draft["id"], at="2026-03-02T15:00:00+00:00")
    assert sent["thread_id"] == draft["message"]["threadId"]
    assert sent["id"] != draft["message"]["id"]
    with pytest.raises(HttpError) as caught:
        gmail.users().drafts().get(userId="me", id=draft["id"], format="metadata").execute()
    assert caught.value.resp.status == 404
    message = gmail.users().messages().get(userId="me", id=sent["id"], format="minimal").execute()
    assert message["labelIds"] == ["SENT"] and message["threadId"] == sent["thread_id"]
    thread = (
        gmail.users().threads().get(userId="me", id=sent["thread_id"], format="minimal").execute()
    )
    assert [m["id"] for m in thread["messages"]] == [sent["id"]]


def test_a_reply_arrives_in_the_thread_from_the_contact(sandbox: Sandbox, gmail: Any) -> None:
    draft = create_draft(gmail)
    sent = sandbox.mark_draft_sent(draft["id"], at="2026-03-02T15:00:00+00:00")
    reply_id = sandbox.receive_reply(
        sent["thread_id"], CONTACT, "Glad it helped!", at="2026-03-03T09:30:00+00:00"
    )
    reply = (
        gmail.users()
        .messages()
        .get(userId="me", id=reply_id, format="metadata", metadataHeaders=["From", "In-Reply-To"])
        .execute()
    )
    assert set(reply["labelIds"]) == {"INBOX", "UNREAD"}
    assert reply["threadId"] == sent["thread_id"]
    assert headers(reply) == {
        "From": CONTACT,
        "In-Reply-To": "<Thank-you-Ada@followthrough.local>",
    }
    assert reply["internalDate"] == "1772530200000"
    assert "snippet" not in reply and "body" not in reply["payload"]


def test_history_lists_what_happened_since_the_profiles_history_id(
    sandbox: Sandbox, gmail: Any
) -> None:
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == sandbox.user_email and profile["messagesTotal"] == 0
    start = profile["historyId"]
    draft = create_draft(gmail)
    sent = sandbox.mark_draft_sent(draft["id"])
    reply_id = sandbox.receive_reply(sent["thread_id"], CONTACT, "Thanks")
    history = gmail.users().history()
    added = history.list(userId="me", startHistoryId=start, historyTypes="messageAdded").execute()
    labels = [r["messagesAdded"][0]["message"]["labelIds"] for r in added["history"]]
    assert labels == [["DRAFT"], ["SENT"], ["INBOX", "UNREAD"]]
    assert int(added["historyId"]) > int(start)
    inbox = history.list(userId="me", startHistoryId=start, labelId="INBOX").execute()
    assert [r["messages"][0]["id"] for r in inbox["history"]] == [reply_id]
    deleted = history.list(userId="me", startHistoryId=start, historyTypes="messageDeleted")
    assert [r["messagesDeleted"][0]["message"]["id"] for r in deleted.execute()["history"]] == [
        draft["message"]["id"]
    ]
    nothing_new = history.list(userId="me", startHistoryId=added["historyId"]).execute()
    assert "history" not in nothing_new and nothing_new["historyId"] == added["historyId"]


def test_history_pages_and_answers_404_once_expired(sandbox: Sandbox, gmail: Any) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    for n in range(3):
        create_draft(gmail, f"Draft {n}")
    history = gmail.users().history()
    request, ids = history.list(userId="me", startHistoryId=start, maxResults=2), []
    while request is not None:
        reply = request.execute()
        ids += [r["id"] for r in reply["history"]]
        request = history.list_next(request, reply)
    assert len(ids) == 3 and ids == sorted(ids, key=int)
    sandbox.expire_gmail_history()
    status, _ = status_and_message(history.list(userId="me", startHistoryId=start))
    assert status == 404


def test_a_metadata_token_may_not_search_nor_read_bodies(sandbox: Sandbox, gmail: Any) -> None:
    draft = create_draft(gmail)
    messages = gmail.users().messages()
    assert status_and_message(messages.list(userId="me", q="from:ada")) == (
        403,
        "Metadata scope does not support 'q' parameter",
    )
    assert status_and_message(messages.get(userId="me", id=draft["message"]["id"])) == (
        403,
        "Metadata scope doesn't allow format FULL",
    )
    raw = messages.get(userId="me", id=draft["message"]["id"], format="raw")
    assert status_and_message(raw)[0] == 403
    listed = messages.list(userId="me", labelIds=["DRAFT"]).execute()
    assert [m["id"] for m in listed["messages"]] == [draft["message"]["id"]]


def test_mailbox_reads_need_a_reading_scope_and_drafts_need_compose(sandbox: Sandbox) -> None:
    compose_only = with_scopes(sandbox, [GMAIL_COMPOSE_SCOPE])
    status, _ = status_and_message(
        compose_only.users().history().list(userId="me", startHistoryId="1")
    )
    assert status == 403
    assert compose_only.users().getProfile(userId="me").execute()["emailAddress"]
    metadata_only = with_scopes(sandbox, [GMAIL_METADATA_SCOPE])
    assert status_and_message(metadata_only.users().drafts().list(userId="me"))[0] == 403
    assert metadata_only.users().history().list(userId="me", startHistoryId="1000").execute()
