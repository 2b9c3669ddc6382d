"""A completed informational interview: its Airtable rows, thank-you draft and follow-ups.

`complete(runtime, meeting_id)` runs when the meeting's end plus grace has passed. Every
step is idempotent (upserts keyed on Email, Event ID and Key; the draft and Google tasks
through the effects ledger), so the whole function may run again after any failure and
still leave exactly one of everything. History (meetings that ended well before the first
sync) gets its rows and the contact's dates, but no draft and no follow-ups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import structlog
from sqlalchemy.orm import selectinload

from connectors.airtable.writes import ContactWrite, MeetingWrite, upsert
from connectors.errors import SkipRecord
from connectors.records import DraftMessage, DraftRef
from workflows.effects import apply_once
from workflows.facts import CALENDAR_ZONE, first_sync_at, get_fact
from workflows.followup_sync import write_followups
from workflows.rules.clock import local_date
from workflows.rules.draft import ThankYouInput, compose_thank_you
from workflows.rules.followups import plan_followups
from workflows.rules.keys import draft_key
from workflows.rules.lifecycle import MeetingStatus, completion_due, effects_for
from workflows.rules.notes import ParsedNotes, parse_notes
from workflows.rules.people import PersonView
from workflows.rules.reminders import after_meeting, cadence_days
from workflows.runtime import Runtime
from workflows.store.meetings import complete_meeting
from workflows.store.models import Meeting, Person
from workflows.store.people import person_view

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What completing one meeting did (for logs, the CLI and the demo)."""

    meeting_id: int
    status: str  # completed | not_due | settled | skipped
    reason: str = ""
    title: str = ""
    contact: str = ""
    draft: DraftRef | None = None
    draft_subject: str = ""
    followups: tuple[str, ...] = field(default_factory=tuple)
    history: bool = False
    due_at: dt.datetime | None = None


def load_meeting(runtime: Runtime, meeting_id: int) -> Meeting | None:
    """The meeting with its person and their emails, detached and safe to read."""
    with runtime.db.read() as session:
        meeting = session.get(
            Meeting,
            meeting_id,
            options=[selectinload(Meeting.person).selectinload(Person.emails)],
        )
        return meeting


def user_zone_of(runtime: Runtime) -> dt.tzinfo:
    """The user's time zone: the setting, else the calendar's (as last synced)."""
    with runtime.db.read() as session:
        calendar_zone = get_fact(session, CALENDAR_ZONE, account=runtime.account)
    return runtime.zone(calendar_zone)


def complete(runtime: Runtime, meeting_id: int) -> Outcome:
    """Apply every effect a completed meeting owes, once; a no-op for one already settled."""
    meeting = load_meeting(runtime, meeting_id)
    if meeting is None or meeting.status != "scheduled":
        status = meeting.status if meeting else "gone"
        return Outcome(meeting_id, "settled", f"the meeting is {status}")
    due_at = completion_due(meeting.end, runtime.config.grace)
    if runtime.now() < due_at:
        return Outcome(meeting_id, "not_due", "the meeting has not ended yet", due_at=due_at)
    person = meeting.person
    view = person_view(person) if person is not None else None
    if view is None or not view.email:
        _settle(runtime, meeting_id, None, None, None)
        return Outcome(meeting_id, "skipped", "no contact with an email address for this meeting")
    return _apply(runtime, meeting, view)


def _apply(runtime: Runtime, meeting: Meeting, view: PersonView) -> Outcome:
    zone = user_zone_of(runtime)
    with runtime.db.read() as session:
        first = first_sync_at(session, account=runtime.account) or runtime.now()
    plan = effects_for(meeting.end, first_sync_at=first, history_days=runtime.config.history_days)
    notes = parse_notes(meeting.notes)
    contact_id, update = _write_contact(runtime, meeting, view, zone)
    draft, subject = _write_draft(runtime, meeting, view, notes, zone) if plan.draft else (None, "")
    record_id = write_meeting_row(runtime, meeting, contact_id, MeetingStatus.COMPLETED, draft)
    plans = plan_followups(
        event_id=meeting.event_id,
        original_start=meeting.original_start,
        meeting_start=meeting.start,
        zone=zone,
        first_name=view.first_name,
        todos=notes.todos,
        thank_you=plan.thank_you,
        action_items=plan.action_items,
    )
    titles = write_followups(runtime, plans, meeting.person_id, contact_id, meeting.id, record_id)
    _settle(runtime, meeting.id, contact_id, record_id, draft, update)
    log.info(
        "meeting.completed",
        meeting_id=meeting.id,
        history=not plan.draft,
        draft=bool(draft),
        followups=len(titles),
    )
    return Outcome(
        meeting.id,
        "completed",
        title=meeting.title,
        contact=view.name or view.email or "",
        draft=draft,
        draft_subject=subject,
        followups=titles,
        history=not plan.draft,
    )


