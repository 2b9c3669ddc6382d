"""Edits the user's other tools make through the API, as the same Airtable user as
Followthrough's token (their scripts, Zapier, Make), are the user's edits and are applied."""

from __future__ import annotations

from typing import Any

from pyairtable import Api

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
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

LIN = "lin@studio.example"


def _script(sandbox: Sandbox) -> Any:
    """The user's own script: the same token as Followthrough's, so the same Airtable user."""
    api = Api(sandbox.airtable_token, endpoint_url=sandbox.url)
    return api.table(sandbox.airtable_base_id, "Contacts")


def test_a_contact_a_script_adds_qualifies_their_meeting(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sync = meeting("evt-lin", "Catch-up with Lin", at(2026, 3, 2, 10), attendees=[guest(LIN)])
    sandbox: Sandbox = sandbox_factory(world(events=[sync]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    clean_pass(runtime)  # the feed starts; Lin is nobody yet, the title is no interview's

    _script(sandbox).create({"Name": "Lin Park", "Email": LIN, "Stage": "Scheduled"})
    clean_pass(runtime, at(2026, 3, 2, 9, 30))
    clean_pass(runtime, at(2026, 3, 2, 11))

    assert [d["to"] for d in drafts(sandbox)] == [[LIN]]
    assert contact(sandbox, LIN)["Stage"] == "Keeping in touch"


def test_a_stage_a_script_sets_on_a_row_followthrough_wrote_is_kept(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada", Email="ada@x.example", Stage="Scheduled")
    chat = meeting("evt-ada", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest("ada@x.example")])
    fixture = world(events=[chat], airtable=[ada])
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 11)), sandbox)
    clean_pass(runtime)  # Followthrough writes Ada's row: Met, Last Met, Next Update Due
    assert contact(sandbox, "ada@x.example")["Stage"] == "Keeping in touch"

    _script(sandbox).update("recAda0000000001", {"Stage": "Inactive"})
    clean_pass(runtime, at(2026, 3, 2, 12))
    fresh = fast(make_runtime(sandbox, now=at(2026, 5, 2, 12), init=False), sandbox)
    clean_pass(fresh)  # two months on, in a new process: an Inactive contact is not reminded

    assert contact(sandbox, "ada@x.example")["Stage"] == "Inactive"
    kinds = [f.get("Kind") for f in followups(sandbox)]
    assert "Progress update" not in kinds
