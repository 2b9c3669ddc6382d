"""Due work `milestone_news`: a milestone linked to contacts was added (or its date or contacts
changed), so their next updates come within two days (`workflows.milestones`)."""

from __future__ import annotations

from workflows import steps
from workflows.duework.dispatch import Done, NotDue, Outcome, handles_each
from workflows.milestones import KIND, bring_updates_forward
from workflows.runtime import Runtime
from workflows.store.due import DueItem

__all__ = ["KIND", "bring_forward"]


@handles_each(KIND)
def bring_forward(runtime: Runtime, item: DueItem) -> Outcome:
    """Bring the linked contacts' updates forward; the result lists whose moved."""
    off = steps.step_off(runtime, steps.MILESTONES)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    return Done(bring_updates_forward(runtime, str(item.payload["milestone"])))
