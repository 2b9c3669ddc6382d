"""The nudge, over HTTP: an ask sent (seen with the gmail.metadata scope) or a contact moved to
Requested gets one polite nudge FOLLOWTHROUGH_NUDGE_AFTER_DAYS later, in the ask's thread when
there is one; a reply or a meeting on the calendar moves the contact to Scheduled instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_ask import ADA, NADIA, ada
from tests.workflows.world import (
    FAST_AIRTABLE,
    at,
    clean_pass,
    contact,
    drafts,
    fast,
    followups,
    grant_mail_scope,
    guest,
    meeting,
    world,
)
from workflows.runtime import Runtime

ABOUT_ME = "I'm a data analyst exploring a move into UX research."


def _runtime(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    *contacts: dict[str, Any],
    scope: bool = True,
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> tuple[Sandbox, Runtime]:
    sandbox: Sandbox = sandbox_factory(
        world(airtable=[NADIA, *contacts], events=list(events)), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), about_me=ABOUT_ME), sandbox)
    if scope:
        grant_mail_scope(runtime, sandbox, tmp_path)
    return sandbox, runtime


def _sent_ask(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> tuple[Sandbox, Runtime, dict[str, str]]:
    """Ada's ask drafted on March 2 at 9:00 and sent by the user at 15:00 (UTC)."""
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, tmp_path, ada())
    clean_pass(runtime)
    (draft,) = drafts(sandbox)
    sent = sandbox.mark_draft_sent(draft["id"], "2026-03-02T15:00:00Z")
    clean_pass(runtime, at(2026, 3, 2, 11))
    return sandbox, runtime, sent


def test_a_sent_ask_moves_the_contact_to_requested_and_is_nudged_once_a_week_later(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime, sent = _sent_ask(sandbox_factory, make_runtime, tmp_path)

    assert contact(sandbox, ADA)["Stage"] == "Requested"
    (ask,) = followups(sandbox, "Ask")
    assert ask["Status"] == "Done"

    # six days later there is no nudge yet
    clean_pass(runtime, at(2026, 3, 9, 9))
    assert drafts(sandbox) == []

    # seven days after it was sent, with no reply and no meeting, one nudge in its thread
    clean_pass(runtime, at(2026, 3, 9, 11))
    (nudge,) = drafts(sandbox)
    assert nudge["thread_id"] == sent["thread_id"]
    assert nudge["subject"] == "Re: Nadia Ortiz suggested I get in touch"
    body = nudge["body"].replace("\r\n", "\n")
    assert body.startswith("Hi Ada,\n\nI")
    assert "my earlier" in body and "15 to 30 minutes" in body
    assert "UX Research Lead at Figma" in body
    (row,) = followups(sandbox, "Nudge")
    assert row["Title"] == "Send Ada a gentle follow-up"
    assert row["Draft"].startswith("https://mail.google.com/")
    assert row["Contact"] == ["recAda0000000001"]

    # and never a second one
    clean_pass(runtime, at(2026, 3, 16, 11))
    clean_pass(runtime, at(2026, 3, 30, 11))
    assert len(drafts(sandbox)) == 1
    assert len(followups(sandbox, "Nudge")) == 1


def test_a_reply_moves_the_contact_to_scheduled_and_there_is_no_nudge(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime, sent = _sent_ask(sandbox_factory, make_runtime, tmp_path)

    sandbox.receive_reply(
        sent["thread_id"], "Ada <Ada@Figma.example>", "Happy to!", "2026-03-04T09:00:00Z"
    )
    clean_pass(runtime, at(2026, 3, 4, 10))
    assert contact(sandbox, ADA)["Stage"] == "Scheduled"

    clean_pass(runtime, at(2026, 3, 10, 10))
    assert drafts(sandbox) == []
    assert followups(sandbox, "Nudge") == []


def test_moved_to_requested_by_hand_is_nudged_in_a_message_of_its_own(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    asked_by_hand = ada(**{"Draft Ask": False})
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, tmp_path, asked_by_hand, scope=False)
    clean_pass(runtime)
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Requested"})
    clean_pass(runtime, at(2026, 3, 3, 9))

    clean_pass(runtime, at(2026, 3, 10, 10))

    (nudge,) = drafts(sandbox)
    assert nudge["subject"] == "Following up: a short conversation about your work at Figma"
    body = nudge["body"].replace("\r\n", "\n")
    assert ABOUT_ME in body and "my earlier" not in body
    assert len(followups(sandbox, "Nudge")) == 1
    clean_pass(runtime, at(2026, 3, 20, 10))
    assert len(drafts(sandbox)) == 1


def test_a_meeting_on_the_calendar_moves_requested_to_scheduled_and_never_met_back(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    grace = "grace@cobol.example"
    met = dict(ada(**{"Draft Ask": False, "Stage": "Met", "Email": grace}))
    met["id"] = "recGrace00000001"
    met["fields"]["Name"] = "Grace Hopper"
    events = [
        meeting("evt-ada", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA)]),
        meeting("evt-grace", "Coffee chat", at(2026, 3, 6, 10), attendees=[guest(grace)]),
    ]
    requested = ada(**{"Draft Ask": False, "Stage": "Requested"})
    sandbox, runtime = _runtime(
        sandbox_factory, make_runtime, tmp_path, requested, met, scope=False, events=events
    )

    clean_pass(runtime)

    assert contact(sandbox, ADA)["Stage"] == "Scheduled"
    assert contact(sandbox, grace)["Stage"] == "Met"
    clean_pass(runtime, at(2026, 3, 4, 9))
    clean_pass(runtime, at(2026, 3, 10, 9))
    assert [d for d in drafts(sandbox) if "Following up" in d["subject"]] == []
    assert followups(sandbox, "Nudge") == []


def test_an_invitation_they_declined_is_an_answer_and_is_not_nudged(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    declined = meeting(
        "evt-ada", "Coffee chat", at(2026, 3, 5, 10), attendees=[guest(ADA, response="declined")]
    )
    requested = ada(**{"Draft Ask": False, "Stage": "Requested"})
    sandbox, runtime = _runtime(
        sandbox_factory, make_runtime, tmp_path, requested, scope=False, events=[declined]
    )

    clean_pass(runtime)
    clean_pass(runtime, at(2026, 3, 10, 9))

    assert drafts(sandbox) == []
    assert followups(sandbox, "Nudge") == []
    assert contact(sandbox, ADA)["Stage"] == "Requested"  # declining is no meeting


def test_contacts_already_requested_when_the_base_is_first_read_are_not_nudged(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada at Requested since before Followthrough was installed (asked when, unknown)
    requested = ada(**{"Draft Ask": False, "Stage": "Requested"})
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, tmp_path, requested, scope=False)

    # When weeks pass, nothing floods the drafts
    clean_pass(runtime)
    clean_pass(runtime, at(2026, 3, 20, 9))
    assert drafts(sandbox) == []

    # But once the user moves her to Requested again (a new ask), the nudge follows
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "To contact"})
    clean_pass(runtime, at(2026, 3, 20, 10))
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Requested"})
    clean_pass(runtime, at(2026, 3, 20, 11))
    clean_pass(runtime, at(2026, 3, 27, 12))
    assert len(followups(sandbox, "Nudge")) == 1


