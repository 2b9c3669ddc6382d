"""What was read from the Airtable base, applied to the store.

Contacts become people (Airtable wins; a second row with the same email is skipped with a
reason), a meeting's edited notes regenerate its draft, and a follow-up marked Done or
reopened changes its status (a Done progress update moves the contact's next update).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.schema import Contacts
from connectors.records import (
    AirtableContact,
    AirtableFollowUp,
    AirtableMeeting,
    Page,
    Skipped,
)
from workflows.duework.notes_changed import KIND as NOTES_CHANGED
from workflows.duework.progress_done import KIND as PROGRESS_DONE
from workflows.rules.people import merge_person
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.followups import followup_by_airtable_id, set_status
from workflows.store.meetings import meeting_by_airtable_id
from workflows.store.models import Person
from workflows.store.people import PeopleBatch
from workflows.sync.report import SyncReport

log = structlog.get_logger(__name__)

_STATUS_CODES = {"Open": "open", "Done": "done", "Snoozed": "snoozed"}


def apply_read(
    runtime: Runtime,
    session: Session,
    contacts: list[Page[AirtableContact]],
    meetings: list[Page[AirtableMeeting]],
    follow_ups: list[Page[AirtableFollowUp]],
    report: SyncReport,
    changed_at: Mapping[str, dt.datetime] | None = None,
) -> None:
    """Apply pages read from the three tables, in the caller's transaction (`changed_at`:
    when each record changed, where the feed told)."""
    pages: list[Page[Any]] = [*contacts, *meetings, *follow_ups]
    for page in pages:
        report.pages += 1
        report.skipped.extend(page.skipped)
    rows = [(contact, merge_person(contact, None)) for page in contacts for contact in page.records]
    people = PeopleBatch.load(session, [view for _, view in rows], account=runtime.account)
    for contact, view in rows:
        duplicate = _duplicate(people.find(contact.email), contact)
        if duplicate is not None:
            report.skipped.append(duplicate)
            log.warning("airtable.contact.duplicate", record_id=contact.record_id)
            continue
        people.save(view)
    session.flush()
    for page in meetings:
        for meeting in page.records:
            _meeting_notes(runtime, session, meeting)
    for page in follow_ups:
        for follow_up in page.records:
            when = (changed_at or {}).get(follow_up.record_id)
            _follow_up_status(runtime, session, follow_up, when)


def _duplicate(holder: Person | None, contact: AirtableContact) -> Skipped | None:
    """A reason to skip a Contacts record whose email another record (`holder`) already has."""
    kept = holder.live_airtable_id if holder else None
    if kept is None or kept == contact.record_id:
        return None
    reason = (
        f"Contacts record {contact.record_id} has the same email as {kept}; using {kept}. "
        "Merge or correct the duplicate in Airtable."
    )
    return Skipped(source=f"airtable.{Contacts.TABLE}", record_id=contact.record_id, reason=reason)


def _meeting_notes(runtime: Runtime, session: Session, record: AirtableMeeting) -> None:
    """Notes the user edited on a meeting that already has its draft: regenerate it."""
    meeting = meeting_by_airtable_id(session, record.record_id, account=runtime.account)
    if meeting is None or (record.notes or "") == (meeting.notes or ""):
        return
    meeting.notes = record.notes
    if meeting.status == "completed" and meeting.draft_id:
        # One due item per version of the notes: a second edit is new work, not a done one.
        version = hashlib.sha256((record.notes or "").encode()).hexdigest()[:16]
        due.schedule(
            session,
            NOTES_CHANGED,
            f"{meeting.id}:{version}",
            runtime.now(),
            payload={"meeting_id": meeting.id},
            account=runtime.account,
        )


def _follow_up_status(
    runtime: Runtime, session: Session, record: AirtableFollowUp, when: dt.datetime | None
) -> None:
    """A follow-up the user marked Done (or reopened) in Airtable, at `when` if known.

    The change's own time counts (a Done progress update moves Next Update Due from the day
    it was done, however late this pass sees it), never later than the clock's now.
    """
    follow_up = followup_by_airtable_id(session, record.record_id, account=runtime.account)
    status = _STATUS_CODES.get(record.status or "")
    if follow_up is None or status is None:
        return
    at = min(when, runtime.now()) if when is not None else runtime.now()
    changed = set_status(follow_up, status, at=at)
    if changed and status == "done" and follow_up.kind == "progress_update":
        due.schedule(
            session,
            PROGRESS_DONE,
            follow_up.key,
            runtime.now(),
            payload={"followup_id": follow_up.id},
            account=runtime.account,
        )
