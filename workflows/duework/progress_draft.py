"""Due work `progress_draft`: a Progress update follow-up was made, so its draft is written to
the contact and linked from it (`workflows.progress_drafts`)."""

from __future__ import annotations

from workflows.duework.dispatch import Done, NotDue, Outcome, Skipped
from workflows.duework.step_gate import handles_each_on
from workflows.progress_drafts import KIND, write_update_draft
from workflows.runtime import Runtime
from workflows.steps import PROGRESS_DRAFTS, RECHECK_INCOMPLETE
from workflows.store.due import DueItem

__all__ = ["KIND", "write_draft"]


@handles_each_on(KIND, PROGRESS_DRAFTS)
def write_draft(runtime: Runtime, item: DueItem) -> Outcome:
    """Write the draft and link it; the result says what was written."""
    done = write_update_draft(runtime, str(item.payload["followup"]))
    if done.waiting:  # its follow-up's row is not in Airtable yet
        return NotDue(runtime.now() + RECHECK_INCOMPLETE, done)
    return Skipped(done.skipped, done) if done.skipped else Done(done)
