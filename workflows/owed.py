"""What a completed meeting owes, from what the store knows: the plan and its Meetings row.

Shared by the completion of a meeting (`workflows.completion`), the regeneration of its draft
after a notes edit (`workflows.revisions`) and the reminders and demo (the user's zone). Both
write the thank-you Gmail gets through `thank_you_message`: the rule-built draft, or a
configured model's rewrite of it when the rewrite passes the check (`workflows.polish`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import selectinload

from connectors.airtable.writes import MeetingWrite
from connectors.records import DraftMessage
from workflows.facts import (
    CALENDAR_ZONE,
    USER_NAME,
    completed_in_airtable,
    first_sync_at,
    get_fact,
)
from workflows.polish import polish
from workflows.rules.completion import (
    CompletedMeeting,
    CompletionPlan,
    CompletionSettings,
    invited_address,
    plan_completion,
)
from workflows.rules.lifecycle import MeetingStatus
from workflows.rules.people import PersonView
from workflows.runtime import Runtime
from workflows.store.meetings import invited_emails
from workflows.store.models import Meeting, Person


def load_meeting(runtime: Runtime, meeting_id: int) -> Meeting | None:
    """The meeting with its person and their emails, detached and safe to read."""
    with runtime.db.read() as session:
        return session.get(
            Meeting,
            meeting_id,
            options=[selectinload(Meeting.person).selectinload(Person.emails)],
        )


def user_zone_of(runtime: Runtime) -> dt.tzinfo:
    """The user's time zone: the setting, else the calendar's (as last synced)."""
    with runtime.db.read() as session:
        calendar_zone = get_fact(session, CALENDAR_ZONE, account=runtime.account)
    return runtime.zone(calendar_zone)


def completion_settings(runtime: Runtime, zone: dt.tzinfo) -> CompletionSettings:
    """The settings every completion plan of this runtime is made with."""
    with runtime.db.read() as session:
        first = first_sync_at(session, account=runtime.account) or runtime.now()
        completed_before = completed_in_airtable(session, account=runtime.account)
        calendar_name = get_fact(session, USER_NAME, account=runtime.account)
    return CompletionSettings(
        zone=zone,
        sender_name=runtime.config.sender_name.strip() or calendar_name or "",
        first_sync_at=first,
        completed_before=completed_before,
        history_days=runtime.config.history_days,
        default_cadence=runtime.config.update_every_days,
        title_pattern=runtime.qualify_policy().title_pattern,
        templates=runtime.templates(),
        now=runtime.now(),
    )


def invitees(runtime: Runtime, meeting: Meeting) -> tuple[str, ...]:
    """The addresses on the meeting's invite, as the calendar sync last stored its event."""
    calendar_id, account = runtime.config.calendar_id, runtime.account
    with runtime.db.read() as session:
        return invited_emails(session, meeting.event_id, calendar_id=calendar_id, account=account)


def plan_for(
    meeting: Meeting,
    view: PersonView,
    settings: CompletionSettings,
    invited: Sequence[str] = (),
) -> CompletionPlan:
    """What `meeting` owes (its notes are already the user's where they wrote any); the draft
    goes to the address among `invited` (the invite's) that is the contact's."""
    assert isinstance(meeting.end, dt.datetime)
    return plan_completion(
        CompletedMeeting(
            event_id=meeting.event_id,
            original_start=meeting.original_start,
            title=meeting.title,
            start=meeting.start,
            end=meeting.end,
            contact=view,
            notes=meeting.notes,
            attendee_email=invited_address(view, invited),
        ),
        settings,
    )


def thank_you_message(runtime: Runtime, plan: CompletionPlan) -> DraftMessage:
    """The thank-you as Gmail gets it: the plan's draft, its body polished by the draft model
    when one is configured and its rewrite passes the check."""
    assert plan.draft is not None and plan.draft_facts is not None
    body, _ = polish(runtime, plan.draft.body, plan.draft_facts)
    return dataclasses.replace(plan.draft, body=body)


def meeting_row(
    meeting: Meeting,
    contact_id: str | None,
    status: MeetingStatus,
    draft_url: str | None = None,
    notes: str | None = None,
) -> MeetingWrite:
    """The meeting's Airtable row (upserted on Event ID); `notes` default to the meeting's."""
    return MeetingWrite(
        event_id=meeting.event_id,
        title=meeting.title or "(untitled meeting)",
        contact_ids=(contact_id,) if contact_id else None,
        start=meeting.start,
        end=meeting.end,
        status=status.value,
        notes=(meeting.notes if notes is None else notes) or None,
        thank_you_draft=draft_url,
    )
