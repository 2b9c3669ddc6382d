"""Golden thank-you drafts: realistic meetings (notes, contact, timing) and the exact letter
each recipient gets, reviewed line by line (`golden_drafts/cases.json`); and what holds for
any notes: every insight and every promise appears, the greeting uses the contact's name,
headers stay one line, and the letter is always signed off."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.rules.completion import CompletedMeeting, CompletionSettings, plan_completion
from workflows.rules.draft import ThankYouInput, compose_thank_you, header_text
from workflows.rules.followups import NO_NOTES_HINT, FollowUpKind
from workflows.rules.letter import UNSIGNED_SIGN_OFF, sentence
from workflows.rules.notes import parse_notes
from workflows.rules.people import PersonView
from workflows.rules.promises import in_second_person

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden_drafts" / "cases.json").read_text(encoding="utf-8")
)
LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _local(text: str, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def _plan(case: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The completion plan of the case's meeting, made when the case says it is written."""
    zone = ZoneInfo(case["zone"])
    start = _local(case["start"], zone)
    contact = case["contact"]
    person = PersonView(
        name=contact["name"],
        emails=(contact["email"],),
        company=contact["company"],
        role=contact["role"],
    )
    meeting = CompletedMeeting(
        event_id=f"evt-{case['name']}",
        original_start=start,
        title=case["title"],
        start=start,
        end=start + dt.timedelta(minutes=30),
        contact=person,
        notes=case["notes"],
    )
    rules = CompletionSettings(
        zone=zone,
        sender_name=case["sender_name"],
        first_sync_at=LONG_AGO,
        now=_local(case["written"], zone),
    )
    return plan_completion(meeting, rules)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_golden_meeting_gets_exactly_its_reviewed_letter(case: dict[str, Any]) -> None:
    draft = _plan(case).draft

    assert draft is not None
    assert draft.subject == case["subject"]
    assert draft.body.split("\n") == case["body"]


def test_there_are_at_least_twenty_golden_drafts_none_bare_and_none_alike() -> None:
    bodies = [tuple(c["body"]) for c in CASES]
    assert len(CASES) >= 20 and len(set(bodies)) == len(bodies)
    for case in CASES:
        assert "Best," not in case["body"][-3:] or case["sender_name"]
        assert not any(line.startswith('  - "') for line in case["body"])


def test_two_people_at_one_company_after_the_same_talk_get_different_notes() -> None:
    one, two = (
        next(c for c in CASES if c["name"] == n) for n in ("same_company_one", "same_company_two")
    )
    assert one["contact"]["company"] == two["contact"]["company"] and one["notes"] == two["notes"]
    assert one["body"][2] != two["body"][2] and one["body"][-3] != two["body"][-3]


def test_a_meeting_without_notes_says_how_to_make_its_draft_specific() -> None:
    bare = next(c for c in CASES if c["name"] == "grace_no_notes")
    thanks = [f for f in _plan(bare).followups if f.kind is FollowUpKind.THANK_YOU]
    assert thanks[0].title == f"Send Grace a thank-you {NO_NOTES_HINT}"
    noted = next(c for c in CASES if c["name"] == "marcus_promises_rewritten")
    assert _plan(noted).followups[0].title == "Send Marcus a thank-you"


WORDS = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "Cc")), max_size=40
)
NAMES = st.sampled_from(["Jane Doe", "Marcus Oyelaran", "Tomás Herrera", "Dr. Amara Nwosu"])
OPENINGS = st.sampled_from(["send", "Intro", "share", "read", "follow up with", "ask", ""])


@st.composite
def notes(draw: st.DrawFn) -> tuple[str, str]:
    """A contact's name and notes: insights and promises that mention them, or do not."""
    name = draw(NAMES)
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        mention = draw(st.sampled_from([name.split()[-2 if "." in name else 0], "her", "him", ""]))
        kind = draw(st.sampled_from(["Insight:", "TODO:", "- [ ]", "Takeaway:"]))
        lines.append(f"{kind} {draw(OPENINGS)} {mention} {draw(WORDS)}")
    return name, "\n".join(lines)


@settings(max_examples=200, deadline=None)
@given(notes(), st.sampled_from(["Sam Seeker", ""]), st.integers(0, 3))
def test_every_insight_and_promise_appears_and_the_letter_is_addressed_and_signed(
    written: tuple[str, str], sender: str, days_later: int
) -> None:
    name, text = written
    parsed = parse_notes(text)
    start = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    item = ThankYouInput(
        key="k",
        contact_email="them@example.com",
        contact_name=name,
        first_name=PersonView(name=name).first_name,
        meeting_title="Coffee chat",
        meeting_start=start,
        zone=ZoneInfo("America/New_York"),
        sender_name=sender,
        insights=parsed.insights,
        todos=parsed.todos,
        notes=text,
        written_at=start + dt.timedelta(days=days_later),
    )
    draft = compose_thank_you(item)
    body = " ".join(draft.body.split())

    assert draft.body.startswith(f"Hi {item.first_name},\n")
    for insight in (header_text(i, 1000) for i in parsed.insights):
        assert sentence(insight) in body
    for todo in (header_text(t, 1000) for t in parsed.todos):
        assert (in_second_person(todo, (name, item.first_name)) or todo.rstrip(" .;")) in body
    assert "\n" not in draft.subject and "\r" not in draft.subject
    last = draft.body.rstrip("\n").split("\n")
    assert last[-1] == sender if sender else last[-1] == UNSIGNED_SIGN_OFF
    assert '"' + (parsed.insights[0] if parsed.insights else "\x00") + '"' not in draft.body
