"""Progress updates as drafts, through whole passes over HTTP: the draft replies in the thread
of the last message Followthrough drafted to the contact, tells what is new, and its
follow-up links it; written once whatever is retried."""

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
    google_person,
    guest,
    meeting,
    world,
)
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
ADA_ID = "recAda0000000001"
PROGRESS = "Progress update"
NOTES = (
    "Insight: portfolio case studies should show the messy middle\n"
    "TODO: send Ada my write-up of the Sidekiq migration"
)


def ada_met_on_march_2(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> tuple[Sandbox, Runtime]:
    fields = {
        "Name": "Ada Lovelace",
        "Email": ADA,
        "Company": "Analytical Engines",
        "Stage": "Met",
        "Update_Every_days": 14,
    }
    event = meeting(
        "evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES
    )
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[airtable_contact(ADA_ID, **fields)]),
        airtable_rate_limit=FAST_AIRTABLE,
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    return sandbox, runtime


def _thank_you_sent(sandbox: Sandbox) -> dict[str, str]:
    (thank_you,) = drafts(sandbox)
    return sandbox.mark_draft_sent(thank_you["id"])


def _done(sandbox: Sandbox, kind: str) -> None:
    for record in sandbox.airtable.records("Follow-ups"):
        if record["fields"].get("Kind") == kind and record["fields"]["Status"] == "Open":
            sandbox.airtable.update_record("Follow-ups", record["id"], {"Status": "Done"})


def test_a_due_update_is_a_reply_in_the_thank_yous_thread_linked_from_its_follow_up(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = ada_met_on_march_2(sandbox_factory, make_runtime)
    sent = _thank_you_sent(sandbox)
    _done(sandbox, "Action item")  # the user sent the write-up

    clean_pass(runtime, at(2026, 3, 16, 9))

    (update,) = drafts(sandbox)
    assert update["thread_id"] == sent["thread_id"]
    assert update["subject"] == "Re: Thank you, Ada!"
    assert update["to"] == [ADA]
    body = update["body"].replace("\r\n", "\n")
    assert body.startswith("Hi Ada,\n\n")
    assert "Portfolio case studies should show the messy middle." in body
    assert (
        "I've also done what I said I'd do: send you my write-up of the Sidekiq migration." in body
    )
    assert body.rstrip().endswith("Sam Seeker")
    (reminder,) = followups(sandbox, PROGRESS)
    assert update["id"] in reminder["Draft"] or update["message_id"] in reminder["Draft"]

    clean_pass(runtime, at(2026, 3, 16, 12))
    assert len(drafts(sandbox)) == 1


def test_with_no_news_the_update_is_a_short_warm_check_in(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = ada_met_on_march_2(sandbox_factory, make_runtime)
    _thank_you_sent(sandbox)

    clean_pass(runtime, at(2026, 3, 16, 9))

    (update,) = drafts(sandbox)
    body = update["body"].replace("\r\n", "\n")
    assert (
        "Thanks again for talking with me on Monday, March 2; I wanted to check in and let you "
        "know where things stand.\n\nI keep coming back to what you told me:\n"
        "  - Portfolio case studies should show the messy middle.\n\n"
        "I'm still working on my next steps, and I'll write again when there's news." in body
    )
    assert "done what I said" not in body


def test_the_update_replies_in_the_thread_of_a_thank_you_sent_to_another_of_their_addresses(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's invite used her personal address, which Google Contacts knows as hers
    personal = "ada.lovelace@gmail.example"
    row = airtable_contact(ADA_ID, Name="Ada Lovelace", Email=ADA, Update_Every_days=14)
    event = meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(personal)])
    people = [google_person("people/c1", "Ada Lovelace", ADA, personal)]
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[row], contacts=people), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox)
    clean_pass(runtime)
    (thank_you,) = drafts(sandbox)
    assert thank_you["to"] == [personal]
    sent = sandbox.mark_draft_sent(thank_you["id"])

    # When her update falls due
    clean_pass(runtime, at(2026, 3, 16, 9))

    # Then it answers that thread
    (update,) = drafts(sandbox)
    assert update["thread_id"] == sent["thread_id"]
    assert update["subject"] == "Re: Thank you, Ada!"
