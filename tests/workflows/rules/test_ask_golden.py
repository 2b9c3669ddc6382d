"""Golden asks and nudges: realistic contacts (why them in the user's words, an introducer or
none, a role and company or not) and the exact messages each gets, reviewed line by line
(`golden_asks/cases.json`); and what holds for any contact: the greeting uses their first
name, the subject stays one header line, and every fact the ask must say appears in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import SkipRecord
from workflows.rules.ask import AskFacts, compose_ask, compose_nudge
from workflows.rules.people import first_name_of

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden_asks" / "cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_ask_and_nudges(case: dict[str, Any]) -> None:
    facts = AskFacts(**case["facts"])
    ask = compose_ask(facts, f"ask:{case['name']}:0")
    threaded = compose_nudge(facts, f"nudge:{case['name']}:1", threaded=True)
    alone = compose_nudge(facts, f"nudge:{case['name']}:0", threaded=False)
    assert ask.subject == case["ask_subject"]
    assert ask.body.split("\n") == case["ask"]
    assert threaded.body.split("\n") == case["nudge_in_thread"]
    assert alone.subject == case["nudge_subject"]
    assert alone.body.split("\n") == case["nudge_alone"]


def test_every_ask_asks_for_15_to_30_minutes_by_phone_or_video_and_makes_no_easy_to_say() -> None:
    for case in CASES:
        body = compose_ask(AskFacts(**case["facts"]), "ask:k:0").body
        assert "15 to 30 minutes" in body
        assert "phone or video" in body
        assert "job" in body  # says it is not about a job
        assert any(no in body for no in ("isn't a good time", "too busy", "not a good time"))


def test_an_unusable_address_is_a_skipped_record_not_a_crash() -> None:
    facts = AskFacts("not an address", "Ada Lovelace", "I'm exploring UX research.", "Sam")
    with pytest.raises(SkipRecord, match="fix it in Airtable"):
        compose_ask(facts, "ask:k:0")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)
_names = st.from_regex(r"[A-Z][a-z]{1,10} [A-Z][a-z]{1,12}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    name=_names,
    about=_text,
    why=_text,
    company=_text,
    role=_text,
    introducer=_text,
    sender=_text,
)
def test_any_contact_is_greeted_by_name_and_the_headers_stay_one_line(
    name: str, about: str, why: str, company: str, role: str, introducer: str, sender: str
) -> None:
    facts = AskFacts("ada@figma.example", name, about, sender, why, company, role, introducer)
    ask = compose_ask(facts, "ask:k:0")
    nudge = compose_nudge(facts, "nudge:k:0", threaded=False)
    for message in (ask, nudge):
        assert message.body.startswith(f"Hi {first_name_of(name)},\n\n")
        for header in (message.subject, message.to_name or ""):
            assert "\n" not in header and "\r" not in header
            assert header == " ".join(header.split())
        assert "\r" not in message.body
        assert message.body.endswith("\n")


_words = st.from_regex(r"[A-Za-z][a-z]{2,12}( [a-z]{2,10}){0,3}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(about=_words, company=_words, role=_words, introducer=_names, sender=_names)
def test_every_fact_appears_in_the_ask(
    about: str, company: str, role: str, introducer: str, sender: str
) -> None:
    facts = AskFacts(
        "ada@figma.example", "Ada Lovelace", about, sender, "", company, role, introducer
    )
    body = compose_ask(facts, "ask:k:0").body
    assert about[0].upper() + about[1:] in body
    assert f"{role} at {company}" in body
    assert f"{introducer} suggested I get in touch with you." in body
    assert body.rstrip().endswith(sender)
