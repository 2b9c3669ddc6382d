"""The brief before an interview, over HTTP: written in time, rewritten when the meeting moves or
the contact changes, never after the meeting starts; and its Prepare follow-up, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import FOLLOW_UPS_SPEC, MEETINGS_SPEC
from connectors.sandbox.fixture import contract_table
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    fast,
    followups,
    guest,
    meeting,
    meeting_record_id,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.runtime import Runtime
from workflows.steps import steps_off

ADA = "ada@analytical.example"
GRACE = "grace@navy.example"
FIRST_NOTES = "Insight: SQL matters more than Spark\nTODO: send Ada the dbt testing article"


def _world(
    sandbox_factory: Any, make_runtime: RuntimeFactory, *, earlier: bool = True, **config: Any
) -> tuple[Sandbox, Runtime]:
    """Ada (introduced by Grace), met on February 2 if `earlier`, meets the user on March 5."""
    grace = airtable_contact("recGrace00000001", Name="Grace Hopper", Email=GRACE, Stage="Met")
    ada = airtable_contact(
        "recAda0000000001",
        Name="Ada Lovelace",
        Email=ADA,
        Company="Analytical Engines",
        Role="Engineering Manager",
        Stage="Scheduled",
        Notes="Met at PyCon 2025; she mentors career changers.",
    )
    events = [meeting("evt2", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)])]
    if earlier:
        first = meeting(
            "evt1",
            "Coffee chat",
            at(2026, 2, 2, 10),
            attendees=[guest(ADA)],
            description=FIRST_NOTES,
        )
        events.insert(0, first)
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[grace, ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    config.setdefault("about_me", "I'm a physics teacher moving into data engineering.")
    runtime = fast(make_runtime(sandbox, now=at(2026, 2, 2, 9), **config), sandbox)
    # The fields the issue added, as the user fills them once `airtable init` made them
    sandbox.airtable.update_record(
        "Contacts",
        "recAda0000000001",
        {
            "Why Them": "she moved from teaching to data engineering",
            "Referred By": ["recGrace00000001"],
        },
    )
    clean_pass(runtime)
    if earlier:
        clean_pass(runtime, at(2026, 2, 2, 11))  # the first meeting completes
    return sandbox, runtime


def _brief(sandbox: Sandbox) -> str:
    return str(meetings_by_event(sandbox)["evt2"].get("Brief", ""))


def _prepares(sandbox: Sandbox, event_id: str = "evt2") -> list[dict[str, Any]]:
    """The Prepare follow-ups of the meeting `event_id`."""
    record_id = meeting_record_id(sandbox, event_id)
    return [f for f in followups(sandbox, "Prepare") if f.get("Meeting") == [record_id]]


def test_the_brief_is_written_in_time_with_what_came_before_and_a_prepare_follow_up(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)

    # Nineteen hours before: nothing yet
    clean_pass(runtime, at(2026, 3, 4, 15))
    assert _brief(sandbox) == ""
    assert _prepares(sandbox) == []

    # Seventeen hours before (the default is 18): the brief and its follow-up
    clean_pass(runtime, at(2026, 3, 4, 17))
    brief = _brief(sandbox)
    assert brief.startswith(
        "Brief for your conversation with Ada Lovelace on Thursday, March 5, 2026, "
        "10:00 AM to 10:30 AM (New York time)"
    )
    assert "Ada Lovelace works as an Engineering Manager at Analytical Engines." in brief
    assert "Why them: She moved from teaching to data engineering." in brief
    assert "Introduced by Grace Hopper." in brief
    assert "  Met at PyCon 2025; she mentors career changers." in brief
    assert "I'm a physics teacher moving into data engineering." in brief
    assert "Monday, February 2, 2026:\n- SQL matters more than Spark" in brief
    assert "PROMISES STILL OPEN\n- Send Ada the dbt testing article" in brief
    assert "QUESTIONS TO ASK\n1. " in brief and "\n5. " in brief
    assert 'a line starting "Insight:"' in brief and 'a line starting "TODO:"' in brief
    (prepare,) = _prepares(sandbox)
    assert (
        prepare["Title"]
        == "Prepare for your conversation with Ada: read the Brief in the meeting's row"
    )
    assert prepare["Due"] == "2026-03-05"
    assert prepare["Meeting"] == [meeting_record_id(sandbox, "evt2")]
    assert prepare["Contact"] == ["recAda0000000001"]

    # Passes after it change nothing
    writes = runtime.need_airtable().stats.writes
    clean_pass(runtime, at(2026, 3, 4, 18))
    assert _brief(sandbox) == brief
    assert len(_prepares(sandbox)) == 1
    assert runtime.need_airtable().stats.writes == writes

    # Once the meeting starts there is nothing left to prepare: the follow-up is Done
    clean_pass(runtime, at(2026, 3, 5, 10, 1))
    assert [p["Status"] for p in _prepares(sandbox)] == ["Done"]


def test_a_first_meeting_reads_well_and_a_changed_contact_rewrites_the_brief_until_it_starts(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, earlier=False)
    clean_pass(runtime, at(2026, 3, 4, 17))
    brief = _brief(sandbox)
    assert "This is your first conversation with Ada: nothing learned from them yet." in brief
    assert "PROMISES STILL OPEN" not in brief and "LAST UPDATE SENT" not in brief

    # When Ada's role changes in Airtable before the meeting
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Role": "Director of Data"})
    clean_pass(runtime, at(2026, 3, 4, 20))
    assert "Ada Lovelace works as a Director of Data at Analytical Engines." in _brief(sandbox)

    # When it changes again once the meeting has started: the brief stays as it was
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Role": "VP of Data"})
    clean_pass(runtime, at(2026, 3, 5, 10, 5))
    assert "Director of Data" in _brief(sandbox)
    assert len(_prepares(sandbox)) == 1


def test_a_moved_meeting_gets_its_brief_and_prepare_day_moved(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, earlier=False)
    clean_pass(runtime, at(2026, 3, 4, 17))

    # When Ada moves the meeting to the next day at 2 PM
    start = at(2026, 3, 6, 14)
    sandbox.move_event(
        "evt2",
        {"dateTime": start.isoformat()},
        {"dateTime": (start + dt.timedelta(minutes=45)).isoformat()},
    )
    clean_pass(runtime, at(2026, 3, 4, 18))

    # Then the brief says the new time at once, and the Prepare follow-up is due that day
    assert "on Friday, March 6, 2026, 2:00 PM to 2:45 PM" in _brief(sandbox)
    (prepare,) = _prepares(sandbox)
    assert prepare["Due"] == "2026-03-06"


def test_a_question_bank_of_ones_own_is_used_and_a_missing_one_is_told_in_one_line(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    bank = tmp_path / "questions.txt"
    bank.write_text("# mine\nWhat surprised you most this year?\n", encoding="utf-8")
    sandbox, runtime = _world(sandbox_factory, make_runtime, earlier=False, questions_file=bank)
    bank.unlink()

    # A bank that went missing: the brief waits, and the pass says what to do
    set_now(runtime, at(2026, 3, 4, 17))
    report = run_once(runtime)
    (failure,) = report.failures.values()
    assert "FOLLOWTHROUGH_QUESTIONS_FILE" in failure and "cannot be read" in failure
    assert "\n" not in failure
    assert _brief(sandbox) == ""

    # Once it is back, the brief asks its one question
    bank.write_text("What surprised you most this year?\n", encoding="utf-8")
    clean_pass(runtime, at(2026, 3, 4, 18))
    assert "QUESTIONS TO ASK\n1. What surprised you most this year?\n\n" in _brief(sandbox)


def test_a_base_without_the_brief_field_keeps_the_brief_waiting_until_airtable_init(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a base made before briefs existed: Meetings without its Brief field
    fixture = world(
        events=[meeting("evt2", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)])],
        airtable=[airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA)],
    )
    meetings = contract_table(MEETINGS_SPEC)
    meetings["fields"] = [f for f in meetings["fields"] if f["name"] != "Brief"]
    fixture["airtable"]["tables"] += [meetings, contract_table(FOLLOW_UPS_SPEC)]
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 4, 17), init=False), sandbox)

    # When the brief falls due: it waits, and nothing fails
    clean_pass(runtime)
    assert _prepares(sandbox) == []
    assert "Briefs" in steps_off(runtime)

    # Then once the user runs `airtable init`, the next pass after the recheck writes it
    init_schema(runtime.need_airtable())
    clean_pass(runtime, at(2026, 3, 4, 17, 11))
    assert _brief(sandbox).startswith("Brief for your conversation with Ada Lovelace")
    assert len(_prepares(sandbox)) == 1