@dataclass(frozen=True)
class _ContactDates:
    last_met: dt.date
    next_update_due: dt.date
    stage: str


def _write_contact(
    runtime: Runtime, meeting: Meeting, view: PersonView, zone: dt.tzinfo
) -> tuple[str, _ContactDates]:
    """The contact's Airtable row, created when new: Last Met, Stage, Next Update Due."""
    cadence = cadence_days(view.update_every_days, runtime.config.update_every_days)
    update = after_meeting(
        stage=view.stage,
        last_met=view.last_met,
        meeting_date=local_date(meeting.start, zone),
        cadence=cadence,
    )
    new = not view.in_airtable
    row = ContactWrite(
        email=view.email or "",
        name=view.name or view.email if new else None,
        company=view.company if new else None,
        role=view.role if new else None,
        google_contact=view.google_resource if new else None,
        stage=update.stage,
        last_met=update.last_met,
        next_update_due=update.next_update_due,
    )
    result = upsert(runtime.need_airtable(), [row])
    if row.key not in result.record_ids:
        reason = result.skipped[0].reason if result.skipped else "Airtable refused the row"
        raise SkipRecord(f"cannot write contact {view.email} to Airtable: {reason}")
    dates = _ContactDates(update.last_met, update.next_update_due, update.stage)
    return result.record_ids[row.key], dates


def compose_draft(
    runtime: Runtime, meeting: Meeting, view: PersonView, notes: ParsedNotes, zone: dt.tzinfo
) -> DraftMessage:
    """The thank-you message for a meeting, from the user's templates and the meeting's notes."""
    return compose_thank_you(
        ThankYouInput(
            key=draft_key(meeting.event_id, meeting.original_start),
            contact_email=view.email or "",
            contact_name=view.name,
            first_name=view.first_name,
            meeting_title=meeting.title,
            meeting_start=meeting.start,
            zone=zone,
            sender_name=runtime.config.sender_name,
            insights=notes.insights,
            todos=notes.todos,
        ),
        env=runtime.templates(),
        title_pattern=runtime.qualify_policy().title_pattern,
    )


def _write_draft(
    runtime: Runtime, meeting: Meeting, view: PersonView, notes: ParsedNotes, zone: dt.tzinfo
) -> tuple[DraftRef, str]:
    """The thank-you draft in Gmail, once (found again, never duplicated, after a lost reply)."""
    message = compose_draft(runtime, meeting, view, notes, zone)
    gmail = runtime.need_google().gmail
    applied = apply_once(
        runtime,
        draft_key(meeting.event_id, meeting.original_start),
        "gmail.draft",
        lambda unknown: gmail.create_draft(message, outcome_unknown=unknown),
        lambda ref: (ref.draft_id, _draft_detail(ref)),
    )
    detail = applied.detail
    ref = DraftRef(
        draft_id=applied.external_id,
        message_id=detail.get("message_id", message.message_id),
        gmail_message_id=detail.get("gmail_message_id") or None,
    )
    return ref, message.subject


def _draft_detail(ref: DraftRef) -> dict[str, str]:
    return {"message_id": ref.message_id, "gmail_message_id": ref.gmail_message_id or ""}


def write_meeting_row(
    runtime: Runtime,
    meeting: Meeting,
    contact_id: str | None,
    status: MeetingStatus,
    draft: DraftRef | None = None,
) -> str:
    """The meeting's Airtable row, upserted on Event ID; returns its record id."""
    row = MeetingWrite(
        event_id=meeting.event_id,
        title=meeting.title or "(untitled meeting)",
        contact_ids=(contact_id,) if contact_id else None,
        start=meeting.start,
        end=meeting.end,
        status=status.value,
        notes=meeting.notes or None,
        thank_you_draft=draft.url if draft else None,
    )
    result = upsert(runtime.need_airtable(), [row])
    if row.key not in result.record_ids:
        reason = result.skipped[0].reason if result.skipped else "Airtable refused the row"
        raise SkipRecord(f"cannot write meeting {meeting.event_id} to Airtable: {reason}")
    return result.record_ids[row.key]


def _settle(
    runtime: Runtime,
    meeting_id: int,
    contact_id: str | None,
    record_id: str | None,
    draft: DraftRef | None,
    dates: _ContactDates | None = None,
) -> None:
    """Record in the store what now exists outside, and that the meeting is completed."""
    with runtime.db.transaction() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return
        complete_meeting(meeting, at=runtime.now())
        meeting.airtable_record_id = record_id or meeting.airtable_record_id
        if draft is not None:
            meeting.draft_id, meeting.draft_message_id = draft.draft_id, draft.message_id
            meeting.draft_url = draft.url
        person = session.get(Person, meeting.person_id) if meeting.person_id else None
        if person is not None and dates is not None:
            person.airtable_record_id = contact_id or person.airtable_record_id
            person.airtable_deleted = False
            person.last_met, person.next_update_due = dates.last_met, dates.next_update_due
            person.stage = dates.stage
