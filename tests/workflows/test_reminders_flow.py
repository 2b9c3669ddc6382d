"""Progress-update reminders through whole passes: when they come, how often, and what ends them."""

from __future__ import annotations

from typing import Any

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    contact,
    fast,
    followups,
    guest,
    meeting,
    world,
)
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
ADA_ID = "recAda0000000001"
PROGRESS = "Progress update"


def _ada_met_on_march_2(
    sandbox_factory: Any, make_runtime: RuntimeFactory, **ada: Any
) -> tuple[Sandbox, Runtime]:
    fields = {"Name": "Ada Lovelace", "Email": ADA, "Stage": "Met", "Update_Every_days": 14}
    row = airtable_contact(ADA_ID, **{**fields, **ada})
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[row]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-16"
    return sandbox, runtime


def _mark_done(sandbox: Sandbox, title_part: str) -> None:
    record = next(
        r
        for r in sandbox.airtable.records("Follow-ups")
        if title_part in r["fields"]["Title"] and r["fields"]["Status"] == "Open"
    )
    sandbox.airtable.update_record("Follow-ups", record["id"], {"Status": "Done"})


def test_one_reminder_when_the_update_is_due_and_none_while_it_is_open(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)

    clean_pass(runtime, at(2026, 3, 15, 9))
    assert followups(sandbox, PROGRESS) == []

    clean_pass(runtime, at(2026, 3, 16, 9))
    (reminder,) = followups(sandbox, PROGRESS)
    assert reminder["Title"] == "Send Ada an update on your progress"
    assert (reminder["Due"], reminder["Status"]) == ("2026-03-16", "Open")
    assert reminder["Contact"] == [ADA_ID]

    clean_pass(runtime, at(2026, 3, 17, 9))
    clean_pass(runtime, at(2026, 3, 25, 9))
    assert len(followups(sandbox, PROGRESS)) == 1


def test_a_progress_update_done_moves_the_next_one_by_the_cadence(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)
    clean_pass(runtime, at(2026, 3, 16, 9))

    # When the user marks it Done on March 18
    _mark_done(sandbox, "update on your progress")
    clean_pass(runtime, at(2026, 3, 18, 20))

    # Then Ada's next update is due 14 days later, and comes then (not before)
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-04-01"
    clean_pass(runtime, at(2026, 3, 31, 9))
    assert len(followups(sandbox, PROGRESS)) == 1
    clean_pass(runtime, at(2026, 4, 1, 9))
    reminders = followups(sandbox, PROGRESS)
    assert sorted(r["Due"] for r in reminders) == ["2026-03-16", "2026-04-01"]


def test_done_counts_from_the_day_it_was_marked_however_late_the_pass_sees_it(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)
    clean_pass(runtime, at(2026, 3, 16, 9))

    # When the user marks it Done on March 18 while Followthrough is not running...
    sandbox.airtable.webhooks.clock = lambda: at(2026, 3, 18, 9)  # when Airtable records it
    _mark_done(sandbox, "update on your progress")
    # ...and the laptop is opened three days later
    clean_pass(runtime, at(2026, 3, 21, 9))

    # Then the next update is due 14 days after March 18, not after March 21
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-04-01"


def test_a_changed_cadence_applies_from_the_next_update(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)

    # When the user changes Ada's cadence to a week
    sandbox.airtable.update_record("Contacts", ADA_ID, {"Update Every (days)": 7})
    clean_pass(runtime, at(2026, 3, 10, 9))
    assert followups(sandbox, PROGRESS) == []  # the due date already set stands

    clean_pass(runtime, at(2026, 3, 16, 9))
    _mark_done(sandbox, "update on your progress")
    clean_pass(runtime, at(2026, 3, 16, 18))
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-23"


def test_an_inactive_contact_gets_no_reminders(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)

    sandbox.airtable.update_record("Contacts", ADA_ID, {"Stage": "Inactive"})
    clean_pass(runtime, at(2026, 3, 16, 9))
    clean_pass(runtime, at(2026, 4, 20, 9))

    assert followups(sandbox, PROGRESS) == []


