"""Due work `record_meeting`: a meeting's current state (Scheduled, Cancelled) written to its
Airtable row, ten rows a request; a completed meeting's row is its completion's to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from workflows.duework.dispatch import Done, Outcome, handles
from workflows.duework.nudge import meetings_booked
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.base import utcnow
from workflows.store.due import DueItem
from workflows.store.models import Meeting

KIND = "record_meeting"


def record_meeting_later(
    session: Session, meeting: Meeting, when: dt.datetime, *, account: str
) -> None:
    """Have the sweep write the meeting's current state (Scheduled, Cancelled) to Airtable.

    Each call is new work (its key carries the wall-clock instant): a state the meeting had
    before (moved back, cancelled then restored) is written again, not taken for done.
    """
    session.flush()
    key = f"{meeting.id}:{meeting.status}:{meeting.start.isoformat()}@{utcnow().isoformat()}"
    due.schedule(session, KIND, key, when, payload={"meeting_id": meeting.id}, account=account)


@handles(KIND)
def record(runtime: Runtime, items: Sequence[DueItem]) -> list[Outcome]:
    """Write the meetings' rows together; each outcome's result is its Airtable record id."""
    from workflows.revisions import record_meetings  # imported when a meeting changed

    ids = [int(item.payload["meeting_id"]) for item in items]
    written = record_meetings(runtime, ids)
    meetings_booked(runtime, ids)  # a meeting with them on the calendar: Scheduled, no nudge
    return [Done(written.get(meeting_id)) for meeting_id in ids]
