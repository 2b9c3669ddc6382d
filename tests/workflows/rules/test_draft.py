"""The thank-you draft: what it says, templates the user can override, and no header injection."""

from __future__ import annotations

import base64
import datetime as dt
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import ConfigurationError, SkipRecord
from connectors.google.gmail import encode_message
from connectors.records import DraftMessage
from tests.workflows.rules.builders import BERLIN, NEW_YORK
from workflows.rules.draft import (
    ThankYouInput,
    body_text,
    compose_thank_you,
    header_text,
    template_environment,
    topic_of,
)
from workflows.rules.keys import draft_key, message_id
from workflows.rules.notes import parse_notes

SAM_AND_ASHLEE = ("Ashlee Park", "Sam Lee", "Ashlee", "Park", "Sam", "Lee")


@pytest.mark.parametrize(
    "title",
    ["Coffee chat: Ashlee Park", "Coffee chat: Ashlee and Sam", "Coffee chat: Sam x Ashlee"],
)
def test_a_title_that_only_names_the_two_people_gives_no_topic(title: str) -> None:
    # "Lee" is inside "Ashlee": the longer name must be taken out first
    assert topic_of(title, names=SAM_AND_ASHLEE) is None


EVENING_IN_NEW_YORK = dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)  # Friday 19:30 in New York
KEY = draft_key("evt1", EVENING_IN_NEW_YORK)
NOTES = parse_notes(
    "Insight: start with SQL, not Spark\nTakeaway: the data team hires juniors in spring\n"
    "TODO: send my portfolio\n- [ ] read DDIA"
)


def as_sent(draft: DraftMessage) -> EmailMessage:
    """The message exactly as the Gmail connector sends it (its base64url `raw`), parsed back."""
    # As a mail reader shows it: the wire's CRLF line ends read as plain line breaks.
    raw = base64.urlsafe_b64decode(encode_message(draft)).replace(b"\r\n", b"\n")
    parsed: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    return parsed


def thank_you(**changes: object) -> ThankYouInput:
    values: dict[str, object] = {
        "key": KEY,
        "contact_email": "jane.doe@acme.com",
        "contact_name": "Jane Doe",
        "first_name": "Jane",
        "meeting_title": "Coffee chat: data engineering at Acme",
        "meeting_start": EVENING_IN_NEW_YORK,
        "zone": NEW_YORK,
        "sender_name": "Alex Kim",
        "insights": NOTES.insights,
        "todos": NOTES.todos,
    }
    values.update(changes)
    return ThankYouInput(**values)  # type: ignore[arg-type]


def test_the_draft_thanks_by_first_name_and_names_what_was_learned_and_promised() -> None:
    draft = compose_thank_you(thank_you())
    assert draft.to == "jane.doe@acme.com" and draft.to_name == "Jane Doe"
    assert draft.subject == "Thank you, Jane!"
    assert draft.body.startswith("Hi Jane,\n")
    assert "on Friday, November 20, about data engineering at Acme." in draft.body
    assert "  - Start with SQL, not Spark.\n" in draft.body
    assert "  - The data team hires juniors in spring.\n" in draft.body
    assert "As promised, I'll send my portfolio and read DDIA." in draft.body
    assert draft.body.rstrip().endswith("Best,\nAlex Kim")
    assert draft.message_id == message_id(KEY)


def test_the_date_is_the_users_date_not_utcs() -> None:
    draft = compose_thank_you(thank_you(zone=BERLIN))
    assert "Saturday, November 21" in draft.body


def test_without_notes_or_topic_the_letter_still_reads_well() -> None:
    draft = compose_thank_you(
        thank_you(meeting_title="Coffee chat with Jane", insights=(), todos=())
    )
    assert "on Friday, November 20. I'm still thinking over what you shared" in draft.body
    assert "taking away" not in draft.body and "As promised" not in draft.body


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("Coffee chat: data engineering at Acme", "data engineering at Acme"),
        ("Coffee chat with Jane: data engineering", "data engineering"),
        ("Informational interview about product management with Jane", "product management"),
        ("Career chat \u2014 UX research", "UX research"),
        ("Coffee chat", None),
        ("Info interview - Jane Doe", None),
        ("Informational interview: Jane Doe (Cloudflare)", None),
        ("Coffee chat: observability (Cloudflare)", "observability (Cloudflare)"),
        ("Lunch: burgers", None),
    ],
)
def test_topics_from_titles(title: str, topic: str | None) -> None:
    assert topic_of(title, names=("Jane Doe", "Jane")) == topic


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("Coffee chat: data: pipelines", "data: pipelines"),
        ("Reading on Friday, then informational interview about data", "data"),
        ("Coffee chat: data engineering.", "data engineering"),
        ("Coffee chat: SpaceX", "SpaceX"),
        ("Coffee chat: coffee chat", None),
    ],
)
def test_a_topic_is_what_follows_the_kind_of_meeting_trimmed(title: str, topic: str | None) -> None:
    assert topic_of(title) == topic


