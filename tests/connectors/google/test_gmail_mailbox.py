"""Knowing a thank-you was sent or answered, through GmailClient against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from connectors.errors import AuthorizationError
from connectors.google.auth import GMAIL_METADATA_SCOPE, SCOPES
from connectors.google.client import GoogleClient
from connectors.google.consent import SCOPE_USES, features_off, requested_scopes
from connectors.google.gmail_mailbox import HistoryTooOld, MessageReceived, MessageSent
from connectors.records import DraftMessage, DraftRef
from connectors.sandbox.server import Sandbox

DRAFT = DraftMessage(
    to="marcus@studio.example",
    to_name="Marcus Chen",
    subject="Thank you, Marcus",
    body="Hi Marcus,\n\nThank you for the time yesterday.\n",
    message_id="<thank-you-marcus@followthrough.local>",
)
SENT_AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
REPLIED_AT = dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)


def send_and_answer(sandbox: Sandbox, ref: DraftRef) -> tuple[str, str, str]:
    """The user sends the draft; Marcus answers in its thread. (thread, sent id, reply id)"""
    sent = sandbox.mark_draft_sent(ref.draft_id, at=SENT_AT.isoformat())
    reply = sandbox.receive_reply(
        sent["thread_id"], "Marcus Chen <Marcus@Studio.example>", at=REPLIED_AT.isoformat()
    )
    return sent["thread_id"], sent["id"], reply


def test_history_tells_when_the_thank_you_was_sent_and_answered(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    profile = gmail.profile()
    assert profile.email == sandbox.user_email
    ref = gmail.create_draft(DRAFT)
    thread, sent_id, reply_id = send_and_answer(sandbox, ref)
    assert ref.thread_id == thread

    changes = gmail.changes_since(profile.history_id)

    assert changes.events == (
        MessageSent(thread, sent_id, SENT_AT),
        MessageReceived(thread, reply_id, "marcus@studio.example", REPLIED_AT),
    )
    assert gmail.changes_since(changes.history_id).events == ()


def test_history_too_old_is_its_own_error_and_the_thread_tells_the_same(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    start = gmail.profile().history_id
    ref = gmail.create_draft(DRAFT)
    thread, sent_id, reply_id = send_and_answer(sandbox, ref)
    sandbox.expire_gmail_history()

    with pytest.raises(HistoryTooOld):
        gmail.changes_since(start)
    events = gmail.thread_events(thread)
    assert [(type(e), e.message_id, e.at) for e in events] == [
        (MessageSent, sent_id, SENT_AT),
        (MessageReceived, reply_id, REPLIED_AT),
    ]


def test_a_draft_edited_in_gmail_shows_a_message_id_that_is_not_ours(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    ours = gmail.create_draft(DRAFT)
    assert gmail.get_draft(ours.draft_id).gmail_message_id == ours.gmail_message_id

    sandbox.edit_draft(ours.draft_id, body="Hi Marcus, in my own words.")

    now = gmail.get_draft(ours.draft_id)
    assert now.still_draft and now.gmail_message_id != ours.gmail_message_id
    assert now.url_for("sam@example.com") == (
        f"https://mail.google.com/mail/?authuser=sam@example.com#drafts?compose={now.gmail_message_id}"
    )


def test_an_unknown_create_is_reconciled_without_search_under_the_metadata_scope(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    for n in range(3):
        gmail.create_draft(
            DraftMessage(to=f"p{n}@x.example", subject="s", body="b", message_id=f"<m{n}@ft.local>")
        )
    made = gmail.create_draft(DRAFT)

    again = gmail.create_draft(DRAFT, outcome_unknown=True)

    assert again.draft_id == made.draft_id
    assert len(sandbox.drafts()) == 4


def test_without_the_metadata_scope_history_is_refused_as_an_authorization_matter(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox, SCOPES).gmail
    assert gmail.profile().email == sandbox.user_email
    with pytest.raises(AuthorizationError):
        gmail.changes_since("1000")


def test_the_metadata_scope_is_optional_and_says_what_it_adds() -> None:
    [use] = [u for u in SCOPE_USES if u.scope == GMAIL_METADATA_SCOPE]
    assert not use.required and use.feature == "knowing when a thank-you was sent or answered"
    assert features_off(SCOPES) == []
    asked = requested_scopes(mail_metadata=True)
    assert GMAIL_METADATA_SCOPE in asked and features_off(SCOPES, asked) == [use]
