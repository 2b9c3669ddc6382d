"""Milestones over HTTP: synced into the store, they bring a linked contact's update forward
(never later), and the update's draft names them once; a base without the table keeps working."""

from __future__ import annotations

from typing import Any

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import FOLLOW_UPS_SPEC, MEETINGS_SPEC
from connectors.sandbox.fixture import contract_table
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_progress_drafts import ADA, ADA_ID, PROGRESS, ada_met_on_march_2
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
    world,
)
from workflows.store.milestones import milestones_of


def test_a_milestone_linked_to_a_contact_brings_their_update_within_two_days_and_is_told_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = ada_met_on_march_2(sandbox_factory, make_runtime)
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-16"

    # When the user records news that came from Ada's advice, on March 5
    made = sandbox.airtable.create_record(
        "Milestones",
        {"What": "Accepted an offer at Figma", "Date": "2026-03-05", "Contacts": [ADA_ID]},
    )
    clean_pass(runtime, at(2026, 3, 5, 18))

    # Then her next update is due two days later, and its draft tells the news
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-07"
    with runtime.db.read() as session:
        (stored,) = milestones_of(session, ADA_ID, account=runtime.account)
        assert (stored.airtable_record_id, stored.what) == (
            made["id"],
            "Accepted an offer at Figma",
        )
    clean_pass(runtime, at(2026, 3, 7, 9))
    (reminder,) = followups(sandbox, PROGRESS)
    assert reminder["Due"] == "2026-03-07"
    update = next(d for d in drafts(sandbox) if d["subject"].startswith("Re:"))
    body = update["body"].replace("\r\n", "\n")
    assert "I have some news, and your advice played a real part in it:\n" in body
    assert "  - Accepted an offer at Figma (March 5).\n" in body

    # And once the update is done, the next one (a cadence later) does not tell it again
    for record in sandbox.airtable.records("Follow-ups"):
        if record["fields"].get("Kind") == PROGRESS:
            sandbox.airtable.update_record("Follow-ups", record["id"], {"Status": "Done"})
    clean_pass(runtime, at(2026, 3, 8, 9))
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-22"
    clean_pass(runtime, at(2026, 3, 22, 9))
    latest = [d for d in drafts(sandbox) if d["subject"].startswith("Re:")]
    assert len(latest) == 2
    assert "Figma" not in latest[-1]["body"]


def test_news_that_came_while_an_update_was_open_brings_the_next_one_soon_after_it_is_done(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = ada_met_on_march_2(sandbox_factory, make_runtime)
    clean_pass(runtime, at(2026, 3, 16, 9))  # her update is due, its draft written

    # When news linked to Ada comes while that update is still open, and then it is done
    sandbox.airtable.create_record(
        "Milestones", {"What": "Accepted an offer at Figma", "Contacts": [ADA_ID]}
    )
    clean_pass(runtime, at(2026, 3, 17, 9))
    sandbox.airtable.update_record("Follow-ups", reminder_id(sandbox), {"Status": "Done"})
    clean_pass(runtime, at(2026, 3, 18, 9))

    # Then her next update comes within two days, not a cadence later, and tells the news
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-20"
    clean_pass(runtime, at(2026, 3, 20, 9))
    latest = [d for d in drafts(sandbox) if d["subject"].startswith("Re:")][-1]
    assert "Accepted an offer at Figma." in latest["body"]


def test_a_milestone_never_moves_an_update_later(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = ada_met_on_march_2(sandbox_factory, make_runtime)

    sandbox.airtable.create_record(
        "Milestones", {"What": "Starting at Figma", "Date": "2026-04-20", "Contacts": [ADA_ID]}
    )
    clean_pass(runtime, at(2026, 3, 5, 18))

    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-16"


def test_a_base_without_milestones_or_draft_links_keeps_its_reminders_and_drafts_once_fixed(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    fixture = world(
        events=[meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])],
        airtable=[airtable_contact(ADA_ID, Name="Ada Lovelace", Email=ADA, Update_Every_days=14)],
    )
    follow_ups = contract_table(FOLLOW_UPS_SPEC)
    follow_ups["fields"] = [f for f in follow_ups["fields"] if f["name"] != "Draft"]
    fixture["airtable"]["tables"] += [contract_table(MEETINGS_SPEC), follow_ups]
    sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12), init=False), sandbox)
    clean_pass(runtime)
    (thank_you,) = drafts(sandbox)

    # The update falls due on a base made before Milestones and Draft links: the reminder
    # comes as before, and no draft yet
    report = clean_pass(runtime, at(2026, 3, 16, 9))
    assert "Milestones" not in {t["name"] for t in sandbox.airtable.snapshot()["tables"]}
    assert report.reminders == ("Send Ada an update on your progress",)
    assert drafts(sandbox) == [thank_you]

    # When the user runs `airtable init`, the draft comes with a pass soon after
    init_schema(runtime.need_airtable())
    clean_pass(runtime, at(2026, 3, 16, 9, 30))
    assert len(drafts(sandbox)) == 2
    (reminder,) = followups(sandbox, PROGRESS)
    assert reminder["Draft"].startswith("https://mail.google.com/")

    # And a milestone in the table `airtable init` made reaches the store through the same feed
    sandbox.airtable.update_record("Follow-ups", reminder_id(sandbox), {"Status": "Done"})
    sandbox.airtable.create_record(
        "Milestones", {"What": "Shipped my first case study", "Contacts": [ADA_ID]}
    )
    clean_pass(runtime, at(2026, 3, 17, 9))
    assert contact(sandbox, ADA)["Next Update Due"] == "2026-03-19"


def reminder_id(sandbox: Any) -> str:
    """The record id of the one Progress update row."""
    (record,) = [
        r for r in sandbox.airtable.records("Follow-ups") if r["fields"].get("Kind") == PROGRESS
    ]
    return str(record["id"])
