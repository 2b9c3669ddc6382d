"""Golden briefs: realistic contacts and histories, and the exact brief each one gets, reviewed line
by line (`golden_briefs/<name>.txt`); the question bank; and what holds for any contact: every
open promise, insight and question appears, the name is right, nothing is empty or unsafe."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.rules.brief import (
    MAX_PROMISES,
    BriefFacts,
    EarlierMeeting,
    OpenPromise,
    parse_question_bank,
    pick_questions,
    prepare_title,
    write_brief,
)
from workflows.rules.people import first_name_of

GOLDEN = Path(__file__).parent / "golden_briefs"
CASES: list[dict[str, Any]] = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
DEFAULT_BANK = (Path(__file__).parents[3] / "workflows" / "rules" / "questions.txt").read_text(
    encoding="utf-8"
)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _facts(case: dict[str, Any]) -> BriefFacts:
    zone, contact = ZoneInfo(case["zone"]), case["contact"]
    start = dt.datetime.fromisoformat(case["start"]).replace(tzinfo=zone)
    bank = parse_question_bank(DEFAULT_BANK if case["bank"] == "default" else case["bank"])
    return BriefFacts(
        name=contact["name"],
        first_name=first_name_of(contact["name"]),
        start=start,
        end=start + dt.timedelta(minutes=case["minutes"]),
        zone_name=case["zone"],
        company=contact.get("company", ""),
        role=contact.get("role", ""),
        why_them=contact.get("why_them", ""),
        contact_notes=contact.get("notes", ""),
        introducer=contact.get("introducer", ""),
        earlier=tuple(
            EarlierMeeting(dt.date.fromisoformat(m["day"]), tuple(m["insights"]))
            for m in case["earlier"]
        ),
        promises=tuple(OpenPromise(p["text"], _day(p["due"])) for p in case["promises"]),
        last_update=_day(case.get("last_update")),
        thanked_on=_day(case.get("thanked_on")),
        about_me=case["about_me"],
        questions=pick_questions(bank, contact["name"], round_=len(case["earlier"])),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_golden_contact_gets_exactly_its_reviewed_brief(case: dict[str, Any]) -> None:
    expected = GOLDEN / f"{case['name']}.txt"
    text = write_brief(_facts(case))
    if os.environ.get("FOLLOWTHROUGH_WRITE_GOLDEN"):  # to review a change line by line
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")


def test_there_are_at_least_six_golden_briefs_none_alike() -> None:
    texts = [(GOLDEN / f"{c['name']}.txt").read_text(encoding="utf-8") for c in CASES]
    assert len(texts) >= 6 and len(set(texts)) == len(texts)


def test_the_default_bank_has_twenty_thoughtful_questions_in_five_groups() -> None:
    bank = parse_question_bank(DEFAULT_BANK)
    questions = [q for group in bank for q in group]
    assert len(bank) == 5 and 15 <= len(questions) <= 25
    assert all(q.endswith("?") and len(q) > 30 for q in questions)


def test_a_brief_asks_one_question_from_each_group_and_the_next_meeting_others() -> None:
    bank = parse_question_bank(DEFAULT_BANK)
    first = pick_questions(bank, "ada@analytical.example")
    second = pick_questions(bank, "ada@analytical.example", round_=1)
    assert [next(i for i, g in enumerate(bank) if q in g) for q in first] == [0, 1, 2, 3, 4]
    assert not set(first) & set(second)
    assert pick_questions(bank, "grace@navy.example") != first  # variety between contacts


def test_a_bank_keeps_its_questions_once_and_drops_comments_and_blank_lines() -> None:
    text = "\ufeff# mine\nWhy this field?\n\nwhy this field?\n  # indented comment\nAnd then?\n"
    assert parse_question_bank(text) == (("Why this field?",), ("And then?",))
    assert parse_question_bank("# only comments\n\n") == ()


def test_the_prepare_title_says_where_the_brief_is() -> None:
    assert prepare_title("Ada") == (
        "Prepare for your conversation with Ada: read the Brief in the meeting's row"
    )


HEADINGS = {
    "WHO THEY ARE",
    "YOUR INTRODUCTION",
    "BEFORE THIS CONVERSATION",
    "PROMISES STILL OPEN",
    "LAST UPDATE SENT",
    "QUESTIONS TO ASK",
    "DURING AND AFTER",
}
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "Cc")), max_size=60
)
ITEM = TEXT.filter(lambda t: any(c.isalnum() for c in t))


@settings(max_examples=60, deadline=None)
@given(
    name=ITEM,
    company=TEXT,
    role=TEXT,
    why=TEXT,
    notes=TEXT,
    insights=st.lists(ITEM, max_size=4),
    promises=st.lists(ITEM, max_size=MAX_PROMISES),
    questions=st.lists(ITEM, max_size=5),
)
def test_any_contact_gets_a_brief_with_every_fact_and_nothing_unsafe(
    name: str,
    company: str,
    role: str,
    why: str,
    notes: str,
    insights: list[str],
    promises: list[str],
    questions: list[str],
) -> None:
    start = dt.datetime(2026, 3, 5, 10, tzinfo=ZoneInfo("America/New_York"))
    earlier = (EarlierMeeting(dt.date(2026, 2, 2), tuple(insights)),) if insights else ()
    facts = BriefFacts(
        name=name,
        first_name=first_name_of(name),
        start=start,
        end=start + dt.timedelta(minutes=30),
        company=company,
        role=role,
        why_them=why,
        contact_notes=notes,
        earlier=earlier,
        promises=tuple(OpenPromise(p) for p in promises),
        questions=tuple(questions),
    )
    text = write_brief(facts)
    flat = " ".join(text.split())
    assert _words(name) in flat
    for item in [*insights, *promises, *questions]:
        assert _words(item)[1:] in flat  # the first letter may be capitalised
    assert all(c.isprintable() or c == "\n" for c in text)
    assert "\n\n\n" not in text
    headings = [
        line for line in text.splitlines() if line in HEADINGS or line.startswith("WHAT YOU")
    ]
    assert len(headings) >= 2
    for heading in headings:  # no heading stands over nothing
        after = text.split(heading + "\n", 1)[1]
        assert after.strip() and not after.startswith("\n")


def _words(text: str) -> str:
    """`text` as a brief shows it: control characters gone, whitespace collapsed."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
