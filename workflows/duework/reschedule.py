"""Due work `reschedule`: a day after an informational interview was cancelled, a Reschedule
follow-up unless another meeting with the same person replaced it (`workflows.reschedules`).

Each cancellation is its own check (the key carries when it was cancelled); the follow-up is
made once per meeting whatever the checks (its key is the meeting's).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from connectors.airtable.tables import AirtableMeeting
from workflows import steps
from workflows.duework.complete_meeting import KIND as COMPLETE_MEETING
from workflows.duework.complete_meeting import meeting_key
from workflows.duework.dispatch import Done, NotDue, Outcome, handles_each
from workflows.reschedules import cancelled_in_airtable, check_cancelled
from workflows.rules.keys import instant_text
from workflows.rules.reschedule import WAIT
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.due import DueItem
from workflows.store.models import Meeting

KIND = "reschedule"


def check_later(session: Session, meeting: Meeting, *, account: str) -> None:
    """Have the cancelled meeting checked a day after its cancellation."""
    if meeting.cancelled_at is None or meeting.history:
        return
    key = f"{meeting_key(meeting)}@{instant_text(meeting.cancelled_at)}"
    when: dt.datetime = meeting.cancelled_at + WAIT
    due.schedule(session, KIND, key, when, payload={"meeting_id": meeting.id}, account=account)


def airtable_cancelled(runtime: Runtime, session: Session, record: AirtableMeeting) -> None:
    """A Meetings row the user set to Cancelled: the meeting is cancelled (no thank-you comes)
    and checked for a Reschedule a day later."""
    meeting = cancelled_in_airtable(runtime, session, record)
    if meeting is not None:
        due.cancel(session, COMPLETE_MEETING, meeting_key(meeting), account=runtime.account)
        check_later(session, meeting, account=runtime.account)


@handles_each(KIND)
def check(runtime: Runtime, item: DueItem) -> Outcome:
    """Check the cancelled meeting; the result (a Checked) names the follow-up made, if any."""
    off = steps.step_off(runtime, steps.RESCHEDULE)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    return Done(check_cancelled(runtime, int(item.payload["meeting_id"])))
