"""Due work `milestone_news`: a milestone linked to contacts was added (or its date or contacts
changed), so their next updates come within two days (`workflows.milestones`)."""

from __future__ import annotations

from workflows.duework.dispatch import Done, Outcome
from workflows.duework.step_gate import handles_each_on
from workflows.milestones import KIND, bring_updates_forward
from workflows.runtime import Runtime
from workflows.steps import MILESTONES
from workflows.store.due import DueItem

__all__ = ["KIND", "bring_forward"]


@handles_each_on(KIND, MILESTONES)
def bring_forward(runtime: Runtime, item: DueItem) -> Outcome:
    """Bring the linked contacts' updates forward; the result lists whose moved."""
    return Done(bring_updates_forward(runtime, str(item.payload["milestone"])))
