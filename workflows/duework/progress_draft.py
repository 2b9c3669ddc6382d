"""Due work `progress_draft`: a Progress update follow-up was made, so its draft is written to
the contact and linked from it (`workflows.progress_drafts`)."""

from __future__ import annotations

from workflows import steps
from workflows.duework.dispatch import Done, NotDue, Outcome, Skipped, handles_each
from workflows.progress_drafts import KIND, write_update_draft
from workflows.runtime import Runtime
from workflows.store.due import DueItem

__all__ = ["KIND", "write_draft"]


@handles_each(KIND)
def write_draft(runtime: Runtime, item: DueItem) -> Outcome:
    """Write the draft once the base can link it; the result says what was written."""
    off = steps.step_off(runtime, steps.PROGRESS_DRAFTS)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    done = write_update_draft(runtime, str(item.payload["followup"]))
    if done.waiting:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, done)
    if done.skipped:
        return Skipped(done.skipped, done)
    return Done(done)
