"""Due work `weekly_digest`: the week's digest drafted in Gmail at FOLLOWTHROUGH_DIGEST's
weekday and time in the user's zone, once per ISO week (the item's key is the week).

`schedule_digest` runs with every sweep, as the reminders do: it makes the coming digest
due (this week's until LATE_BY after its time, then next week's). Re-scheduling a week
already drafted changes nothing: due work done stays done, and the ledger holds the draft.
"""

from __future__ import annotations

from workflows.digest import draft_digest, user_address
from workflows.duework.dispatch import Done, Outcome, Ran, Skipped, find, handles_each, run_batch
from workflows.owed import user_zone_of
from workflows.rules.digest import digest_due, week_key
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.due import DueItem
from workflows.week.glance import week

KIND = "weekly_digest"
NO_ADDRESS = (
    "no address for the weekly digest yet: it goes to the mailbox's own address, known after "
    "the first calendar sync or with the gmail.metadata scope"
)


def schedule_digest(runtime: Runtime) -> str | None:
    """Make the coming week's digest due (when FOLLOWTHROUGH_DIGEST is set); its week."""
    when = runtime.config.digest
    if when is None:
        return None
    coming = digest_due(when, runtime.now(), user_zone_of(runtime))
    with runtime.db.transaction() as session:
        due.schedule(session, KIND, coming.week, coming.due_at, account=runtime.account)
    return coming.week


def digest_now(runtime: Runtime) -> Ran | None:
    """Make this week's digest due now and run it, as the scheduler would (the demo's end);
    a week drafted already is not drafted again. None when no digest is set."""
    if runtime.config.digest is None:
        return None
    this_week = week_key(runtime.clock.today(user_zone_of(runtime)))
    with runtime.db.transaction() as session:
        due.schedule(session, KIND, this_week, runtime.now(), account=runtime.account)
    item = find(runtime, KIND, this_week)
    return run_batch(runtime, [item])[0] if item is not None else None


@handles_each(KIND)
def draft_week(runtime: Runtime, item: DueItem) -> Outcome:
    """Draft the week's digest once; skipped when the digest was turned off or has no address."""
    if runtime.config.digest is None:
        return Skipped("FOLLOWTHROUGH_DIGEST is empty now: no digest drafted")
    to = user_address(runtime)
    if not to:
        return Skipped(NO_ADDRESS)
    return Done(draft_digest(runtime, week(runtime), item.key, to))