def test_a_user_template_can_use_every_documented_variable(tmp_path: Path) -> None:
    (tmp_path / "thank_you_body.txt.j2").write_text(
        "{{ contact_name }}|{{ meeting_title }}|{{ meeting_date.isoformat() }}|{{ topic }}|"
        "{{ insights | join(';') }}|{{ todos | join(';') }}"
    )
    insights, todos = ("i" * 1000, "j" * 1001), ("t" * 1000, "u" * 1001)
    item = thank_you(meeting_title="Coffee chat: Jane Doe", insights=insights, todos=todos)
    draft = compose_thank_you(item, env=template_environment(str(tmp_path)))
    kept = f"{'i' * 1000};{'j' * 999}\u2026|{'t' * 1000};{'u' * 999}\u2026"  # 1000 at most
    assert draft.body == f"Jane Doe|Coffee chat: Jane Doe|2026-11-20||{kept}"


def test_header_text_is_one_printable_line_within_its_limit() -> None:
    assert header_text("a\u200bb") == "a b"  # invisible characters become spaces
    assert header_text("=?utf-8?b?SGk=?=") == "= ?utf-8?b?SGk= ?="
    assert header_text("z" * 100) == "z" * 100
    assert header_text("y" * 98 + " " + "z" * 10) == "y" * 98 + "\u2026"
    assert header_text("x" * 150) == "x" * 99 + "\u2026"


def test_a_body_keeps_plain_line_breaks_and_drops_control_characters() -> None:
    assert body_text("one\r\ntwo\x07three\u2028four") == "one\ntwothree\nfour"


def test_unusable_addresses_are_skipped_saying_which_and_why() -> None:
    invalid = r"the contact's email 'jane\.\.doe@acme\.com' is not a valid"
    with pytest.raises(SkipRecord, match=invalid):
        compose_thank_you(thank_you(contact_email="jane..doe@acme.com"))
    with pytest.raises(SkipRecord, match="the sender email 'me at home' is not one plain email"):
        compose_thank_you(thank_you(sender_email="me at home"))


def test_the_user_can_override_a_template_and_keep_the_other(tmp_path: Path) -> None:
    (tmp_path / "thank_you_subject.txt.j2").write_text("Great talking, {{ first_name }}\n")
    draft = compose_thank_you(thank_you(), env=template_environment(str(tmp_path)))
    assert draft.subject == "Great talking, Jane"
    assert draft.body.startswith("Hi Jane,")


def test_a_broken_user_template_says_how_to_fix_it(tmp_path: Path) -> None:
    broken, unknown = tmp_path / "broken", tmp_path / "unknown"
    broken.mkdir()
    unknown.mkdir()
    (broken / "thank_you_body.txt.j2").write_text("Hi {% if %}")
    (unknown / "thank_you_body.txt.j2").write_text("Hi {{ nickname }}")
    fix = "fix it, or delete it to use the default"
    with pytest.raises(ConfigurationError, match=rf"thank_you_body\.txt\.j2.*; {fix}$"):
        compose_thank_you(thank_you(), env=template_environment(str(broken)))
    with pytest.raises(ConfigurationError, match="nickname"):
        compose_thank_you(thank_you(), env=template_environment(str(unknown)))


def test_an_unusable_contact_email_is_skipped_with_the_fix() -> None:
    for bad in ("", "jane", "Jane <jane@acme.com>", "jane@acme.com\r\nBcc: evil@x.com"):
        with pytest.raises(SkipRecord, match="fix it in Airtable"):
            compose_thank_you(thank_you(contact_email=bad))


