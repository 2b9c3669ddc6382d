"""A draft that replies in a thread, over HTTP: it joins the thread only when Gmail's documented
criteria hold (the thread exists, the reply names a message of it, the subject matches)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.errors import NotFound
from connectors.google.client import GoogleClient
from connectors.google.gmail import GmailClient, reply_subject
from connectors.records import DraftMessage
from connectors.sandbox.server import Sandbox

ADA = "ada@analytical.example"


def _sent_ask(sandbox: Sandbox, gmail: GmailClient) -> tuple[str, str]:
    """An ask the user sent: its thread and Message-ID."""
    ask = DraftMessage(ADA, "Fifteen minutes about UX research?", "Hi Ada, ...", "ask-1@ft")
    ref = gmail.create_draft(ask)
    return sandbox.mark_draft_sent(ref.draft_id)["thread_id"], "ask-1@ft"


def test_a_nudge_that_names_the_ask_joins_its_thread(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    thread_id, asked = _sent_ask(sandbox, gmail)
    nudge = DraftMessage(
        ADA,
        reply_subject("Fifteen minutes about UX research?"),
        "Hi Ada, just bringing this back to the top of your inbox.",
        "nudge-1@ft",
        thread_id=thread_id,
        in_reply_to=asked,
        references=(asked,),
    )
    ref = gmail.create_draft(nudge)
    assert ref.thread_id == thread_id
    (draft,) = [d for d in sandbox.drafts() if d["subject"].startswith("Re: ")]
    assert draft["subject"] == "Re: Fifteen minutes about UX research?"
    assert draft["headers"]["In-Reply-To"] == "<ask-1@ft>"


def test_a_reply_with_another_subject_or_no_reference_starts_its_own_thread(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    thread_id, asked = _sent_ask(sandbox, gmail)
    other = DraftMessage(
        ADA, "Quick update", "...", "u-1@ft", thread_id=thread_id, in_reply_to=asked
    )
    unanchored = DraftMessage(
        ADA,
        reply_subject("Fifteen minutes about UX research?"),
        "...",
        "u-2@ft",
        thread_id=thread_id,
    )
    assert gmail.create_draft(other).thread_id != thread_id
    assert gmail.create_draft(unanchored).thread_id != thread_id


def test_a_thread_that_does_not_exist_is_refused(
    sandbox: Sandbox, client_with: Callable[..., GoogleClient]
) -> None:
    gmail = client_with(sandbox).gmail
    lost = DraftMessage(
        ADA, "Re: Hello", "...", "u-3@ft", thread_id="18e0000000000999", in_reply_to="x@y"
    )
    with pytest.raises(NotFound):
        gmail.create_draft(lost)
