"""Bad data is skipped with a reason, and nothing else is lost."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import sqlalchemy as sa

from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    contact,
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
from workflows.duework import complete_meeting
from workflows.passes import PassReport, run_due, run_once, sync_all
from workflows.store.models import DueWork

ADA = "ada@analytical.example"
BOB = "bob@builder.example"
AFTER = at(2026, 3, 2, 12)


def _pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory, **fixture: Any
) -> tuple[Sandbox, PassReport]:
    sandbox: Sandbox = sandbox_factory(world(**fixture), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    return sandbox, run_once(runtime)


def _skipped(report: PassReport) -> list[str]:
    return [f"{s.record_id}: {s.reason}" for sync in report.syncs for s in sync.skipped]


def test_a_contact_field_of_the_wrong_type_costs_only_that_value(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given the user made Update Every (days) a text field, and typed words into it for Ada
    fields = [
        {"name": f["name"], "type": "singleLineText"} if f["name"] == "Update Every (days)" else f
        for f in CONTACT_FIELDS
    ]
    people = [
        airtable_contact(
            "recAda0000000001", Name="Ada", Email=ADA, Stage="Met", Update_Every_days="two weeks"
        ),
        airtable_contact("recBob0000000001", Name="Bob", Email=BOB, Stage="Met"),
    ]
    events = [
        meeting("evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)]),
        meeting("evtbob", "Chat", at(2026, 3, 2, 10), attendees=[guest(BOB)]),
    ]

    sandbox, report = _pass(
        sandbox_factory, make_runtime, events=events, airtable=people, contact_fields=fields
    )

    # Then both interviews got their drafts, Ada on the default cadence
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 2
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-04-01"
    assert contact(sandbox, BOB)["Next Update Due"] == "2026-04-01"


def test_two_contacts_with_one_email_do_not_lose_the_meeting(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    people = [
        airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met"),
        airtable_contact("recAda0000000002", Name="Ada L.", Email=ADA.upper(), Stage="Met"),
        airtable_contact("recBob0000000001", Name="Bob", Email=BOB, Stage="Met"),
    ]
    events = [
        meeting("evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)]),
        meeting("evtbob", "Chat", at(2026, 3, 2, 10), attendees=[guest(BOB)]),
    ]

    sandbox, report = _pass(sandbox_factory, make_runtime, events=events, airtable=people)

    assert report.ok, report.failures
    assert [line.split(":")[0] for line in _skipped(report)] == ["recAda0000000002"]
    assert "same email" in _skipped(report)[0]
    assert len(drafts(sandbox)) == 2
    assert len(rows(sandbox, "Contacts")) == 3
    assert contact(sandbox, ADA)["Last Met"] == "2026-03-02"
    assert sorted(meetings_by_event(sandbox)) == ["evtada", "evtbob"]
    assert len(followups(sandbox, "Thank-you")) == 2


def test_an_event_without_an_end_and_an_attendee_without_an_email_are_skipped(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    no_end = meeting("evtnoend", "Coffee chat", at(2026, 3, 2, 9), attendees=[guest(ADA)])
    del no_end["end"]
    nameless = meeting("evtbob", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(BOB)])
    nameless["attendees"] = [me(), {"displayName": "Someone on the phone"}, guest(BOB)]

    sandbox: Sandbox = sandbox_factory(world(events=[nameless]), airtable_rate_limit=FAST_AIRTABLE)
    sandbox.add_event(no_end)
    report = run_once(fast(make_runtime(sandbox, now=AFTER), sandbox))

    assert report.ok, report.failures
    assert any("evtnoend" in line for line in _skipped(report)), _skipped(report)
    assert list(meetings_by_event(sandbox)) == ["evtbob"]
    (draft,) = drafts(sandbox)
    assert BOB in str(draft["to"]).lower()


def test_a_template_that_fails_for_one_meeting_holds_back_only_that_one(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Any
) -> None:
    # Given the user's template quotes the first insight, and Bob's chat has none
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_body.txt.j2").write_text("You said: {{ insights[0] }}\n")
    people = [
        airtable_contact("recAda0000000001", Name="Ada", Email=ADA, Stage="Met"),
        airtable_contact("recBob0000000001", Name="Bob", Email=BOB, Stage="Met"),
    ]
    events = [
        meeting(
            "evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)], description="Insight: x"
        ),
        meeting("evtbob", "Chat", at(2026, 3, 2, 10), attendees=[guest(BOB)]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=people), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=AFTER, templates_dir=templates), sandbox)

    # When a pass runs
    report = run_once(runtime)

    # Then Ada's interview got everything, and the failure names the template
    assert "template" in " ".join(report.failures.values())
    (draft,) = drafts(sandbox)
    assert ADA in str(draft["to"]).lower()
    assert meetings_by_event(sandbox)["evtada"]["Status"] == "Completed"
    assert [f["Title"] for f in followups(sandbox, "Thank-you")] == ["Send Ada a thank-you"]
    # and only Bob's completion is still due: Ada's is settled, not run again
    with runtime.db.read() as session:
        rows = session.scalars(sa.select(DueWork).where(DueWork.kind == complete_meeting.KIND))
        done = {row.key.split("@")[0]: row.done_at is not None for row in rows}
    assert done == {"evtada": True, "evtbob": False}

    # When the user fixes the template, Bob's thank-you follows (after the retry delay)
    body = templates / "thank_you_body.txt.j2"
    body.write_text("Thanks! {% for i in insights %}{{ i }}{% endfor %}\n")
    os.utime(body, (body.stat().st_atime + 5, body.stat().st_mtime + 5))
    set_now(runtime, AFTER + dt.timedelta(minutes=20))
    report = run_once(runtime)
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 2
    assert len(followups(sandbox, "Thank-you")) == 2


def test_an_email_typed_with_spaces_capitals_or_mailto_updates_the_users_own_row(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    spellings = {
        "recAda0000000001": f"  {ADA.title()} ",
        "recBob0000000001": f"mailto:{BOB}",
    }
    people = [
        airtable_contact(record_id, Name=record_id[3:6], Email=email, Stage="Met")
        for record_id, email in spellings.items()
    ]
    events = [
        meeting("evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)]),
        meeting("evtbob", "Chat", at(2026, 3, 2, 10), attendees=[guest(BOB)]),
    ]

    sandbox, report = _pass(sandbox_factory, make_runtime, events=events, airtable=people)

    # Both are recognised, thanked at their plain address, and their own rows move on:
    # no second row, and the Email cells still read as the user typed them
    assert report.ok, report.failures
    assert sorted(str(d["to"]).lower() for d in drafts(sandbox)) == [f"['{ADA}']", f"['{BOB}']"]
    contacts = {r["id"]: r["fields"] for r in sandbox.airtable.records("Contacts")}
    assert sorted(contacts) == sorted(spellings)
    for record_id, email in spellings.items():
        assert contacts[record_id]["Email"] == email
        assert contacts[record_id]["Last Met"] == "2026-03-02"


def test_a_contact_row_deleted_since_the_last_pass_is_written_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada", Email=ADA, Stage="Met")
    events = [meeting("evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)])]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    report = PassReport()
    sync_all(runtime, report)  # Ada is known, with her row's id
    # The user deletes Ada's row just after the pass has read the base
    sandbox.airtable.delete_record("Contacts", "recAda0000000001")

    run_due(runtime, report)

    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 1
    assert contact(sandbox, ADA)["Last Met"] == "2026-03-02"
    assert sorted(meetings_by_event(sandbox)) == ["evtada"]
