"""What the draft's text keeps and drops: joiners survive, overrides and controls do not, and
the Subject and To name (100 characters) and a note line (1,000) hold exactly to their
limits."""

from __future__ import annotations

import base64
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.google.gmail import encode_message
from connectors.records import DraftMessage
from tests.workflows.rules.test_draft import thank_you
from workflows.rules.draft import compose_thank_you

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: man, woman, girl
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with a non-joiner
MALAYALAM = "\u0d28\u0d4d\u200d"  # a chillu written with a joiner
HINDI = "\u0915\u094d\u200d\u0937"  # a half form written with a joiner
JOINED = (FAMILY, PERSIAN, MALAYALAM, HINDI)
OVERRIDES = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0))]


def as_sent(draft: DraftMessage) -> EmailMessage:
    """The message as the Gmail connector sends it, parsed back as a mail reader would."""
    raw = base64.urlsafe_b64decode(encode_message(draft)).replace(b"\r\n", b"\n")
    parsed: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    return parsed


@pytest.mark.parametrize("word", JOINED, ids=("family", "persian", "malayalam", "hindi"))
def test_joiners_survive_in_the_subject_the_to_name_and_the_body(word: str) -> None:
    draft = compose_thank_you(
        thank_you(
            first_name=word,
            contact_name=f"{word} Doe",
            insights=(f"{word} is how I write it",),
            todos=(f"call {word} back",),
        )
    )

    sent = as_sent(draft)
    assert sent["Subject"] == f"Thank you, {word}!"
    assert sent["To"].addresses[0].display_name == f"{word} Doe"
    body = sent.get_content()
    assert body.startswith(f"Hi {word},")
    assert f"  - {word} is how I write it.\n" in body
    assert f"on my list from our conversation: call {word} back." in body


@pytest.mark.parametrize("bad", OVERRIDES + CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_overrides_and_controls_never_reach_a_header_or_the_body(bad: str) -> None:
    draft = compose_thank_you(
        thank_you(
            first_name=f"Ja{bad}ne",
            contact_name=f"Jane{bad} Doe",
            meeting_title=f"Coffee chat: data{bad} engineering",
            insights=(f"start{bad} with SQL",),
            todos=(f"send{bad} my portfolio",),
        )
    )

    sent = as_sent(draft)
    for text in (sent["Subject"], sent["To"].addresses[0].display_name, sent.get_content()):
        assert bad not in text


LIMIT = 100  # characters of a Subject or a To name; Gmail's list shows about this much
SUBJECT_OVERHEAD = len("Thank you, !")


def test_a_subject_of_exactly_the_limit_is_kept_whole() -> None:
    first = "J" * (LIMIT - SUBJECT_OVERHEAD)

    subject = as_sent(compose_thank_you(thank_you(first_name=first)))["Subject"]

    assert subject == f"Thank you, {first}!" and len(subject) == LIMIT


def test_a_subject_one_past_the_limit_is_cut_to_the_limit_with_an_ellipsis() -> None:
    first = "J" * (LIMIT - SUBJECT_OVERHEAD + 1)

    subject = as_sent(compose_thank_you(thank_you(first_name=first)))["Subject"]

    assert len(subject) == LIMIT
    assert subject == f"Thank you, {first}"[: LIMIT - 1] + "\u2026"


def test_a_to_name_of_exactly_the_limit_is_kept_whole() -> None:
    name = "D" * LIMIT

    to = as_sent(compose_thank_you(thank_you(contact_name=name)))["To"].addresses[0]

    assert to.display_name == name and to.addr_spec == "jane.doe@acme.com"


def test_a_to_name_one_past_the_limit_is_cut_to_the_limit_with_an_ellipsis() -> None:
    name = "D" * (LIMIT + 1)

    to = as_sent(compose_thank_you(thank_you(contact_name=name)))["To"].addresses[0]

    assert to.display_name == "D" * (LIMIT - 1) + "\u2026"
    assert to.addr_spec == "jane.doe@acme.com"


def test_a_note_line_is_kept_whole_up_to_a_thousand_characters_and_cut_past_them() -> None:
    whole, long = "w" * 1000, "x" * 1001

    body = as_sent(compose_thank_you(thank_you(insights=(whole, long), todos=()))).get_content()

    assert f"  - W{whole[1:]}.\n" in body
    assert f"  - X{'x' * 998}\u2026\n" in body


words = st.lists(
    st.one_of(
        st.sampled_from(JOINED),
        st.sampled_from(OVERRIDES + CONTROLS),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    ),
    max_size=6,
).map("".join)


@settings(deadline=None)
@given(word=words)
def test_every_joiner_is_kept_and_no_override_or_control_is(word: str) -> None:
    draft = compose_thank_you(thank_you(first_name=word, insights=(word,), todos=()))

    sent = as_sent(draft)
    subject, body = sent["Subject"], sent.get_content()
    joiners = sum(word.count(j) for j in "\u200c\u200d")
    if len(word) <= 80:  # a longer name is cut at the header limit
        assert sum(subject.count(j) for j in "\u200c\u200d") == joiners
        assert sum(body.count(j) for j in "\u200c\u200d") == 2 * joiners
    for bad in OVERRIDES + CONTROLS:
        assert bad not in subject and bad not in body
