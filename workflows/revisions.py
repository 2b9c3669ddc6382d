"""Later changes are events too: a meeting's row kept current, notes edited after the draft.

`record_meetings` writes meetings' current state (Scheduled, Cancelled) to their Airtable
rows. `notes_changed` runs after the user edits a completed meeting's Notes in Airtable: the
thank-you draft is regenerated while it is still a draft that only Followthrough wrote (one
the user edited in Gmail is theirs: see `workflows.kept_drafts`), its Airtable link follows
its new message, and new promises become Action items (existing ones are never duplicated:
their keys already exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from connectors.airtable.writes import upsert
from workflows.draft_links import relink
from workflows.followup_sync import Owed, write_followups
from workflows.kept_drafts import keep_edited, record_written, written
from workflows.owed import (
    completion_settings,
    invitees,
    load_meeting,
    meeting_row,
    plan_for,
    thank_you_message,
    user_zone_of,
)
from workflows.rules.completion import CompletionPlan
from workflows.rules.followups import FollowUpKind
from workflows.rules.lifecycle import MeetingStatus
from workflows.runtime import Runtime
from workflows.store.models import Meeting
from workflows.store.people import person_view

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Revision:
    """What a notes edit did to a meeting's thank-you draft, and what the user is told."""

    meeting_id: int
    rewritten: bool = False
    told: str = ""  # for the pass's report (it may quote the notes: never logged)


def record_meetings(runtime: Runtime, meeting_ids: Sequence[int]) -> dict[int, str]:
    """Write scheduled or cancelled meetings' rows to Airtable, ten a request.

    Completed meetings are left alone: their completion writes their row.
    """
    meetings = [m for m in (load_meeting(runtime, i) for i in meeting_ids) if m is not None]
    meetings = [m for m in meetings if m.status != "completed"]
    if not meetings:
        return {}
    rows = [meeting_row(m, _contact_id(m), MeetingStatus(m.status.capitalize())) for m in meetings]
    result = upsert(runtime.need_airtable(), rows)
    written: dict[int, str] = {}
    with runtime.db.transaction() as session:
        for meeting in meetings:
            record_id = result.record_ids.get(meeting.event_id)
            row = session.get(Meeting, meeting.id)
            if row is not None and record_id is not None:
                row.airtable_record_id = written[meeting.id] = record_id
    return written


def _contact_id(meeting: Meeting) -> str | None:
    person = meeting.person
    return person.live_airtable_id if person else None


def notes_changed(runtime: Runtime, meeting_id: int) -> Revision:
    """Regenerate the draft from the new notes (if still a draft and not the user's own) and
    add new Action items."""
    meeting = load_meeting(runtime, meeting_id)
    if meeting is None or meeting.status != "completed" or meeting.person is None:
        return Revision(meeting_id)
    settings = completion_settings(runtime, user_zone_of(runtime))
    plan = plan_for(meeting, person_view(meeting.person), settings, invitees(runtime, meeting))
    revision = _revise_draft(runtime, meeting, plan)
    plans = [p for p in plan.followups if p.kind is FollowUpKind.ACTION_ITEM]
    contact_id = _contact_id(meeting)
    owed = [
        Owed(p, meeting.person_id, contact_id, meeting.id, meeting.airtable_record_id)
        for p in plans
    ]
    write_followups(runtime, owed)
    return revision


def _revise_draft(runtime: Runtime, meeting: Meeting, plan: CompletionPlan) -> Revision:
    """Replace the draft's content, unless the user sent, deleted or edited it."""
    if plan.draft is None or not meeting.draft_id:
        return Revision(meeting.id)
    gmail = runtime.need_google().gmail
    current = gmail.get_draft(meeting.draft_id, message_id=meeting.draft_message_id or "")
    if not current.still_draft:
        log.info("draft.already_sent", meeting_id=meeting.id)
        return Revision(meeting.id)
    before = written(runtime, plan.draft_key)
    if before.edited(current):
        relink(runtime, meeting, current)
        contact = plan.draft.to_name or plan.draft.to
        return Revision(meeting.id, told=keep_edited(runtime, plan, before, contact))
    ref = gmail.update_draft(meeting.draft_id, thank_you_message(runtime, plan))
    record_written(runtime, plan.draft_key, ref, plan)
    relink(runtime, meeting, ref)
    log.info("draft.regenerated", meeting_id=meeting.id)
    return Revision(meeting.id, rewritten=True)
