"""Follow-ups of a completed interview: due dates in the user's zone, stable keys."""

from __future__ import annotations

import datetime as dt

from tests.workflows.rules.builders import BERLIN, NEW_YORK
from workflows.rules.followups import (
    FollowUpKind,
    FollowUpPlan,
    plan_followups,
    single_line,
    thank_you_title,
)
from workflows.rules.keys import action_key, thank_you_key


def plan(start: dt.datetime, zone: dt.tzinfo, todos: tuple[str, ...] = ()) -> list[FollowUpPlan]:
    return list(
        plan_followups(
            event_id="evt1",
            original_start=start,
            meeting_start=start,
            zone=zone,
            first_name="Jane",
            todos=todos,
        )
    )


def test_a_title_at_the_limit_is_kept_and_a_longer_one_is_cut() -> None:
    assert single_line("z" * 200) == "z" * 200
    assert single_line("y" * 198 + " " + "z" * 10) == "y" * 198 + "\u2026"  # no space before it


def test_a_thank_you_without_a_first_name_still_reads_well() -> None:
    assert thank_you_title("") == "Send a thank-you"
    assert thank_you_title("Jane") == "Send Jane a thank-you"


def test_thank_you_tomorrow_and_action_items_a_week_later() -> None:
    start = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    thank_you, portfolio, book = plan(start, NEW_YORK, ("send my portfolio", "read DDIA"))
    assert (thank_you.kind, thank_you.title, thank_you.due) == (
        FollowUpKind.THANK_YOU,
        "Send Jane a thank-you",
        dt.date(2026, 11, 21),
    )
    assert thank_you.key == thank_you_key("evt1", start)
    assert [portfolio.kind, book.kind] == [FollowUpKind.ACTION_ITEM] * 2
    assert portfolio.title == "send my portfolio" and portfolio.due == dt.date(2026, 11, 27)
    assert book.key == action_key("evt1", start, "read DDIA")


def test_an_evening_meeting_is_dated_in_the_users_zone_not_utc() -> None:
    evening_in_new_york = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)  # 20:30 on the 20th
    assert plan(evening_in_new_york, NEW_YORK)[0].due == dt.date(2026, 11, 21)
    assert plan(evening_in_new_york, BERLIN)[0].due == dt.date(2026, 11, 22)


def test_dst_weekends_count_calendar_days() -> None:
    # Saturday evening before clocks go back in New York (Nov 1) and Berlin (Oct 25).
    ny_saturday = dt.datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK)
    thank_you, action = plan(ny_saturday, NEW_YORK, ("intro to Bob",))
    assert thank_you.due == dt.date(2026, 11, 1) and action.due == dt.date(2026, 11, 7)
    berlin_saturday = dt.datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN)  # clocks go forward
    thank_you, action = plan(berlin_saturday, BERLIN, ("intro to Bob",))
    assert thank_you.due == dt.date(2026, 3, 29) and action.due == dt.date(2026, 4, 4)


def test_history_has_no_follow_ups() -> None:
    start = dt.datetime(2026, 4, 2, 15, 0, tzinfo=dt.UTC)
    plans = plan_followups(
        event_id="e", original_start=start, meeting_start=start, zone=BERLIN,
        first_name="Jane", todos=("x",), thank_you=False, action_items=False,
    )  # fmt: skip
    assert plans == ()


def test_titles_are_one_line() -> None:
    assert single_line("send\r\nBcc: x\x00 now") == "send Bcc: x now"
    assert len(single_line("y" * 1000)) == 200
