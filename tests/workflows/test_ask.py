"""The ask, over HTTP: ticking Draft Ask writes one ask draft to that contact, clears the box and
adds an Ask follow-up that links the draft; a contact without an address keeps the box ticked
and the status page says why."""

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
    drafts,
    fast,
    followups,
    world,
)
from workflows.queries.status import status_snapshot
from workflows.runtime import Runtime

ADA = "ada@figma.example"
ABOUT_ME = "I'm a data analyst at a logistics company, exploring a move into UX research."


def ada(**fields: Any) -> dict[str, Any]:
    """Ada, To contact, her box ticked, introduced by Nadia."""
    values: dict[str, Any] = {
        "Name": "Ada Lovelace",
        "Email": ADA,
        "Company": "Figma",
        "Role": "UX Research Lead",
        "Stage": "To contact",
        "Draft Ask": True,
        "Why Them": "your talk on research ops at UXDC",
        "Referred By": ["recNadia00000001"],
    }
    values.update(fields)
    return airtable_contact("recAda0000000001", **values)


NADIA = airtable_contact(
    "recNadia00000001", Name="Nadia Ortiz", Email="nadia@example.org", Stage="Met"
)


def asking(
    sandbox_factory: Any, make_runtime: RuntimeFactory, *contacts: dict[str, Any], **config: Any
) -> tuple[Sandbox, Runtime]:
    """A base with these contacts, and a runtime whose user says who they are."""
    sandbox: Sandbox = sandbox_factory(
        world(airtable=[NADIA, *contacts]), airtable_rate_limit=FAST_AIRTABLE
    )
    config.setdefault("about_me", ABOUT_ME)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), **config), sandbox)
    return sandbox, runtime


def test_a_ticked_box_writes_one_ask_clears_the_box_and_links_it_from_an_ask_follow_up(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada())

    clean_pass(runtime)

    (draft,) = drafts(sandbox)
    assert draft["to"] == [ADA]
    assert draft["subject"] == "Nadia Ortiz suggested I get in touch"
    body = draft["body"].replace("\r\n", "\n")
    assert body.startswith("Hi Ada,\n\nNadia Ortiz suggested I get in touch with you. " + ABOUT_ME)
    assert "because of your talk on research ops at UXDC." in body
    assert "15 to 30 minutes" in body and "UX Research Lead at Figma" in body
    assert body.rstrip().endswith("Sam Seeker")
    row = contact(sandbox, ADA)
    assert "Draft Ask" not in row  # the box is cleared
    assert row["Stage"] == "To contact"  # written, not sent: the user sends it
    (ask,) = followups(sandbox, "Ask")
    assert ask["Title"] == "Send Ada your ask for a short conversation"
    assert ask["Status"] == "Open"
    assert ask["Contact"] == ["recAda0000000001"]
    assert ask["Draft"].startswith("https://mail.google.com/")
    # and the status page lists it with the open follow-ups
    listed = [(i.kind, i.contact) for i in status_snapshot(runtime).open_follow_ups]
    assert ("Ask", "Ada Lovelace") in listed

    # and passes after it make nothing more
    clean_pass(runtime, at(2026, 3, 2, 10))
    clean_pass(runtime, at(2026, 3, 3, 10))
    assert len(sandbox.drafts()) == 1
    assert len(followups(sandbox, "Ask")) == 1


def test_ticking_the_box_again_writes_a_second_ask(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada())
    clean_pass(runtime)

    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Draft Ask": True})
    clean_pass(runtime, at(2026, 3, 9, 9))

    assert len(drafts(sandbox)) == 2
    assert len(followups(sandbox, "Ask")) == 2
    assert "Draft Ask" not in contact(sandbox, ADA)


def test_a_box_unticked_before_the_pass_writes_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada(**{"Draft Ask": False}))
    clean_pass(runtime)
    assert drafts(sandbox) == []
    assert followups(sandbox, "Ask") == []


def test_a_contact_without_an_email_keeps_the_box_ticked_and_the_status_says_why(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada(Email=None))

    clean_pass(runtime)

    assert drafts(sandbox) == []
    (row,) = [
        r["fields"] for r in sandbox.airtable.records("Contacts") if r["id"].startswith("recAda")
    ]
    assert row["Draft Ask"] is True
    errors = " ".join(e.message for e in status_snapshot(runtime).recent_errors)
    assert "Ada Lovelace's Draft Ask is ticked but the contact has no Email" in errors

    # once the address is there, the ask is drafted
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Email": ADA})
    clean_pass(runtime, at(2026, 3, 2, 11))
    (draft,) = drafts(sandbox)
    assert draft["to"] == [ADA]


def test_without_about_me_the_ask_waits_and_says_what_to_set(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada(), about_me="")

    clean_pass(runtime)

    assert drafts(sandbox) == []
    assert contact(sandbox, ADA)["Draft Ask"] is True
    assert "FOLLOWTHROUGH_ABOUT_ME is not set" in " ".join(status_snapshot(runtime).steps_off)


def test_an_unusable_address_is_said_once_fixed_the_ask_is_drafted(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = asking(sandbox_factory, make_runtime, ada(Email="ada at figma.example"))

    clean_pass(runtime)

    assert drafts(sandbox) == []
    errors = " ".join(e.message for e in status_snapshot(runtime).recent_errors)
    assert "'ada at figma.example' is not one plain email address; fix it in Airtable" in errors

    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Email": ADA})
    clean_pass(runtime, at(2026, 3, 2, 11))
    (draft,) = drafts(sandbox)
    assert draft["to"] == [ADA]
