"""Drafts beyond the thank-you, over HTTP: written once per key, and a later one replies in the
thread of the last one written to that person."""

from __future__ import annotations

from typing import Any

from connectors.records import DraftMessage
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import at, world
from workflows.outbox import ASK, NUDGE, last_draft_to, reply_to, write_draft

ADA = "Ada@Analytical.example"
ASKING = DraftMessage(ADA, "Fifteen minutes about UX research?", "Hi Ada,\n...", "ask.1@ft")


def test_a_draft_is_written_once_per_key(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox: Sandbox = sandbox_factory(world())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2))
    first = write_draft(runtime, "ask:1", ASKING, purpose=ASK)
    again = write_draft(runtime, "ask:1", ASKING, purpose=ASK)
    assert first == again
    assert len(sandbox.drafts()) == 1
    assert last_draft_to(runtime, "ada@analytical.example") is not None
    assert last_draft_to(runtime, "grace@cobol.example") is None


def test_a_nudge_replies_in_the_sent_asks_thread(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox: Sandbox = sandbox_factory(world())
    runtime = make_runtime(sandbox, now=at(2026, 3, 2))
    asked = write_draft(runtime, "ask:1", ASKING, purpose=ASK)
    sent = sandbox.mark_draft_sent(asked.draft_id)
    earlier = last_draft_to(runtime, ADA)
    assert earlier is not None and earlier.purpose == ASK
    nudge = reply_to(earlier, DraftMessage(ADA, "", "Hi Ada, a gentle nudge...", "nudge.1@ft"))
    ref = write_draft(runtime, "nudge:1", nudge, purpose=NUDGE)
    assert ref.thread_id == sent["thread_id"]
    (draft,) = [d for d in sandbox.drafts() if not d.get("sent")]
    assert draft["subject"] == "Re: Fifteen minutes about UX research?"
