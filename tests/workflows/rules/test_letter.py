"""The letter's pieces: when it says the meeting was, who the contact is, and which first line
of the notes is a topic."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.rules.letter import article, topic_from_notes, when_text, who_they_are

FRIDAY = dt.date(2026, 3, 13)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (FRIDAY, "today"),
        (dt.date(2026, 3, 14), "yesterday"),
        (dt.date(2026, 3, 16), "on Friday, March 13"),
        (dt.date(2026, 3, 12), "on Friday, March 13"),  # a clock behind the meeting: the date
        (None, "on Friday, March 13"),
    ],
)
def test_the_meeting_is_today_yesterday_or_its_date(written: dt.date | None, said: str) -> None:
    assert when_text(FRIDAY, written, "Friday, March 13") == said


@pytest.mark.parametrize(
    ("role", "company", "who"),
    [
        ("Product Designer", "Figma", "as a Product Designer at Figma"),
        ("Engineering Manager", "", "as an Engineering Manager"),
        ("UX Researcher", "Notion", "as a UX Researcher at Notion"),
        ("SRE", "Cloudflare", "as an SRE at Cloudflare"),
        ("", "Duolingo", "at Duolingo"),
        ("", "", ""),
    ],
)
def test_who_the_contact_is_reads_with_the_right_article(role: str, company: str, who: str) -> None:
    assert who_they_are(role, company) == who


def test_an_article_follows_the_sound_not_the_letter() -> None:
    assert [article(w) for w in ("Engineer", "User Researcher", "Unusual role", "MLE", "PM")] == [
        "an", "a", "an", "an", "a",
    ]  # fmt: skip


NAMES = ("Ben Carter", "Ben")


@pytest.mark.parametrize(
    ("notes", "topic"),
    [
        ("Questions about Shopify's Ruby and Rails scale work.",
         "Shopify's Ruby and Rails scale work"),
        ("Talk about moving into platform work.\nInsight: x", "moving into platform work"),
        ("Agenda: how the org is structured; what a first 90 days looks like.",
         "how the org is structured and what a first 90 days looks like"),
        ("Questions: how Datadog hires; what she looks for in new grads.", "how Datadog hires"),
        ("Path from analytics into ML engineering.", "the path from analytics into ML engineering"),
        ("Data engineering at Airbnb: batch vs streaming.",
         "data engineering at Airbnb: batch vs streaming"),
        ("Rescheduled from Tuesday at Ben's request.", None),
        ("Ben is only in my Google Contacts so far.", None),
        ("Cancelled: conflict with a launch.", None),
        ("Insight: the first line is already a note", None),
        ("- [ ] a promise first", None),
        ("", None),
        ("x" * 200, None),
    ],
)  # fmt: skip
def test_the_notes_first_line_is_a_topic_only_when_it_reads_like_one(
    notes: str, topic: str | None
) -> None:
    assert topic_from_notes(notes, NAMES, "Shopify") == topic
