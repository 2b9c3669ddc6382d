"""A whole flow on PostgreSQL: interview, late notes, reminder, Done, and two passes at once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_tasks_mirror import google_tasks
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    contact,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.rules.followups import NO_NOTES_HINT
from workflows.store.models import Meeting
from workflows.store.people import find_person
from workflows.sync import sync_source

pytestmark = pytest.mark.services

ADA = "ada@analytical.example"
ZOE = "zoe@mentor.example"


def test_an_interview_from_first_sync_to_the_next_update_on_postgres(
    sandbox_factory: Any, make_runtime: RuntimeFactory, postgres_url: str
) -> None:
    # Given Ada in Airtable, a coffee chat with Zoe (known to nobody), both on March 2
    ada = airtable_contact(
        "recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met", Update_Every_days=10
    )
    events = [
        meeting(
            "evtada",
            "Chat",
            at(2026, 3, 2, 10),
            attendees=[guest(ADA)],
            description="Insight: model first\nTODO: send the link",
        ),
        meeting("evtzoe", "Coffee chat", at(2026, 3, 2, 14), attendees=[guest(ZOE, "Zoe Mentor")]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    first = fast(
        make_runtime(sandbox, now=at(2026, 3, 2, 9), database_url=postgres_url, tasks_sink="both"),
        sandbox,
    )
    second = fast(
        make_runtime(
            sandbox,
            now=at(2026, 3, 2, 9),
            database_url=postgres_url,
            tasks_sink="both",
            init=False,
        ),
        sandbox,
    )
    clean_pass(first)
    assert {m["Status"] for m in meetings_by_event(sandbox).values()} == {"Scheduled"}

    # When both interviews are over and two passes run at the same moment
    for runtime in (first, second):
        set_now(runtime, at(2026, 3, 2, 15))
    threads = [threading.Thread(target=run_once, args=(rt,)) for rt in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    clean_pass(first)

    # Then there is one draft for each, and one of each follow-up, here and in Google Tasks
    recipients = sorted(str(d["to"]).lower() for d in drafts(sandbox))
    assert len(recipients) == 2
    assert ADA in recipients[0] and ZOE in recipients[1]
    titles = sorted(f["Title"] for f in followups(sandbox))
    zoe = f"Send Zoe a thank-you {NO_NOTES_HINT}"  # her invite had no notes
    prepare = "Prepare for your conversation with {}: read the Brief in the meeting's row"
    briefs = [prepare.format("Ada"), prepare.format("Zoe")]  # written at 9, within 18 hours
    assert titles == sorted([*briefs, "Send Ada a thank-you", zoe, "send the link"])
    assert sorted(t["title"] for t in google_tasks(sandbox)["Followthrough"]) == titles
    assert contact(sandbox, ZOE)["Name"] == "Zoe Mentor"

    # When the user adds a promise to Ada's notes
    record = next(
        r for r in sandbox.airtable.records("Meetings") if r["fields"]["Event ID"] == "evtada"
    )
    notes = "Insight: model first\nTODO: send the link\nTODO: read her paper"
    sandbox.airtable.update_record("Meetings", record["id"], {"Notes": notes})
    set_now(first, at(2026, 3, 3, 9))
    clean_pass(first)

    # Then the draft says so and one new Action item exists
    ada_draft = next(d for d in drafts(sandbox) if ADA in str(d["to"]).lower())
    assert "read your paper" in ada_draft["body"]
    assert len(followups(sandbox, "Action item")) == 2

    # When Ada's update falls due (10 days) and the user marks the reminder Done
    set_now(first, at(2026, 3, 12, 9))
    clean_pass(first)
    (reminder,) = [
        r for r in sandbox.airtable.records("Follow-ups") if "progress" in r["fields"]["Title"]
    ]
    sandbox.airtable.update_record("Follow-ups", reminder["id"], {"Status": "Done"})
    set_now(first, at(2026, 3, 13, 9))
    clean_pass(first)

    # Then the next one is due ten days after that
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-23"
    assert len(followups(sandbox, "Progress update")) == 1


def test_a_calendar_pass_does_not_undo_what_another_worker_stored_meanwhile(
    sandbox_factory: Any, make_runtime: RuntimeFactory, postgres_url: str
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada", Email=ADA, Stage="Met")
    sandbox: Sandbox = sandbox_factory(world(airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), database_url=postgres_url), sandbox)
    clean_pass(runtime)
    sandbox.add_event(meeting("evtada", "Chat", at(2026, 3, 9, 10), attendees=[guest(ADA)]))
    # While the calendar's pass has read who Ada is but not yet written her meeting, another
    # worker stores her next update (as completing an earlier meeting does)
    stored: list[bool] = []

    def another_worker() -> None:
        with runtime.db.transaction() as session:
            person = find_person(session, ADA, account=runtime.account)
            assert person is not None
            person.next_update_due = dt.date(2026, 5, 1)

    def meanwhile(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "pg_advisory_xact_lock" in statement and not stored:
            stored.append(True)
            worker = threading.Thread(target=another_worker)
            worker.start()
            worker.join()

    sa.event.listen(runtime.db.engine, "before_cursor_execute", meanwhile)
    try:
        sync_source(runtime, "google_calendar")
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", meanwhile)

    assert stored == [True]
    with runtime.db.read() as session:
        person = find_person(session, ADA, account=runtime.account)
        assert person is not None and person.next_update_due == dt.date(2026, 5, 1)
        assert session.query(Meeting).filter(Meeting.event_id == "evtada").count() == 1
