"""Due work `thank_introducer`: a meeting with someone a contact introduced completed, so the
introducer gets a thank-you draft and a `Thank introducer` follow-up (`workflows.introductions`)."""

from __future__ import annotations

from workflows import steps
from workflows.duework.dispatch import Done, NotDue, Outcome, Skipped, handles_each
from workflows.introductions import KIND, thank_introducer
from workflows.runtime import Runtime
from workflows.store.due import DueItem

__all__ = ["KIND", "thank"]


@handles_each(KIND)
def thank(runtime: Runtime, item: DueItem) -> Outcome:
    """Thank the introducer once the base can hold the follow-up; the result is what was written."""
    off = steps.step_off(runtime, steps.INTRODUCTIONS)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    done = thank_introducer(runtime, int(item.payload["meeting_id"]))
    return Skipped(done.skipped, done) if done.skipped else Done(done)
