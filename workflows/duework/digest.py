"""Due work `weekly_digest`: the week's digest drafted in Gmail at FOLLOWTHROUGH_DIGEST's
weekday and time in the user's zone, once per ISO week (the item's key is the week).

`schedule_digest` runs with every sweep, as the reminders do: it makes the coming digest
due (this week's until LATE_BY after its time, then next week's). Re-scheduling a week
already drafted changes nothing: due work done stays done, and the ledger holds the draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.digest import draft_digest, user_address
from workflows.duework.dispatch import Done, Outcome, Skipped, handles_each
from workflows.owed import user_zone_of
from workflows.rules.digest import digest_due
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.due import DueItem
from workflows.week.glance import week

KIND = "weekly_digest"
NO_ADDRESS = (
    "no address for the weekly digest yet: it goes to the mailbox's own address, known after "
    "the first calendar sync or with the gmail.metadata scope"
)


@dataclass(frozen=True)
class Digest:
    """A week's digest as drafted: to whom, the draft's id."""

    week: str
    to: str
    draft_id: str


def schedule_digest(runtime: Runtime) -> str | None:
    """Make the coming week's digest due (when FOLLOWTHROUGH_DIGEST is set); its week."""
    when = runtime.config.digest
    if when is None:
        return None
    coming = digest_due(when, runtime.now(), user_zone_of(runtime))
    with runtime.db.transaction() as session:
        due.schedule(session, KIND, coming.week, coming.due_at, account=runtime.account)
    return coming.week


@handles_each(KIND)
def draft_week(runtime: Runtime, item: DueItem) -> Outcome:
    """Draft the week's digest once; skipped when the digest was turned off or has no address."""
    if runtime.config.digest is None:
        return Skipped("FOLLOWTHROUGH_DIGEST is empty now: no digest drafted")
    to = user_address(runtime)
    if not to:
        return Skipped(NO_ADDRESS)
    draft_id = draft_digest(runtime, week(runtime), item.key, to)
    return Done(Digest(item.key, to, draft_id))
