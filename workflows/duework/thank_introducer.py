"""Due work `thank_introducer`: a meeting with someone a contact introduced completed, so the
introducer gets a thank-you draft and a `Thank introducer` follow-up (`workflows.introductions`)."""

from __future__ import annotations

from workflows.duework.dispatch import Done, Outcome, Skipped
from workflows.duework.step_gate import handles_each_on
from workflows.introductions import KIND, thank_introducer
from workflows.runtime import Runtime
from workflows.steps import INTRODUCTIONS
from workflows.store.due import DueItem

__all__ = ["KIND", "thank"]


@handles_each_on(KIND, INTRODUCTIONS)
def thank(runtime: Runtime, item: DueItem) -> Outcome:
    """Thank the introducer; the result is what was written, or why not."""
    done = thank_introducer(runtime, int(item.payload["meeting_id"]))
    return Skipped(done.skipped, done) if done.skipped else Done(done)
