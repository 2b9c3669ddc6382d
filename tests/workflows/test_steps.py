"""Each new step is off, saying why and what to do, while the user's base or settings lack what
it needs, and turns on soon after the user fixes the base (over HTTP, against the sandbox)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import FOLLOW_UPS_SPEC, MEETINGS_SPEC
from connectors.sandbox.fixture import CONTACT_FIELDS, contract_table
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import at, set_now, world
from workflows.steps import ASK, BRIEF, NUDGE, step_off, steps_off

NEW_CONTACT_FIELDS = {"Draft Ask", "Why Them", "Referred By"}
ABOUT_ME = "I'm a product designer moving into UX research."


def _old_base() -> dict[str, Any]:
    """A base made before the ask existed: Contacts without its fields, Follow-ups' Kind
    without its new choices, no Milestones table."""
    fixture = world(
        contact_fields=[f for f in CONTACT_FIELDS if f["name"] not in NEW_CONTACT_FIELDS]
    )
    follow_ups = contract_table(FOLLOW_UPS_SPEC)
    follow_ups["fields"] = [f for f in follow_ups["fields"] if f["name"] != "Draft"]
    for field in follow_ups["fields"]:
        if field["name"] == "Kind":
            field["options"]["choices"] = [{"name": "Thank-you"}, {"name": "Action item"}]
    fixture["airtable"]["tables"] += [contract_table(MEETINGS_SPEC), follow_ups]
    return fixture


def test_a_step_is_off_with_what_to_do_until_the_base_has_what_it_needs(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox: Sandbox = sandbox_factory(_old_base())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2), init=False, about_me=ABOUT_ME)

    reason = step_off(runtime, ASK)
    assert reason is not None and reason.startswith("Ask drafts are off: ")
    assert "Contacts.Draft Ask, Contacts.Why Them, Follow-ups.Draft" in reason
    assert "run `followthrough airtable init`" in reason
    assert "Follow-ups.Kind choice Ask: add it in Airtable" in reason
    assert set(steps_off(runtime)) >= {"Ask drafts", "Nudges", "Briefs", "Milestones"}

    init_schema(runtime.need_airtable())  # the user runs `airtable init`: fields, no choices
    set_now(runtime, at(2026, 3, 2) + dt.timedelta(minutes=11))
    reason = step_off(runtime, BRIEF)
    assert reason == (
        "Briefs are off: the base lacks Follow-ups.Kind choice Prepare: add it in Airtable "
        "(the API cannot add choices to an existing field)"
    )


def test_a_complete_base_is_trusted_for_hours_without_reading_its_schema_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox: Sandbox = sandbox_factory(world())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2), about_me=ABOUT_ME)
    assert step_off(runtime, ASK) is None and step_off(runtime, NUDGE) is None
    before = len(sandbox.requests_log())
    set_now(runtime, at(2026, 3, 2, 15))
    assert step_off(runtime, ASK) is None
    assert len(sandbox.requests_log()) == before
    assert steps_off(runtime) == {}


def test_asks_are_off_without_about_me(sandbox_factory: Any, make_runtime: RuntimeFactory) -> None:
    sandbox: Sandbox = sandbox_factory(world())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2))
    reason = step_off(runtime, ASK)
    assert reason is not None and "FOLLOWTHROUGH_ABOUT_ME is not set" in reason
    assert step_off(runtime, NUDGE) is None


def test_the_status_snapshot_says_which_steps_are_off(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    from workflows.queries.status import status_snapshot

    sandbox: Sandbox = sandbox_factory(_old_base())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2), init=False, about_me=ABOUT_ME)
    assert status_snapshot(runtime).steps_off == ()  # nothing known before a step looked
    step_off(runtime, ASK)
    assert any(r.startswith("Ask drafts are off: ") for r in status_snapshot(runtime).steps_off)
