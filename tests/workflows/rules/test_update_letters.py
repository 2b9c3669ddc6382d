"""Golden progress updates and introducer thank-yous: realistic contacts and news, and the exact
letter each recipient gets, reviewed line by line (`golden_updates/*.json`); and what holds for
any facts: every piece of news appears, the greeting uses the contact's first name, headers stay
one line, no section is ever empty, and the letter is always signed off."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.rules.draft import header_text
from workflows.rules.introducer_letter import IntroducerFacts, introducer_message
from workflows.rules.people import first_name_of
from workflows.rules.update_letter import (
    IntroductionNews,
    MilestoneNews,
    UpdateFacts,
    update_message,
)

HERE = Path(__file__).parent / "golden_updates"
UPDATES: list[dict[str, Any]] = json.loads((HERE / "updates.json").read_text(encoding="utf-8"))
INTRODUCERS: list[dict[str, Any]] = json.loads(
    (HERE / "introducers.json").read_text(encoding="utf-8")
)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _update_facts(case: dict[str, Any]) -> UpdateFacts:
    person = case["contact"]
    return UpdateFacts(
        contact_key=person["email"],
        first_name=first_name_of(person["name"]),
        contact_name=person["name"],
        sender_name=case["sender_name"],
        today=dt.date.fromisoformat(case["today"]),
        last_met=_day(case["last_met"]),
        company=person["company"],
        milestones=tuple(MilestoneNews(m["what"], _day(m["date"])) for m in case["milestones"]),
        advice=tuple(case["advice"]),
        kept=tuple(case["kept"]),
        introductions=tuple(
            IntroductionNews(i["name"], dt.date.fromisoformat(i["met_on"]), i["insight"])
            for i in case["introductions"]
        ),
    )


@pytest.mark.parametrize("case", UPDATES, ids=[c["name"] for c in UPDATES])
def test_each_golden_update_is_exactly_its_reviewed_letter(case: dict[str, Any]) -> None:
    message = update_message(_update_facts(case), key="k", to=case["contact"]["email"])

    assert message.subject == case["subject"]
    assert message.body.split("\n") == case["body"]


@pytest.mark.parametrize("case", INTRODUCERS, ids=[c["name"] for c in INTRODUCERS])
def test_each_golden_introducer_note_is_exactly_its_reviewed_letter(case: dict[str, Any]) -> None:
    introducer = case["introducer"]
    facts = IntroducerFacts(
        introducer_key=introducer["email"],
        introducer_first_name=first_name_of(introducer["name"]),
        introduced_name=case["introduced"],
        met_on=dt.date.fromisoformat(case["met_on"]),
        written_on=dt.date.fromisoformat(case["written_on"]),
        sender_name=case["sender_name"],
        insight=case["insight"],
    )
    message = introducer_message(facts, key="k", to=introducer["email"])

    assert message.subject == case["subject"]
    assert message.body.split("\n") == case["body"]


def test_there_are_at_least_six_golden_letters_of_each_kind_none_alike() -> None:
    for cases in (UPDATES, INTRODUCERS):
        bodies = [tuple(c["body"]) for c in cases]
        assert len(cases) >= 6 and len(set(bodies)) == len(bodies)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
_WORDS = st.text("abcdefghij klmnop", min_size=3, max_size=40).filter(lambda t: t.strip())
_DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    name=_TEXT,
    sender=_TEXT,
    company=_TEXT,
    milestones=st.lists(st.tuples(_WORDS, st.none() | _DAYS), max_size=3),
    advice=st.lists(_WORDS, max_size=3),
    kept=st.lists(_WORDS, max_size=3),
    intros=st.lists(st.tuples(_WORDS, _DAYS, st.just("") | _WORDS), max_size=2),
    today=_DAYS,
)
def test_any_update_tells_every_piece_of_news_and_never_an_empty_section(
    name: str,
    sender: str,
    company: str,
    milestones: list[tuple[str, dt.date | None]],
    advice: list[str],
    kept: list[str],
    intros: list[tuple[str, dt.date, str]],
    today: dt.date,
) -> None:
    facts = UpdateFacts(
        contact_key="someone@example.com",
        first_name=first_name_of(name),
        contact_name=name,
        sender_name=sender,
        today=today,
        company=company,
        milestones=tuple(MilestoneNews(w, d) for w, d in milestones),
        advice=tuple(advice),
        kept=tuple(kept),
        introductions=tuple(IntroductionNews(n, d, i) for n, d, i in intros),
    )

    message = update_message(facts, key="k", to="someone@example.com")

    assert "\n" not in message.subject and "\r" not in message.subject
    body = message.body
    paragraphs = body.rstrip("\n").split("\n\n")
    assert all(p.strip() for p in paragraphs)
    assert not any(p.rstrip().endswith(":") for p in paragraphs[:-1])  # the last is the name
    assert paragraphs[0].startswith("Hi")
    for what, _ in milestones:
        assert " ".join(what.split())[1:].rstrip(".") in body
    for item in advice[:2]:
        assert " ".join(item.split())[1:] in body
    for promise in kept:
        assert " ".join(promise.split())[-3:].rstrip(" .;") in body
    for who, _, _ in intros:
        assert " ".join(who.split()) in body
    last = paragraphs[-1].split("\n")
    assert last == ["All the best!"] or last[-1].strip()


@settings(max_examples=100, deadline=None)
@given(introducer=_TEXT, introduced=_TEXT, insight=_TEXT, met_on=_DAYS, sender=_TEXT)
def test_any_introducer_note_greets_names_whom_and_stays_one_line_in_its_headers(
    introducer: str, introduced: str, insight: str, met_on: dt.date, sender: str
) -> None:
    facts = IntroducerFacts(
        introducer_key="intro@example.com",
        introducer_first_name=first_name_of(introducer),
        introduced_name=introduced,
        met_on=met_on,
        written_on=met_on + dt.timedelta(days=1),
        sender_name=sender,
        insight=insight,
    )

    message = introducer_message(facts, key="k", to="intro@example.com", to_name=introducer)

    assert not any(c in message.subject for c in "\r\n")
    assert not any(c in (message.to_name or "") for c in "\r\n")
    assert message.body.startswith("Hi")
    assert "yesterday" in message.body
    named = header_text(introduced)
    assert named in message.body if named else "Thank you for the introduction" in message.body