def test_a_new_meeting_resets_the_clock(sandbox_factory: Any, make_runtime: RuntimeFactory) -> None:
    sandbox, runtime = _ada_met_on_march_2(sandbox_factory, make_runtime)

    sandbox.add_event(meeting("evt2", "Chat", at(2026, 3, 12, 10), attendees=[guest(ADA)]))
    clean_pass(runtime, at(2026, 3, 12, 12))
    clean_pass(runtime, at(2026, 3, 16, 9))

    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-26"
    assert followups(sandbox, PROGRESS) == []


def test_at_most_three_reminders_a_day_and_the_rest_roll_forward(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given five contacts kept in touch with, all due an update on March 10
    people = [
        airtable_contact(
            f"recPerson00000{n:02d}",
            Name=f"Person{n} Example",
            Email=f"p{n}@people.example",
            Stage="Keeping in touch",
            Last_Met="2026-02-08",
            Next_Update_Due="2026-03-10",
        )
        for n in range(5)
    ]
    sandbox: Sandbox = sandbox_factory(world(airtable=people), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 9, 9)), sandbox)
    clean_pass(runtime)
    assert followups(sandbox, PROGRESS) == []

    # When March 10 comes (and the passes run again)
    clean_pass(runtime, at(2026, 3, 10, 9))
    clean_pass(runtime, at(2026, 3, 11, 9))

    # Then three are due that day and two the next, one for each contact
    reminders = followups(sandbox, PROGRESS)
    days = sorted(r["Due"] for r in reminders)
    assert days == ["2026-03-10"] * 3 + ["2026-03-11"] * 2
    assert len({r["Title"] for r in reminders}) == 5


def test_two_meetings_completed_together_count_from_the_later(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given two chats with Ada that both end before the first pass (neither is history)
    row = airtable_contact(ADA_ID, Name="Ada Lovelace", Email=ADA, Stage="Met")
    events = [
        meeting("evtlater", "Chat", at(2026, 3, 1, 10), attendees=[guest(ADA)]),
        meeting("evtearlier", "Chat", at(2026, 2, 27, 10), attendees=[guest(ADA)]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[row]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    clean_pass(runtime)

    # Then Ada was last met on the later day, and her update comes 30 days after it
    assert len(followups(sandbox, "Thank-you")) == 2
    assert contact(sandbox, ADA)["Last Met"] == "2026-03-01"
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-31"
    clean_pass(runtime, at(2026, 3, 29, 9))
    assert followups(sandbox, PROGRESS) == []
    clean_pass(runtime, at(2026, 3, 31, 9))
    assert [r["Due"] for r in followups(sandbox, PROGRESS)] == ["2026-03-31"]


def test_the_daily_cap_holds_across_sweeps_on_consecutive_days(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given five contacts due an update on March 10 and three more due on March 11
    due_on = ["2026-03-10"] * 5 + ["2026-03-11"] * 3
    people = [
        airtable_contact(
            f"recPerson00000{n:02d}",
            Name=f"Person{n} Example",
            Email=f"p{n}@people.example",
            Stage="Keeping in touch",
            Last_Met="2026-02-08",
            Next_Update_Due=day,
        )
        for n, day in enumerate(due_on)
    ]
    sandbox: Sandbox = sandbox_factory(world(airtable=people), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 10, 9)), sandbox)

    # When March 10's sweeps place three that day and roll two to March 11, and the user
    # marks one of those two Done at once
    clean_pass(runtime)
    clean_pass(runtime, at(2026, 3, 10, 18))
    assert (
        sorted(r["Due"] for r in followups(sandbox, PROGRESS))
        == ["2026-03-10"] * 3 + ["2026-03-11"] * 2
    )
    early = next(
        r for r in sandbox.airtable.records("Follow-ups") if r["fields"]["Due"] == "2026-03-11"
    )
    sandbox.airtable.update_record("Follow-ups", early["id"], {"Status": "Done"})
    # and the sweeps of the next days run, twice a day
    for day in (11, 12, 13):
        clean_pass(runtime, at(2026, 3, day, 9))
        clean_pass(runtime, at(2026, 3, day, 18))

    # Then no day holds more than three: March 11 had two already, so it took one more
    reminders = followups(sandbox, PROGRESS)
    days = sorted(r["Due"] for r in reminders)
    assert days == ["2026-03-10"] * 3 + ["2026-03-11"] * 3 + ["2026-03-12"] * 2
    assert len({r["Title"] for r in reminders}) == 8
