"""The check a model's rewrite of the thank-you must pass before it replaces the draft: names
in the greeting and signature, every promise's object and every insight's key words, no added
address or link, a length within bounds; tried on the golden drafts and on any notes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.rules.draft import ThankYouInput, compose_thank_you
from workflows.rules.notes import parse_notes
from workflows.rules.polish import (
    DraftFacts,
    addresses,
    holds_email_address,
    key_words,
    rewrite_problem,
)

CASES: dict[str, dict[str, Any]] = {
    case["name"]: case
    for case in json.loads(
        (Path(__file__).parent / "golden_drafts" / "cases.json").read_text(encoding="utf-8")
    )
}
MARCUS = CASES["marcus_promises_rewritten"]
MARCUS_DRAFT = "\n".join(MARCUS["body"])
MARCUS_POLISHED = """Hi Marcus,

Thanks so much for making time to talk with me today. Hearing about your work as a Product \
Designer at Figma taught me a lot, and one point has stayed with me: portfolio case studies \
should show the messy middle, not just the final screens.

As promised, I'll send you my revised portfolio case study and introduce you to Keiko.

I'll let you know how my search goes, and I hope we can stay in touch.

Warm regards,
Sam Seeker
"""


def _facts(case: dict[str, Any]) -> DraftFacts:
    """What the golden case's draft was built from (its notes parsed as the service parses them)."""
    notes = parse_notes(case["notes"])
    first = case["contact"]["name"].split()[0]
    return DraftFacts(
        greeting_name=first,
        signature_name=case["sender_name"],
        promises=notes.todos,
        insights=notes.insights,
        contact_names=(case["contact"]["name"], first),
    )


def test_a_rewrite_that_keeps_every_fact_is_used() -> None:
    assert rewrite_problem(MARCUS_DRAFT, MARCUS_POLISHED, _facts(MARCUS)) is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_golden_draft_passes_its_own_check(name: str) -> None:
    case = CASES[name]
    draft = "\n".join(case["body"])

    assert rewrite_problem(draft, draft, _facts(case)) is None


def test_a_dropped_promise_is_caught_and_the_reason_quotes_no_note() -> None:
    rewrite = MARCUS_POLISHED.replace(" and introduce you to Keiko", "")

    reason = rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS))

    assert reason == "promise 2 of 2 lost 2 of its key words"


def test_a_changed_promise_object_is_caught() -> None:
    rewrite = MARCUS_POLISHED.replace("my revised portfolio", "an updated portfolio")

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) == (
        "promise 1 of 2 lost 1 of its key words"
    )


def test_a_promise_whose_words_survive_only_in_other_paragraphs_is_caught() -> None:
    draft = (
        "Hi Marcus,\n\nThanks for the chat today.\n\nOne thing I'm taking away from our "
        "conversation:\n  - A portfolio should show the messy middle.\n\nAs promised, I'll "
        "send you my portfolio.\n\nI'll send you news of my search.\n\nBest,\nSam Seeker\n"
    )
    facts = DraftFacts(
        greeting_name="Marcus",
        signature_name="Sam Seeker",
        contact_names=("Marcus Oyelaran", "Marcus"),
        promises=("Send Marcus my portfolio",),
        insights=("a portfolio should show the messy middle",),
    )
    rewrite = draft.replace("As promised, I'll send you my portfolio.\n\n", "")

    assert rewrite_problem(draft, rewrite, facts) == (
        "promise 1 of 1 is no longer said in one paragraph"
    )


def test_an_insight_that_loses_its_meaning_is_caught() -> None:
    rewrite = MARCUS_POLISHED.replace("not just the final screens", "and the final screens")

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) == (
        "insight 1 of 1 lost 1 of its key words"
    )


def test_plural_and_possessive_forms_keep_a_key_word() -> None:
    rewrite = MARCUS_POLISHED.replace("case study and", "case studies and")

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) is None
    assert key_words("Send Marcus's team the deck (for Friday)", promise=True) == {
        "send",
        "marcus",
        "team",
        "deck",
    }


@pytest.mark.parametrize(
    ("greeting", "reason"),
    [
        ("Hello,", "its first line does not greet the contact by name"),
        (
            "Here is the polished email:\n\nHi Marcus,",
            "its first line does not greet the contact by name",
        ),
        ("Dear Marcus,", None),
    ],
)
def test_the_greeting_must_name_the_contact_on_the_first_line(
    greeting: str, reason: str | None
) -> None:
    rewrite = MARCUS_POLISHED.replace("Hi Marcus,", greeting)

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) == reason


def test_the_signature_must_keep_the_senders_name() -> None:
    rewrite = MARCUS_POLISHED.replace("Sam Seeker", "Sam")

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) == (
        "its last 3 lines are not signed with the sender's name"
    )


def test_an_unsigned_draft_needs_no_signature() -> None:
    case = CASES["no_sender_name"]
    draft = "\n".join(case["body"])
    rewrite = draft.replace("All the best!", "All the very best!")

    assert rewrite_problem(draft, rewrite, _facts(case)) is None


