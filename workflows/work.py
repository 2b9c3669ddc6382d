"""Kinds of due work, their keys, and how each is scheduled.

Due work is the database's promise that something will happen (DESIGN.md, "Reliability
model"): a meeting's completion, writing a meeting's row to Airtable, regenerating a draft
after a notes edit, moving a contact's next update after a progress update is done.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from workflows.store import due
from workflows.store.base import utcnow
from workflows.store.models import Meeting

COMPLETE_MEETING = "complete_meeting"
RECORD_MEETING = "record_meeting"
NOTES_CHANGED = "notes_changed"
PROGRESS_DONE = "progress_done"

KINDS = (COMPLETE_MEETING, RECORD_MEETING, NOTES_CHANGED, PROGRESS_DONE)


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
    due.reopen(session, COMPLETE_MEETING, key, account=account)
    due.schedule(session, COMPLETE_MEETING, key, due_at, payload=payload, account=account)
    if due_at > now:
        record_meeting_later(session, meeting, now, account=account)


def record_meeting_later(
    session: Session, meeting: Meeting, when: dt.datetime, *, account: str
) -> None:
    """Have the sweep write the meeting's current state (Scheduled, Cancelled) to Airtable.

    Each call is new work (its key carries the wall-clock instant): a state the meeting had
    before (moved back, cancelled then restored) is written again, not taken for done.
    """
    session.flush()
    key = f"{meeting.id}:{meeting.status}:{meeting.start.isoformat()}@{utcnow().isoformat()}"
    due.schedule(
        session, RECORD_MEETING, key, when, payload={"meeting_id": meeting.id}, account=account
    )
