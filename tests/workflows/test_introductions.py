"""Introductions over HTTP: a meeting with someone a contact introduced completes, so the
introducer gets a short thank-you draft and a `Thank introducer` follow-up linking it, once;
their next progress update tells how the talk went."""

from __future__ import annotations

from typing import Any

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
    world,
)
from workflows.runtime import Runtime

GRACE, GRACE_ID = "grace@cobol.example", "recGrace00000001"
ADA, ADA_ID = "ada@analytical.example", "recAda0000000001"
NOTES = "Insight: start with the data model, then the screens"


def grace_introduced_ada(
    sandbox_factory: Any, make_runtime: RuntimeFactory, **ada: Any
) -> tuple[Sandbox, Runtime]:
    grace = airtable_contact(GRACE_ID, Name="Grace Hopper", Email=GRACE, Update_Every_days=30)
    ada_row = airtable_contact(
        ADA_ID, Name="Ada Lovelace", Email=ADA, **{"Referred By": [GRACE_ID], **ada}
    )
    events = [
        meeting("evt0", "Coffee chat", at(2026, 2, 16, 10), attendees=[guest(GRACE)]),
        meeting(
            "evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES
        ),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[grace, ada_row]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 2, 16, 12)), sandbox)
    clean_pass(runtime)
    return sandbox, runtime


def _to(sandbox: Sandbox, email: str) -> list[dict[str, Any]]:
    return [d for d in drafts(sandbox) if d["to"] == [email]]


def test_the_introducer_is_thanked_once_naming_whom_and_one_thing_learned(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = grace_introduced_ada(sandbox_factory, make_runtime)

    clean_pass(runtime, at(2026, 3, 2, 12))
    clean_pass(runtime, at(2026, 3, 2, 13))

    note = next(d for d in _to(sandbox, GRACE) if "introducing" in d["subject"])
    assert note["subject"] == "Thank you for introducing me to Ada"
    body = note["body"].replace("\r\n", "\n")
    assert body.startswith("Hi Grace,\n\n")
    assert "Ada Lovelace. We talked today. One thing I took away: " in body
    assert "Start with the data model, then the screens." in body
    assert body.rstrip().endswith("Sam Seeker")
    (thanks,) = followups(sandbox, "Thank introducer")
    assert thanks["Title"] == "Thank Grace for introducing you to Ada"
    assert (thanks["Contact"], thanks["Due"], thanks["Status"]) == (
        [GRACE_ID],
        "2026-03-03",
        "Open",
    )
    assert thanks["Draft"].startswith("https://mail.google.com/")
    assert len([d for d in _to(sandbox, GRACE) if "introducing" in d["subject"]]) == 1


def test_the_introducers_next_update_tells_how_the_conversation_went(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = grace_introduced_ada(sandbox_factory, make_runtime)
    clean_pass(runtime, at(2026, 3, 2, 12))

    clean_pass(runtime, at(2026, 3, 18, 9))

    update = next(d for d in _to(sandbox, GRACE) if d["subject"].startswith("Re: "))
    assert update["subject"] == "Re: Thank you for introducing me to Ada"
    body = update["body"].replace("\r\n", "\n")
    assert (
        "Thanks to your introduction, I talked with Ada Lovelace on Monday, March 2. "
        "One thing I took away: Start with the data model, then the screens." in body
    )


def test_no_thanks_without_a_referred_by(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = grace_introduced_ada(sandbox_factory, make_runtime, **{"Referred By": []})

    clean_pass(runtime, at(2026, 3, 2, 12))

    assert followups(sandbox, "Thank introducer") == []
    assert [d["subject"] for d in _to(sandbox, GRACE)] == ["Thank you, Grace!"]