def test_a_contact_email_written_with_its_domains_trailing_dot_is_addressed_without_it() -> None:
    draft = compose_thank_you(thank_you(contact_email=" Jane.Doe@Acme.com. "))
    assert draft.to == "Jane.Doe@Acme.com"
    assert as_sent(draft)["To"].addresses[0].addr_spec == "Jane.Doe@Acme.com"


def test_right_to_left_names_and_emoji_round_trip_through_mime() -> None:
    name = "\u05e9\u05e8\u05d4 \u05dc\u05d5\u05d9 \U0001f680"
    draft = compose_thank_you(
        thank_you(contact_name=name, first_name="\u05e9\u05e8\u05d4 \U0001f680")
    )
    parsed = as_sent(draft)
    assert parsed["Subject"] == "Thank you, \u05e9\u05e8\u05d4 \U0001f680!"
    assert parsed["To"].addresses[0].display_name == name
    assert parsed.get_content().startswith("Hi \u05e9\u05e8\u05d4 \U0001f680,")


def test_a_name_with_header_syntax_cannot_add_a_header() -> None:
    evil = "Jane\r\nBcc: everyone@example.com\r\n\r\nfake body"
    draft = compose_thank_you(thank_you(contact_name=evil, first_name=evil, meeting_title=evil))
    parsed = as_sent(draft)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Thank you, Jane Bcc: everyone@example.com fake body!"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane.doe@acme.com"]


def test_a_one_megabyte_note_makes_a_bounded_draft() -> None:
    huge = parse_notes("Insight: " + "x" * 1_000_000 + "\nTODO: call back")
    draft = compose_thank_you(thank_you(insights=huge.insights, todos=huge.todos))
    assert len(draft.body) < 5_000 and "from our conversation: call back." in draft.body


# --- properties -------------------------------------------------------------------------------

HOSTILE = [
    "\r\nBcc: evil@example.com",
    "\nSubject: second",
    "\r\n\r\n<html>",
    "=?utf-8?b?SGk=?=",
    "\u2028\u2029\x85",
    "\x00\x1b[31m",
    "To: other@example.com",
    "\u202eevil",
    "\U0001f469\u200d\U0001f4bb",
    "\u0645\u0631\u064a\u0645",
    '"quoted", <angle>',
]
hostile_text = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE)), max_size=5).map(
    "".join
)
ALLOWED_HEADERS = {
    "to",
    "subject",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


@settings(deadline=None)
@given(
    name=hostile_text,
    first=hostile_text,
    title=hostile_text,
    sender=hostile_text,
    notes=st.lists(hostile_text, max_size=4),
)
def test_no_input_ever_injects_a_header_or_breaks_the_message(
    name: str, first: str, title: str, sender: str, notes: list[str]
) -> None:
    draft = compose_thank_you(
        thank_you(
            contact_name=name,
            first_name=first,
            meeting_title=title,
            sender_name=sender,
            insights=tuple(notes),
            todos=tuple(notes),
        )
    )
    for header in (draft.subject, draft.to_name or ""):
        assert not any(ord(c) < 32 or c in "\x7f\u2028\u2029\x85" for c in header)
    assert all(c in "\n\t" or ord(c) >= 32 for c in draft.body)
    parsed = as_sent(draft)
    assert {k.lower() for k in parsed} <= ALLOWED_HEADERS
    assert len(parsed.get_all("To") or []) == 1 and len(parsed.get_all("Subject") or []) == 1
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane.doe@acme.com"]
    assert parsed["Subject"] == draft.subject
    assert parsed["Message-ID"] == message_id(KEY)
    assert parsed.get_content().rstrip("\n") == draft.body.rstrip("\n")


def test_long_names_with_colons_stay_one_quoted_address() -> None:
    # Found by hypothesis: the stdlib's folding left a long "A:B:" display name unquoted (a group).
    name = "0" * 56 + ":" + "0" * 18 + ":"
    draft = compose_thank_you(thank_you(contact_name=name, first_name="0" * 58))
    parsed = as_sent(draft)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane.doe@acme.com"]
    assert parsed["Subject"] == draft.subject == "Thank you, " + "0" * 58 + "!"
    assert "=?" not in compose_thank_you(thank_you(first_name="=?utf-8?B?SGk=?=")).subject
