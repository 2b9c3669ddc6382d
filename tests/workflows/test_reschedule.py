"""A cancelled interview, over HTTP: a Reschedule follow-up a day later unless another meeting
with the same person replaced it; once, however many passes; and from Airtable's Status too."""

from __future__ import annotations

from typing import Any

from connectors.airtable.tables import FOLLOW_UPS_SPEC, MEETINGS_SPEC
from connectors.sandbox.fixture import contract_table
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meeting_record_id,
    meetings_by_event,
    world,
)
from workflows.runtime import Runtime
from workflows.steps import steps_off
from workflows.store import due

ADA = "ada@analytical.example"
TITLE = "Offer Ada a new time: your conversation on Thursday, March 5 was cancelled"


def _world(sandbox_factory: Any, make_runtime: RuntimeFactory) -> tuple[Sandbox, Runtime]:
    """Ada's interview on March 5 at 10:00, known on March 2."""
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Scheduled")
    event = meeting("evt1", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    clean_pass(runtime)
    return sandbox, runtime


def test_a_cancelled_interview_gets_one_reschedule_follow_up_a_day_later(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)

    # When Ada cancels on March 3 at noon
    sandbox.cancel_event("evt1")
    clean_pass(runtime, at(2026, 3, 3, 12))
    clean_pass(runtime, at(2026, 3, 4, 11))
    assert followups(sandbox, "Reschedule") == []  # not a day yet: a new time may come

    # Then a day after the cancellation, one Reschedule follow-up, linking Ada and the meeting
    clean_pass(runtime, at(2026, 3, 4, 12, 30))
    clean_pass(runtime, at(2026, 3, 5, 12))
    (follow_up,) = followups(sandbox, "Reschedule")
    assert follow_up["Title"] == TITLE
    assert follow_up["Due"] == "2026-03-04"
    assert follow_up["Contact"] == ["recAda0000000001"]
    meeting_row = meetings_by_event(sandbox)["evt1"]
    assert meeting_row["Status"] == "Cancelled"
    assert follow_up["Meeting"] == [meeting_record_id(sandbox, "evt1")]
    assert drafts(sandbox) == []  # a cancelled meeting is thanked for nothing


def test_a_new_meeting_with_them_within_a_day_means_no_reschedule(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    sandbox.cancel_event("evt1")
    clean_pass(runtime, at(2026, 3, 3, 12))

    # When the user books Ada again the same evening, for the next week
    sandbox.add_event(meeting("evt2", "Coffee chat", at(2026, 3, 10, 10), attendees=[guest(ADA)]))
    clean_pass(runtime, at(2026, 3, 3, 18))
    clean_pass(runtime, at(2026, 3, 4, 13))

    # Then no Reschedule follow-up
    assert followups(sandbox, "Reschedule") == []


def test_cancelled_in_airtable_is_cancelled_everywhere_it_matters(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)

    # When the user sets the meeting's Status to Cancelled in Airtable (the event stays)
    sandbox.airtable.update_record(
        "Meetings", meeting_record_id(sandbox, "evt1"), {"Status": "Cancelled"}
    )
    clean_pass(runtime, at(2026, 3, 3, 12))

    # Then the day after: a Reschedule follow-up; and after the meeting's time, no thank-you
    clean_pass(runtime, at(2026, 3, 4, 12, 30))
    clean_pass(runtime, at(2026, 3, 5, 12))
    assert [f["Title"] for f in followups(sandbox, "Reschedule")] == [TITLE]
    assert drafts(sandbox) == []
    assert followups(sandbox, "Thank-you") == []
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Cancelled"


def test_an_interview_first_seen_declined_gets_a_reschedule_but_an_old_one_does_not(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada declined Thursday's interview before Followthrough first looked, and Bob
    # declined one weeks ago
    bob_email = "bob@builder.example"
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA)
    bob = airtable_contact("recBob0000000001", Name="Bob Builder", Email=bob_email)
    events = [
        meeting(
            "evt1", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA, response="declined")]
        ),
        meeting(
            "evt2",
            "Coffee chat",
            at(2026, 2, 9, 10),
            attendees=[guest(bob_email, response="declined")],
        ),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada, bob]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)

    # When Followthrough first syncs, and a day goes by
    clean_pass(runtime)
    clean_pass(runtime, at(2026, 3, 3, 10))

    # Then Ada's meeting is recorded as Cancelled and she gets a Reschedule; Bob nothing
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Cancelled"
    assert "evt2" not in meetings_by_event(sandbox)
    assert [f["Title"] for f in followups(sandbox, "Reschedule")] == [TITLE]
    assert drafts(sandbox) == []


def test_a_base_without_the_reschedule_kind_keeps_the_check_waiting_without_failing(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a base whose Follow-ups Kind lacks the Reschedule choice
    fixture = world(
        events=[meeting("evt1", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)])],
        airtable=[airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA)],
    )
    follow_ups = contract_table(FOLLOW_UPS_SPEC)
    for field in follow_ups["fields"]:
        if field["name"] == "Kind":
            field["options"]["choices"] = [
                c for c in field["options"]["choices"] if c["name"] != "Reschedule"
            ]
    fixture["airtable"]["tables"] += [contract_table(MEETINGS_SPEC), follow_ups]
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), init=False), sandbox)
    clean_pass(runtime)

    # When Ada cancels and a day goes by: the passes go through, and the step says why it waits
    sandbox.cancel_event("evt1")
    clean_pass(runtime, at(2026, 3, 3, 12))
    clean_pass(runtime, at(2026, 3, 4, 13))
    assert followups(sandbox, "Reschedule") == []
    assert "Follow-ups.Kind choice Reschedule" in steps_off(runtime)["Reschedule follow-ups"]
    # and the check is kept, to run once the base has the choice
    with runtime.db.read() as session:
        assert [item.kind for item in due.pending(session, kinds=["reschedule"])] == ["reschedule"]