@pytest.mark.parametrize(
    "added",
    [
        "My portfolio is at https://sam.example.net/work.",
        "My portfolio is at www.samseeker.com if useful.",
        "You can also reach me at sam.seeker@gmail.com.",
        "My portfolio lives on samseeker.dev these days.",
    ],
)
def test_no_address_or_link_may_be_added(added: str) -> None:
    rewrite = MARCUS_POLISHED.replace("Warm regards,", f"{added}\n\nWarm regards,")

    assert rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS)) == (
        "it adds 1 email address(es), link(s) or domain name(s)"
    )


def test_a_link_the_draft_already_has_may_stay() -> None:
    draft = MARCUS_DRAFT.replace("Keiko.", "Keiko (keiko.design).")
    rewrite = MARCUS_POLISHED.replace("Keiko.", "Keiko, of keiko.design.")

    assert rewrite_problem(draft, rewrite, _facts(MARCUS)) is None


@pytest.mark.parametrize("share", [0.4, 1.6])
def test_the_length_stays_from_half_to_one_and_a_half_times_the_drafts(share: float) -> None:
    filler = "\n\nIt was a great conversation." * 40
    target = int(len(MARCUS_DRAFT.strip()) * share)
    rewrite = (MARCUS_POLISHED + filler)[:target] if share > 1 else MARCUS_POLISHED[:target]

    reason = rewrite_problem(MARCUS_DRAFT, rewrite, _facts(MARCUS))

    assert reason is not None and reason.startswith(f"its length ({len(rewrite.strip())} ")


def test_email_addresses_are_recognised_for_keeping_them_from_the_model() -> None:
    assert holds_email_address("Intro you to keiko@figma.com")
    assert not holds_email_address("Hi Marcus,\n\nThanks for the chat at Figma.")
    assert addresses("See https://a.example/x, www.b.org and c.io.") == {
        "https://a.example/x",
        "www.b.org",
        "c.io",
    }


# --- properties over any notes ---------------------------------------------------------------

_NAMES = st.sampled_from(["Marcus Oyelaran", "Priya Natarajan", "Jo Kim", "Ana María Ruiz"])
_VOCABULARY = (
    "portfolio", "case", "studies", "messy", "middle", "data", "models", "hiring", "loops",
    "mentors", "Rails", "scale", "onboarding", "metrics", "Keiko", "deck", "article", "roadmap",
    "research", "writing", "interviews",
)  # fmt: skip
_WORDS = st.lists(
    st.sampled_from(_VOCABULARY),
    min_size=1,
    max_size=6,
).map(" ".join)
_PROMISES = st.builds(
    lambda verb, who, rest: f"{verb} {who} {rest}",
    st.sampled_from(["Send", "Share with", "Intro", "Forward", "Email"]),
    st.sampled_from(["him", "her", "them", "Marcus"]),
    _WORDS,
)


def _composed(name: str, insights: list[str], promises: list[str]) -> tuple[str, DraftFacts]:
    item = ThankYouInput(
        key="k",
        contact_email="contact@example.org",
        contact_name=name,
        first_name=name.split()[0],
        meeting_title="Coffee chat",
        meeting_start=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC),
        zone=dt.UTC,
        sender_name="Sam Seeker",
        insights=tuple(insights),
        todos=tuple(promises),
    )
    return compose_thank_you(item).body, DraftFacts.of(item)


@settings(max_examples=60, deadline=None)
@given(_NAMES, st.lists(_WORDS, max_size=3), st.lists(_PROMISES, max_size=3))
def test_any_rule_built_draft_passes_its_own_check(
    name: str, insights: list[str], promises: list[str]
) -> None:
    draft, facts = _composed(name, insights, promises)

    assert rewrite_problem(draft, draft, facts) is None


@settings(max_examples=60, deadline=None)
@given(_NAMES, st.lists(_WORDS, max_size=2), st.lists(_PROMISES, min_size=1, max_size=3))
def test_a_rewrite_without_the_promises_is_never_used(
    name: str, insights: list[str], promises: list[str]
) -> None:
    draft, facts = _composed(name, insights, promises)
    promised = re.compile(r"^(?:As promised|I (?:also )?have th).*$", re.MULTILINE)
    without = promised.sub("", draft)
    padded = without + "\n" + " Thank you again for everything." * 3

    reason = rewrite_problem(draft, padded, facts)

    assert reason is not None and reason.startswith("promise ")


@settings(max_examples=60, deadline=None)
@given(
    _NAMES,
    st.lists(_PROMISES, max_size=2),
    st.from_regex(r"[a-z]{3,10}\.(com|net|dev|io)", fullmatch=True),
)
def test_a_rewrite_that_adds_any_domain_is_never_used(
    name: str, promises: list[str], domain: str
) -> None:
    draft, facts = _composed(name, [], promises)
    rewrite = draft.replace("\n\n", f"\n\nMore at {domain}.\n\n", 1)

    assert rewrite_problem(draft, rewrite, facts) == (
        "it adds 1 email address(es), link(s) or domain name(s)"
    )
