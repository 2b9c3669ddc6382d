"""Due work `write_brief`: an upcoming informational interview's brief, written
FOLLOWTHROUGH_BRIEF_HOURS_BEFORE its start, and again when it moves or its contact changes.

Each version of what the brief is made from (the meeting's times and title, the contact's
details: `briefs.brief_inputs`) is its own piece of work, so a change after the brief was
written is new work, due at once, and the same details seen again are no work at all. One more
piece falls due at the meeting's start: its Prepare follow-up is then Done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from workflows import steps
from workflows.briefs import brief_at, brief_inputs, brief_meeting, was_written
from workflows.duework.dispatch import Done, NotDue, Outcome, handles_each
from workflows.rules.keys import instant_text
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.contact_history import upcoming_meetings
from workflows.store.due import DueItem
from workflows.store.models import Meeting, Person

KIND = "write_brief"


def plan_brief(
    session: Session, meeting: Meeting, *, now: dt.datetime, before: dt.timedelta, account: str
) -> None:
    """Make the meeting's brief due: at its time, or now when it is past or a brief exists
    that the change would make stale. Nothing for a meeting that started or is over."""
    if meeting.status != "scheduled" or meeting.start <= now or meeting.history:
        return
    person = session.get(Person, meeting.person_id) if meeting.person_id else None
    first_due = brief_at(meeting, before)
    written = was_written(session, meeting, account=account)
    due_at = first_due if first_due > now and not written else now
    payload = {"meeting_id": meeting.id}
    key = f"{meeting.id}:{brief_inputs(meeting, person)}"
    due.schedule(session, KIND, key, due_at, payload=payload, account=account)
    # At its start the brief's Prepare follow-up is done: nothing is left to prepare.
    started = f"{meeting.id}:starts@{instant_text(meeting.start)}"
    due.schedule(session, KIND, started, meeting.start, payload=payload, account=account)


def contacts_changed(runtime: Runtime, session: Session, people: Sequence[Person]) -> None:
    """Re-plan the briefs of these contacts' upcoming meetings (new work only where the
    details a brief is made from changed)."""
    ids = [person.id for person in people if person.id is not None]
    now, before = runtime.now(), runtime.config.brief_before
    for meeting in upcoming_meetings(session, ids, now, account=runtime.account):
        plan_brief(session, meeting, now=now, before=before, account=runtime.account)


@handles_each(KIND)
def write(runtime: Runtime, item: DueItem) -> Outcome:
    """Write the brief when due; the result (a Briefed) holds its text."""
    off = steps.step_off(runtime, steps.BRIEF)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    briefed = brief_meeting(runtime, int(item.payload["meeting_id"]))
    if briefed.not_before is not None:
        return NotDue(briefed.not_before, briefed)
    return Done(briefed)
