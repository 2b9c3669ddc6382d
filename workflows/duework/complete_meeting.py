"""Due work `complete_meeting`: a meeting over (its end plus grace), so its Airtable rows,
thank-you draft and follow-ups are made, once (`workflows.completion`).

Not before the account's Airtable base has been read once: until then Followthrough cannot
tell a contact already in the base from a new one, and would add a second row for each
(an Airtable outage during the first sync, while the calendar sync goes on). The meetings
are tried again like any failed work; once the base is read they complete as usual."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from connectors.errors import RetryLater
from workflows.duework.dispatch import Done, NotDue, Outcome, Skipped, TryAgain, handles
from workflows.duework.record_meeting import record_meeting_later
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.cursors import AIRTABLE_POLLING, get_cursor
from workflows.store.due import DueItem
from workflows.store.models import Meeting
from workflows.store.webhooks import AIRTABLE_PROVIDER, channels

if TYPE_CHECKING:
    from workflows import completion

KIND = "complete_meeting"


def meeting_key(meeting: Meeting) -> str:
    """The due-work key of a meeting's completion (its event id and original start)."""
    return f"{meeting.event_id}@{meeting.original_start.isoformat()}"


def schedule_meeting(
    session: Session, meeting: Meeting, due_at: dt.datetime, *, now: dt.datetime, account: str
) -> None:
    """Make the meeting's completion due at `due_at` (re-timed if moved, reopened if revived).

    A meeting still ahead is written to Airtable as Scheduled now; one already over gets its
    row when it completes.
    """
    key = meeting_key(meeting)
    payload = {"meeting_id": meeting.id}
    due.reopen(session, KIND, key, account=account)
    due.schedule(session, KIND, key, due_at, payload=payload, account=account)
    if due_at > now:
        record_meeting_later(session, meeting, now, account=account)


@handles(KIND)
def complete(runtime: Runtime, items: Sequence[DueItem]) -> list[Outcome]:
    """Complete the meetings together (their Airtable writes batched), each judged alone."""
    from workflows import completion  # imported when there is a meeting to complete: it is large

    meeting_ids = [int(item.payload["meeting_id"]) for item in items]
    if runtime.airtable is not None and not base_read_once(runtime):
        unread = RetryLater("the Airtable base has not been read yet; its sync is retried")
        return [
            TryAgain(unread, completion.Outcome(mid, "failed", str(unread), error=unread))
            for mid in meeting_ids
        ]
    return [_judged(done) for done in completion.complete_many(runtime, meeting_ids)]


def base_read_once(runtime: Runtime) -> bool:
    """True once the account's Airtable base has been read in full: its change feed
    (workflows.sync.airtable's webhook row) or its polling cursor is stored with what the
    read applied, so the store knows which contacts the base holds."""
    with runtime.db.read() as session:
        feed = channels(session, AIRTABLE_PROVIDER, account=runtime.account)
        polled = get_cursor(session, AIRTABLE_POLLING, account=runtime.account)
    return bool(feed) or polled is not None


def _judged(done: completion.Outcome) -> Outcome:
    if done.error is not None:
        return TryAgain(done.error, done)
    if done.status == "not_due" and done.due_at is not None:
        return NotDue(done.due_at, done)
    if done.status == "skipped":
        return Skipped(done.reason, done)
    return Done(done)
