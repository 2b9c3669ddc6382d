"""Due work of a step the user's base may not allow yet (`workflows.steps`): while the step is
off its work waits, never dropped, and runs once the user has fixed the base.

    @handles_each_on(KIND, steps.MILESTONES)
    def bring_forward(runtime, item) -> Outcome: ...   # runs only while the step is on
"""

from __future__ import annotations

from collections.abc import Callable

from workflows.duework.dispatch import ItemHandler, NotDue, Outcome, handles_each
from workflows.runtime import Runtime
from workflows.steps import RECHECK_INCOMPLETE, Step, step_off
from workflows.store.due import DueItem


def handles_each_on(kind: str, step: Step) -> Callable[[ItemHandler], ItemHandler]:
    """Register the handler of `kind`, run one item at a time while `step` is on; while it is
    off each item is not due until the base is looked at again (the reason is its result)."""

    def register(handler: ItemHandler) -> ItemHandler:
        def gated(runtime: Runtime, item: DueItem) -> Outcome:
            off = step_off(runtime, step)
            if off is not None:
                return NotDue(runtime.now() + RECHECK_INCOMPLETE, off)
            return handler(runtime, item)

        handles_each(kind)(gated)
        return handler

    return register