def test_with_gmails_history_expired_the_ask_threads_are_read_instead(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, tmp_path, ada())
    clean_pass(runtime)
    (draft,) = drafts(sandbox)
    sandbox.mark_draft_sent(draft["id"], "2026-03-02T15:00:00Z")
    sandbox.expire_gmail_history()

    clean_pass(runtime, at(2026, 3, 2, 16))

    assert contact(sandbox, ADA)["Stage"] == "Requested"
    (ask,) = followups(sandbox, "Ask")
    assert ask["Status"] == "Done"


def test_an_ask_left_unsent_is_not_replied_to_the_nudge_is_a_message_of_its_own(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada's ask drafted but never sent, and Ada moved to Requested (asked another way)
    sandbox, runtime = _runtime(sandbox_factory, make_runtime, tmp_path, ada(), scope=False)
    clean_pass(runtime)
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Requested"})
    clean_pass(runtime, at(2026, 3, 2, 12))

    # When the nudge falls due
    clean_pass(runtime, at(2026, 3, 9, 13))

    # Then it does not answer a message Ada never received
    nudge = next(d for d in drafts(sandbox) if d["subject"].startswith("Following up"))
    assert "my earlier" not in nudge["body"]
    assert len(followups(sandbox, "Nudge")) == 1


@pytest.mark.services
def test_an_ask_and_a_nudge_on_postgres(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path, postgres_url: str
) -> None:
    # Given Ada (Draft Ask ticked) and Grace (invited, declined), on PostgreSQL
    grace = "grace@cobol.example"
    declined = meeting(
        "evt-grace",
        "Coffee chat",
        at(2026, 3, 5, 10),
        attendees=[guest(grace, response="declined")],
    )
    other = dict(ada(**{"Draft Ask": False, "Stage": "To contact", "Email": grace}))
    other["id"] = "recGrace00000001"
    other["fields"]["Name"] = "Grace Hopper"
    sandbox: Sandbox = sandbox_factory(
        world(airtable=[NADIA, ada(), other], events=[declined]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(
        make_runtime(sandbox, now=at(2026, 3, 2, 9), about_me=ABOUT_ME, database_url=postgres_url),
        sandbox,
    )

    # When the ask is drafted and both are moved to Requested, and a week passes
    clean_pass(runtime)
    for record_id in ("recAda0000000001", "recGrace00000001"):
        sandbox.airtable.update_record("Contacts", record_id, {"Stage": "Requested"})
    clean_pass(runtime, at(2026, 3, 2, 12))
    clean_pass(runtime, at(2026, 3, 9, 13))

    # Then Ada has her ask and one nudge; Grace, who declined an invitation, no nudge
    to_ada = [d for d in drafts(sandbox) if d["to"] == [ADA]]
    assert len(to_ada) == 2
    assert [d for d in drafts(sandbox) if d["to"] == [grace]] == []
    assert len(followups(sandbox, "Ask")) == 1
    assert len(followups(sandbox, "Nudge")) == 1
