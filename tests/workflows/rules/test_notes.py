"""Notes: what the user learned and what they promised."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from workflows.rules.notes import MAX_ITEM_CHARS, MAX_ITEMS, html_to_text, merge_notes, parse_notes


def test_insights_and_promises_in_plain_notes() -> None:
    notes = parse_notes(
        "Met at the Acme office.\n"
        "Insight: start with SQL, not Spark\n"
        "  takeaway:   the data team hires juniors in spring  \n"
        "- TODO: send my portfolio\n"
        "* [ ] read Designing Data-Intensive Applications\n"
        "- [x] already sent the CV\n"
        "1. Insight: ask about on-call\n"
        "Not an insight: this line\n"
        "TODO:\n"
    )
    assert notes.insights == (
        "start with SQL, not Spark",
        "the data team hires juniors in spring",
        "ask about on-call",
    )
    assert notes.todos == ("send my portfolio", "read Designing Data-Intensive Applications")


def test_googles_html_descriptions_become_lines() -> None:
    description = (
        "Agenda<br>Insight: mentors matter &amp; so does timing<br/>"
        "<ul><li>TODO: intro to Bob</li><li>Takeaway: <b>write</b> every week</li></ul>"
        "<p>- [ ] follow up in&nbsp;March</p>"
    )
    notes = parse_notes(description)
    assert notes.insights == ("mentors matter & so does timing", "write every week")
    assert notes.todos == ("intro to Bob", "follow up in March")


def test_a_self_closing_line_break_between_two_lines_splits_them() -> None:
    assert html_to_text("Insight: one<br/>TODO: two") == "Insight: one\nTODO: two"
    assert parse_notes("Insight: one<br/>TODO: two").todos == ("two",)


def test_plain_text_with_angle_brackets_is_not_mangled() -> None:
    assert html_to_text("Insight: a < b & c > d") == "Insight: a < b & c > d"


def test_a_repeated_promise_is_one_promise() -> None:
    assert parse_notes("TODO: Send CV\n- [ ] send  cv\nTODO: send portfolio").todos == (
        "Send CV",
        "send portfolio",
    )


HEBREW = "\u05dc\u05de\u05d3\u05ea\u05d9 \u05d4\u05e8\u05d1\u05d4 \U0001f680"
ARABIC = "\u0623\u0631\u0633\u0644 \u0627\u0644\u0633\u064a\u0631\u0629"


def test_right_to_left_text_and_emoji_survive() -> None:
    notes = parse_notes(f"Insight: {HEBREW}\nTODO: {ARABIC}")
    assert notes.insights == (HEBREW,)
    assert notes.todos == (ARABIC,)


def test_a_one_megabyte_description_is_parsed_quickly_into_a_readable_size() -> None:
    filler = ("lorem ipsum " * 8 + "\n") * 10_000
    huge = filler + ("Insight: " + "x" * 5_000 + "\n") * 200 + "TODO: the one promise\n"
    assert len(huge) > 1_000_000
    started = time.perf_counter()
    notes = parse_notes(huge)
    assert time.perf_counter() - started < 2.0
    assert len(notes.insights) == 1  # 200 identical lines are one insight
    assert len(notes.insights[0]) == MAX_ITEM_CHARS
    assert notes.todos == ("the one promise",)
    html = parse_notes("<div><b>agenda</b></div>" * 45_000 + "<br>TODO: the one promise")
    assert html.todos == ("the one promise",)
    many = parse_notes("".join(f"TODO: task {i}\n" for i in range(500)))
    assert len(many.todos) == MAX_ITEMS


def test_long_items_are_cut_to_the_limit_and_their_count_is_capped() -> None:
    exact = "z" * MAX_ITEM_CHARS
    long = "y" * (MAX_ITEM_CHARS + 100)
    cut_at_a_space = "a" * (MAX_ITEM_CHARS - 2) + " " + "b" * 10
    notes = parse_notes(f"Insight: {exact}\nInsight: {long}\nInsight: {cut_at_a_space}")
    assert notes.insights == (
        exact,
        "y" * (MAX_ITEM_CHARS - 1) + "\u2026",
        "a" * (MAX_ITEM_CHARS - 2) + "\u2026",  # no space left before the ellipsis
    )
    lines = "".join(f"Insight: idea {i}\nTODO: task {i}\n" for i in range(MAX_ITEMS + 1))
    many = parse_notes(lines)
    assert (len(many.insights), len(many.todos)) == (MAX_ITEMS, MAX_ITEMS)
    assert many.todos[-1] == f"task {MAX_ITEMS - 1}"


def test_a_non_breaking_space_in_html_becomes_a_plain_space() -> None:
    assert html_to_text("<p>in&nbsp;March</p>") == "\nin March\n"


def test_control_characters_in_notes_do_not_reach_items() -> None:
    notes = parse_notes("Insight: one\x00two\x1bthree\u2028four")
    assert notes.insights == ("one two three",)  # U+2028 ends the line, like a line break


def test_merge_keeps_the_users_own_airtable_notes() -> None:
    assert merge_notes("Insight: from event", "Insight: mine") == "Insight: mine"
    assert merge_notes("Insight: from<br>event", "  ") == "Insight: from\nevent"
    assert merge_notes(None, None) == ""


def test_merge_replaces_notes_followthrough_itself_wrote() -> None:
    assert (
        merge_notes("Insight: newer", "Insight: older", previously_synced="Insight: older")
        == "Insight: newer"
    )


@given(st.text(max_size=400))
def test_any_text_parses_into_single_line_items(text: str) -> None:
    notes = parse_notes(text)
    for item in (*notes.insights, *notes.todos):
        assert item and item == item.strip() and "\n" not in item and "\r" not in item
        assert len(item) <= MAX_ITEM_CHARS


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs")),
            min_size=1,
            max_size=40,
        )
        .map(str.strip)
        .filter(bool),
        max_size=5,
    )
)
def test_every_promise_written_is_found(promises: list[str]) -> None:
    text = "\n".join(f"TODO: {p}" for p in promises)
    found = parse_notes(text).todos
    assert [" ".join(p.split()).casefold() for p in found] == list(
        dict.fromkeys(" ".join(p.split()).casefold() for p in promises)
    )
