"""What a pass reads from the Airtable base (`read_base`), and how it is applied to the store.

Contacts become people (Airtable wins; a second row with the same email is skipped with a
reason), a meeting's edited notes regenerate its draft, and a follow-up marked Done or
reopened changes its status (a Done progress update moves the contact's next update), and
milestones are kept for the progress updates (`milestones_apply`; read only where the base has
the Milestones table).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.client import AirtableClient
from connectors.airtable.readers import (
    read_contacts,
    read_follow_ups,
    read_meetings,
    read_milestones,
)
from connectors.airtable.tables import (
    AirtableContact,
    AirtableFollowUp,
    AirtableMeeting,
    AirtableMilestone,
    Contacts,
    FollowUps,
    Meetings,
    Milestones,
)
from connectors.records import AirtableChange, Page, Skipped
from workflows.duework.ask import asking
from workflows.duework.notes_changed import KIND as NOTES_CHANGED
from workflows.duework.progress_done import KIND as PROGRESS_DONE
from workflows.duework.reschedule import airtable_cancelled
from workflows.duework.write_brief import contacts_changed
from workflows.rules.people import merge_person
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.followups import followup_by_airtable_id, set_status
from workflows.store.meetings import meeting_by_airtable_id
from workflows.store.models import Person
from workflows.store.people import PeopleBatch, forget_airtable_record
from workflows.sync.milestones_apply import apply_milestones
from workflows.sync.report import SyncReport

log = structlog.get_logger(__name__)

_STATUS_CODES = {"Open": "open", "Done": "done", "Snoozed": "snoozed"}


@dataclass(frozen=True)
class BaseRead:
    """What one pass read from the base's tables."""

    contacts: list[Page[AirtableContact]]
    meetings: list[Page[AirtableMeeting]]
    follow_ups: list[Page[AirtableFollowUp]]
    changed_at: Mapping[str, dt.datetime] = field(default_factory=dict)
    """When each record changed, where the change feed told."""
    destroyed: tuple[str, ...] = ()
    """The Contacts records the change feed says were deleted."""
    milestones: list[Page[AirtableMilestone]] = field(default_factory=list)
    milestones_destroyed: tuple[str, ...] = ()

    @property
    def pages(self) -> list[Page[Any]]:
        """Every page read, table after table."""
        return [*self.contacts, *self.meetings, *self.follow_ups, *self.milestones]

    @property
    def records(self) -> int:
        """How many records were read."""
        return sum(len(page.records) for page in self.pages)


def read_base(
    client: AirtableClient,
    *,
    formula: str | None = None,
    changes: Sequence[AirtableChange] | None = None,
    milestones: bool = True,
) -> BaseRead:
    """The tables in full, or their rows matching `formula`, or the rows `changes` name; the
    Milestones table only when `milestones` (a base made before it has none)."""

    def live(table: str) -> list[str] | None:
        if changes is None:
            return None
        return [c.record_id for c in changes if c.table == table and c.kind != "destroyed"]

    return BaseRead(
        contacts=list(read_contacts(client, formula=formula, record_ids=live(Contacts.TABLE))),
        meetings=list(read_meetings(client, formula=formula, record_ids=live(Meetings.TABLE))),
        follow_ups=list(read_follow_ups(client, formula=formula, record_ids=live(FollowUps.TABLE))),
        changed_at={c.record_id: c.changed_at for c in changes or () if c.changed_at},
        destroyed=tuple(
            c.record_id
            for c in changes or ()
            if c.table == Contacts.TABLE and c.kind == "destroyed"
        ),
        milestones=list(
            read_milestones(client, formula=formula, record_ids=live(Milestones.TABLE))
            if milestones
            else ()
        ),
        milestones_destroyed=tuple(
            c.record_id
            for c in changes or ()
            if c.table == Milestones.TABLE and c.kind == "destroyed"
        ),
    )


def apply_read(runtime: Runtime, session: Session, read: BaseRead, report: SyncReport) -> None:
    """Apply what was read from the tables, in the caller's transaction."""
    for page in read.pages:
        report.pages += 1
        report.skipped.extend(page.skipped)
    rows = [(c, merge_person(c, None)) for page in read.contacts for c in page.records]
    people = PeopleBatch.load(session, [view for _, view in rows], account=runtime.account)
    saved = []
    for contact, view in rows:
        duplicate = _duplicate(people.find(contact.email), contact)
        if duplicate is not None:
            report.skipped.append(duplicate)
            log.warning("airtable.contact.duplicate", record_id=contact.record_id)
            continue
        before = people.by_airtable.get(contact.record_id)
        stage_before = before.stage if before is not None else None
        saved.append(people.save(view))
        asking(runtime, session, contact, stage_before, read.changed_at.get(contact.record_id))
    session.flush()
    contacts_changed(runtime, session, saved)
    for page in read.meetings:
        for meeting in page.records:
            _meeting_notes(runtime, session, meeting)
            airtable_cancelled(runtime, session, meeting)
    for page in read.follow_ups:
        for follow_up in page.records:
            _follow_up_status(runtime, session, follow_up, read.changed_at.get(follow_up.record_id))
    for record_id in read.destroyed:
        forget_airtable_record(session, record_id, account=runtime.account)
    apply_milestones(runtime, session, read.milestones, read.milestones_destroyed)


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
