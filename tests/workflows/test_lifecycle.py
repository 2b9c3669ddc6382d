"""A meeting's life through whole passes: history, lateness, moves, cancellations, non-meetings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    drafts,
    fast,
    followups,
    guest,
    me,
    meeting,
    meetings_by_event,
    rows,
    set_now,
    world,
)
from workflows.passes import run_once

ADA = "ada@analytical.example"
ZOE = "zoe@mentor.example"
BOB = "bob@builder.example"
ADA_ROW = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Scheduled")
NOTES = "Insight: start with the data model\nTODO: send the notes link"


def _start(sandbox_factory: Any, make_runtime: RuntimeFactory, now: dt.datetime, **fixture: Any):  # type: ignore[no-untyped-def]
    fixture.setdefault("airtable", [ADA_ROW])
    sandbox = sandbox_factory(world(**fixture), airtable_rate_limit=FAST_AIRTABLE)
    return sandbox, fast(make_runtime(sandbox, now=now), sandbox)


def test_history_is_recorded_but_gets_no_draft_and_later_meetings_get_everything(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a meeting with Ada two weeks before the first sync, and one with Bob yesterday
    events = [
        meeting("evtold", "Catch-up", at(2026, 2, 16), attendees=[guest(ADA)], description=NOTES),
        meeting(
            "evtrecent",
            "Coffee chat with Bob",
            at(2026, 3, 1),
            attendees=[guest("bob@builder.example", "Bob Builder")],
            description=NOTES,
        ),
    ]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 2, 9), events=events)

    # When Followthrough syncs for the first time
    report = run_once(runtime)

    # Then the old meeting is recorded, and Ada's dates set, but nothing was drafted for it
    assert report.ok, report.failures
    meetings = meetings_by_event(sandbox)
    assert meetings["evtold"]["Status"] == "Completed"
    assert "Thank-you Draft" not in meetings["evtold"]
    ada = next(c for c in rows(sandbox, "Contacts") if c.get("Email") == ADA)
    assert ada["Last Met"] == "2026-02-16"
    assert ada["Next Update Due"] == "2026-03-18"
    # and the recent one (within 3 days) got its draft and follow-ups
    assert [d["subject"] for d in drafts(sandbox) if "Bob" in d["subject"]]
    assert len(drafts(sandbox)) == 1
    titles = {f["Title"] for f in followups(sandbox)}
    assert titles == {"Send Bob a thank-you", "send the notes link"}

    # When a new interview happens and the laptop stays closed for a week
    sandbox.add_event(
        meeting("evtlate", "Catch-up", at(2026, 3, 3), attendees=[guest(ADA)], description=NOTES)
    )
    set_now(runtime, at(2026, 3, 10, 9))
    report = run_once(runtime)

    # Then it still gets its draft and follow-ups, a week late
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 2
    thanks = followups(sandbox, "Thank-you")
    ada_thanks = [f for f in thanks if f["Title"] == "Send Ada a thank-you"]
    assert [f["Due"] for f in ada_thanks] == ["2026-03-04"]
    assert meetings_by_event(sandbox)["evtlate"]["Status"] == "Completed"


def test_nothing_happens_before_the_end_plus_grace(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 2, 9), events=events)
    run_once(runtime)
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Scheduled"

    set_now(runtime, at(2026, 3, 2, 10, 44))  # ended 10:30, grace 15 minutes
    run_once(runtime)
    assert drafts(sandbox) == []

    set_now(runtime, at(2026, 3, 2, 10, 45))
    run_once(runtime)
    assert len(drafts(sandbox)) == 1
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"


def test_a_meeting_moved_earlier_completes_at_its_new_end(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [meeting("evt1", "Chat", at(2026, 3, 4, 15), attendees=[guest(ADA)])]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 2, 9), events=events)
    run_once(runtime)

    sandbox.move_event(
        "evt1",
        {"dateTime": at(2026, 3, 3, 8).isoformat()},
        {"dateTime": at(2026, 3, 3, 8, 30).isoformat()},
    )
    set_now(runtime, at(2026, 3, 3, 9))
    report = run_once(runtime)

    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 1
    assert "with me today." in drafts(sandbox)[0]["body"]  # its new date, not its old one
    row = meetings_by_event(sandbox)["evt1"]
    assert row["Status"] == "Completed"
    assert row["Start"].startswith("2026-03-03T13:00")  # 08:00 in New York, in UTC
    # and its follow-up keeps the key of the occurrence as first seen (stable across moves)
    (thanks,) = followups(sandbox, "Thank-you")
    assert (thanks["Key"], thanks["Due"]) == ("thank-you:evt1:2026-03-04T20:00:00Z", "2026-03-04")


def _cancelled_flow(sandbox_factory: Any, make_runtime: RuntimeFactory, change: Any) -> Any:
    events = [
        meeting("evt1", "Chat", at(2026, 3, 2, 14), attendees=[guest(ADA)], description=NOTES)
    ]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 2, 9), events=events)
    run_once(runtime)
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Scheduled"
    change(sandbox)
    set_now(runtime, at(2026, 3, 2, 11))
    first = run_once(runtime)
    set_now(runtime, at(2026, 3, 3, 9))
    second = run_once(runtime)
    assert first.ok and second.ok, (first.failures, second.failures)
    return sandbox


def test_a_cancelled_meeting_gets_no_effects_and_says_cancelled(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox = _cancelled_flow(sandbox_factory, make_runtime, lambda box: box.cancel_event("evt1"))
    assert drafts(sandbox) == []
    assert [f["Kind"] for f in followups(sandbox)] == ["Prepare"]  # briefed before it was off
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Cancelled"


def test_a_meeting_the_contact_declined_gets_no_effects_and_says_cancelled(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    def decline(box: Any) -> None:
        box.update_event("evt1", {"attendees": [me(), guest(ADA, response="declined")]})

    sandbox = _cancelled_flow(sandbox_factory, make_runtime, decline)
    assert drafts(sandbox) == []
    assert [f["Kind"] for f in followups(sandbox)] == ["Prepare"]  # briefed before it was off
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Cancelled"


def test_events_that_are_never_meetings(sandbox_factory: Any, make_runtime: RuntimeFactory) -> None:
    crowd = [guest(f"p{n}@elsewhere.example") for n in range(3)]
    day = at(2026, 3, 2, 10)
    events = [
        {
            "id": "evtallday",
            "summary": "Informational day with Ada",
            "start": {"date": "2026-03-02"},
            "end": {"date": "2026-03-03"},
            "attendees": [me(), guest(ADA)],
        },
        meeting(
            "evtteam",
            "Team sync",
            day,
            attendees=[guest(ADA)],
            recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        ),
        meeting("evtcrowd", "Panel", day, attendees=[guest(ADA), *crowd]),
        {
            **meeting("evtdeclined", "Chat", day, attendees=[guest(ADA)]),
            "attendees": [me("declined"), guest(ADA)],
        },
    ]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 5, 9), events=events)

    report = run_once(runtime)

    assert report.ok, report.failures
    assert rows(sandbox, "Meetings") == []
    assert drafts(sandbox) == []


def test_a_recurring_series_qualifies_only_by_its_title(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a weekly coffee chat with someone nobody knows yet, and Ada's recurring 1:1
    series = meeting(
        "evtweekly",
        "Weekly coffee chat",
        at(2026, 3, 2, 10),
        attendees=[guest("zoe@mentor.example", "Zoe Mentor")],
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"],
    )
    one_on_one = meeting(
        "evtada11",
        "1:1",
        at(2026, 3, 2, 12),
        attendees=[guest(ADA)],
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"],
    )
    sandbox, runtime = _start(
        sandbox_factory, make_runtime, at(2026, 3, 1, 9), events=[series, one_on_one]
    )
    run_once(runtime)

    # When both weeks have gone by
    set_now(runtime, at(2026, 3, 10, 9))
    report = run_once(runtime)

    # Then each coffee chat got its own draft, and Ada's 1:1 is not an interview
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 2
    assert all("zoe@mentor.example" in str(d["to"]).lower() for d in drafts(sandbox))
    titles = sorted(m["Title"] for m in rows(sandbox, "Meetings"))
    assert titles == ["Weekly coffee chat", "Weekly coffee chat"]
    thanks = sorted(f["Due"] for f in followups(sandbox, "Thank-you"))
    assert thanks == ["2026-03-03", "2026-03-10"]


def test_the_meetings_row_follows_moves_and_a_restored_cancellation(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [meeting("evt1", "Chat", at(2026, 3, 4, 15), attendees=[guest(ADA)])]
    sandbox, runtime = _start(sandbox_factory, make_runtime, at(2026, 3, 2, 9), events=events)
    run_once(runtime)

    def move(hour: int) -> None:
        sandbox.move_event(
            "evt1",
            {"dateTime": at(2026, 3, 4, hour).isoformat()},
            {"dateTime": at(2026, 3, 4, hour, 30).isoformat()},
        )
        run_once(runtime)

    # When it moves to 16:00 and back to 15:00
    move(16)
    assert meetings_by_event(sandbox)["evt1"]["Start"].startswith("2026-03-04T21:00")
    move(15)
    assert meetings_by_event(sandbox)["evt1"]["Start"].startswith("2026-03-04T20:00")

    # When it is cancelled and then restored
    sandbox.cancel_event("evt1")
    run_once(runtime)
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Cancelled"
    sandbox.update_event("evt1", {"status": "confirmed"})
    run_once(runtime)
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Scheduled"

    # Then it completes as usual
    set_now(runtime, at(2026, 3, 4, 16))
    assert run_once(runtime).ok
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"
    assert len(drafts(sandbox)) == 1


def test_the_title_pattern_and_grace_are_the_users_to_choose(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    zoe = guest("zoe@mentor.example", "Zoe Mentor")
    events = [
        meeting("evtmentor", "Mentoring session", at(2026, 3, 2, 10), attendees=[zoe]),
        meeting("evtcoffee", "Coffee chat", at(2026, 3, 2, 10), attendees=[zoe]),
        # the pattern matches whole words: "mentor" inside "Tormentors" does not count
        meeting("evttorment", "Tormentors anonymous", at(2026, 3, 2, 10), attendees=[zoe]),
    ]
    sandbox = sandbox_factory(world(events=events, airtable=[]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(
        make_runtime(
            sandbox,
            now=at(2026, 3, 2, 9),
            title_pattern=r"mentor(ing)?",
            grace=dt.timedelta(hours=1),
        ),
        sandbox,
    )
    run_once(runtime)
    set_now(runtime, at(2026, 3, 2, 11, 20))
    run_once(runtime)
    assert drafts(sandbox) == []  # ended 10:30, grace one hour

    set_now(runtime, at(2026, 3, 2, 11, 30))
    assert run_once(runtime).ok
    assert list(meetings_by_event(sandbox)) == ["evtmentor"]
    assert len(drafts(sandbox)) == 1


def test_a_meeting_across_the_autumn_dst_change_lasts_its_absolute_time(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given two night interviews on 2026-11-01, when New York's clocks go back at 02:00 EDT:
    # 01:30 EDT to 01:15 EST given with offsets (45 minutes, though the wall clock goes back),
    # and 00:30 to 02:00 given as local times in the event's zone (EDT to EST: 2.5 hours)
    night = {
        **meeting("evtnight", "Coffee chat", at(2026, 11, 1, 0), attendees=[guest(ZOE)]),
        "start": {"dateTime": "2026-11-01T01:30:00-04:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-11-01T01:15:00-05:00", "timeZone": "America/New_York"},
    }
    local = {
        **meeting(
            "evtlocal", "Informational interview", at(2026, 11, 1, 0), attendees=[guest(BOB)]
        ),
        "start": {"dateTime": "2026-11-01T00:30:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-11-01T02:00:00", "timeZone": "America/New_York"},
    }
    sandbox, runtime = _start(
        sandbox_factory, make_runtime, at(2026, 10, 31, 12), events=[night, local], airtable=[]
    )
    assert run_once(runtime).ok

    # Then both are meetings, at their instants in UTC
    rows_by_event = meetings_by_event(sandbox)
    assert rows_by_event["evtnight"]["Start"].startswith("2026-11-01T05:30")
    assert rows_by_event["evtnight"]["End"].startswith("2026-11-01T06:15")
    assert rows_by_event["evtlocal"]["Start"].startswith("2026-11-01T04:30")
    assert rows_by_event["evtlocal"]["End"].startswith("2026-11-01T07:00")

    # and each completes at its absolute end plus the grace period, not before
    def drafted_at(hour: int, minute: int) -> int:
        set_now(runtime, dt.datetime(2026, 11, 1, hour, minute, tzinfo=dt.UTC))
        assert run_once(runtime).ok
        return len(drafts(sandbox))

    assert drafted_at(6, 29) == 0  # 01:29 EST
    assert drafted_at(6, 30) == 1  # 01:30 EST: the night chat ended 15 minutes ago
    assert drafted_at(7, 14) == 1
    assert drafted_at(7, 15) == 2  # 02:15 EST
    assert {m["Status"] for m in rows(sandbox, "Meetings")} == {"Completed"}
