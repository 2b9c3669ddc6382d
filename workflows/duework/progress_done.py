"""Due work `progress_done`: a Progress update marked Done in Airtable, so the contact's Next
Update Due moves to the day it was done plus their cadence."""

from __future__ import annotations

from workflows.duework.dispatch import Done, Outcome, handles_each
from workflows.progress import progress_done
from workflows.runtime import Runtime
from workflows.store.due import DueItem

KIND = "progress_done"


@handles_each(KIND)
def move_next_update(runtime: Runtime, item: DueItem) -> Outcome:
    """Move the contact's next update; the result is the new date (None: nothing moved)."""
    return Done(progress_done(runtime, int(item.payload["followup_id"])))
