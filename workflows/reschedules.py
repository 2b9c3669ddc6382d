"""A cancelled informational interview, not replaced within a day, gets a Reschedule follow-up.

When the calendar cancels a meeting (or the user sets its Meetings row's Status to Cancelled),
a check falls due a day later (`duework.reschedule`). Then, unless the meeting came back or
another meeting with the same person stands in its place (`rules.reschedule.replaced`), a
Reschedule follow-up is made, once for the meeting (its key), linking the contact and the
meeting and due that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.tables import AirtableMeeting
from workflows.followup_sync import Owed, write_followups
from workflows.owed import load_meeting, user_zone_of
from workflows.rules.clock import local_date
from workflows.rules.followups import FollowUpKind, FollowUpPlan
from workflows.rules.keys import instant_text
from workflows.rules.reschedule import replaced, reschedule_title
from workflows.runtime import Runtime
from workflows.store.contact_history import other_meetings
from workflows.store.meetings import meeting_by_airtable_id
from workflows.store.models import Meeting
from workflows.store.people import person_view

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Checked:
    """What a check of a cancelled meeting found: the follow-up's title, or why none."""

    meeting_id: int
    title: str | None = None
    reason: str = ""


def reschedule_key(meeting: Meeting) -> str:
    """The key of a meeting's Reschedule follow-up (at most one per meeting)."""
    return f"reschedule:{meeting.event_id}:{instant_text(meeting.original_start)}"


def check_cancelled(runtime: Runtime, meeting_id: int) -> Checked:
    """Make the Reschedule follow-up of a cancelled meeting nothing has replaced."""
    meeting = load_meeting(runtime, meeting_id)
    if meeting is None or meeting.status != "cancelled" or meeting.cancelled_at is None:
        return Checked(meeting_id, reason="the meeting is no longer cancelled")
    person = meeting.person
    if person is None or person_view(person).inactive:
        return Checked(meeting_id, reason="no active contact to meet again")
    with runtime.db.read() as session:
        others = other_meetings(session, person.id, meeting.id, account=runtime.account)
    if replaced(meeting.cancelled_at, (other.start for other in others)):
        return Checked(meeting_id, reason="another meeting with them stands in its place")
    zone = user_zone_of(runtime)
    title = reschedule_title(person_view(person).first_name, local_date(meeting.start, zone))
    plan = FollowUpPlan(
        reschedule_key(meeting), FollowUpKind.RESCHEDULE, title, local_date(runtime.now(), zone)
    )
    owed = Owed(plan, person.id, person.live_airtable_id, meeting.id, meeting.airtable_record_id)
    write_followups(runtime, [owed])
    log.info("reschedule.owed", meeting_id=meeting.id)
    return Checked(meeting_id, title=title)


def cancelled_in_airtable(
    runtime: Runtime, session: Session, record: AirtableMeeting
) -> Meeting | None:
    """The scheduled meeting whose row the user set to Cancelled, now cancelled in the store
    (None when there is no such change); its completion is the caller's to withdraw."""
    if record.status != "Cancelled":
        return None
    meeting = meeting_by_airtable_id(session, record.record_id, account=runtime.account)
    if meeting is None or meeting.status != "scheduled":
        return None
    meeting.status, meeting.cancelled_at = "cancelled", runtime.now()
    return meeting
