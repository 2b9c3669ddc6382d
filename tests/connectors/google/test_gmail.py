"""Gmail drafts against the sandbox: exactly one draft per key, whatever fails on the way."""

from __future__ import annotations

import base64
import email
from collections.abc import Callable
from email.policy import default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import AmbiguousWrite, SkipRecord
from connectors.google.client import GoogleClient
from connectors.google.gmail import encode_message
from connectors.records import DraftMessage, DraftRef
from connectors.sandbox.server import Sandbox

DRAFT = DraftMessage(
    to="ada@analytical.example",
    to_name="Ada Lovelace",
    subject="Thank you for the conversation",
    body="Hi Ada,\n\nThank you! I learned to start with the data model.\n",
    message_id="<0123456789abcdef0123456789abcdef@followthrough.local>",
)


def create_until_done(client: GoogleClient, draft: DraftMessage) -> DraftRef:
    """What a caller does: after an AmbiguousWrite, try again saying the outcome is unknown."""
    unknown = False
    for _ in range(5):
        try:
            return client.gmail.create_draft(draft, outcome_unknown=unknown)
        except AmbiguousWrite:
            unknown = True
    raise AssertionError("never created")


def printable_words(text: str) -> list[str]:
    """The words of `text` once control characters are spaces (what a header can keep)."""
    return "".join(c if c.isprintable() else " " for c in text).replace("=?", "= ?").split()


def drafts_with(box: Sandbox, message_id: str) -> list[dict]:
    return [d for d in box.drafts() if message_id in str(d.get("headers"))]


def test_draft_is_created_once_with_its_message_id_in_one_request(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    ref = google_client(sandbox).gmail.create_draft(DRAFT)

    assert ref.still_draft and ref.message_id == DRAFT.message_id
    assert len(drafts_with(sandbox, "0123456789abcdef0123456789abcdef")) == 1
    assert sandbox.request_counts() == {"gmail.drafts.create": 1}


@pytest.mark.parametrize("fault", ["dropped", 500, 503])
def test_ambiguous_create_is_reconciled_into_exactly_one_draft(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient], fault: object
) -> None:
    client = google_client(sandbox)
    if fault == "dropped":
        sandbox.drop_next_writes("gmail.drafts.create", times=1)
    else:
        sandbox.fail_next("gmail.drafts.create", int(fault), times=1)  # type: ignore[call-overload]

    with pytest.raises(AmbiguousWrite):
        client.gmail.create_draft(DRAFT)
    ref = client.gmail.create_draft(DRAFT, outcome_unknown=True)

    assert ref.still_draft
    assert len(drafts_with(sandbox, "0123456789abcdef0123456789abcdef")) == 1


def test_rate_limited_create_is_retried_and_lands_once(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    sandbox.fail_next("gmail.drafts.create", 429, times=2)

    google_client(sandbox).gmail.create_draft(DRAFT)

    assert len(drafts_with(sandbox, "0123456789abcdef0123456789abcdef")) == 1


def test_many_drafts_under_random_faults_each_land_exactly_once(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    sandbox.set_ambiguous_rate("gmail.drafts.create", 0.3)
    sandbox.set_error_rate("gmail", 503, 0.2)
    sandbox.set_error_rate("gmail", 429, 0.1)
    keys = [f"{i:032x}" for i in range(20)]

    for key in keys:
        create_until_done(
            client, DRAFT.__class__(**{**DRAFT.__dict__, "message_id": f"<{key}@ft>"})
        )

    sandbox.clear_faults()
    assert all(len(drafts_with(sandbox, key)) == 1 for key in keys)


def test_known_draft_id_is_read_not_created_again(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    ref = client.gmail.create_draft(DRAFT)

    again = client.gmail.create_draft(DRAFT, known_draft_id=ref.draft_id)

    assert again.draft_id == ref.draft_id and again.still_draft
    assert len(drafts_with(sandbox, "0123456789abcdef0123456789abcdef")) == 1


def test_a_sent_draft_is_no_longer_a_draft(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    ref = client.gmail.create_draft(DRAFT)
    sandbox.mark_draft_sent(ref.draft_id)

    now = client.gmail.get_draft(ref.draft_id, message_id=DRAFT.message_id)

    assert not now.still_draft
    assert client.gmail.find_draft(DRAFT.message_id) is None


def test_update_replaces_the_content_of_the_same_draft(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    ref = client.gmail.create_draft(DRAFT)
    changed = DraftMessage(**{**DRAFT.__dict__, "subject": "Thanks again, Zoë — merci"})

    updated = client.gmail.update_draft(ref.draft_id, changed)

    assert updated.draft_id == ref.draft_id
    (stored,) = drafts_with(sandbox, "0123456789abcdef0123456789abcdef")
    assert stored["subject"] == "Thanks again, Zoë — merci"
    assert client.gmail.find_draft(DRAFT.message_id) is not None


def test_line_breaks_cannot_inject_headers() -> None:
    hostile = DraftMessage(
        **{
            **DRAFT.__dict__,
            "subject": "Hello\r\nBcc: victim@example.com",
            "to_name": "Ada\nBcc: other@example.com",
        }
    )

    parsed = email.message_from_bytes(
        base64.urlsafe_b64decode(encode_message(hostile)), policy=default
    )

    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Hello Bcc: victim@example.com"
    assert parsed["To"].addresses[0].addr_spec == "ada@analytical.example"
    assert parsed["Message-ID"] == DRAFT.message_id
    assert "data model" in parsed.get_content()


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(SkipRecord):
        encode_message(DraftMessage(**{**DRAFT.__dict__, "to": "ada@x.example\r\nBcc: y@z"}))


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=80), subject=st.text(max_size=200))
def test_any_name_and_subject_round_trip_as_one_header_each(name: str, subject: str) -> None:
    draft = DraftMessage(**{**DRAFT.__dict__, "to_name": name, "subject": subject})

    parsed = email.message_from_bytes(
        base64.urlsafe_b64decode(encode_message(draft)), policy=default
    )

    assert parsed["To"].addresses[0].addr_spec == DRAFT.to
    assert parsed["To"].addresses[0].display_name.split() == printable_words(name)
    assert parsed["Subject"].split() == printable_words(subject)
    assert set(parsed.keys()) == {
        "To",
        "Subject",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    }
