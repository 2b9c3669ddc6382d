"""The thank-you threads: each thank-you draft's Gmail thread, its meeting, follow-up and contact.

A draft's thread is kept in its effects-ledger entry (`thread_id` in the detail of the
`gmail.draft` effect, whose external id is the meeting's `draft_id`), so no column holds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.models import Effect, Followup, Meeting, Person

DRAFT_KIND = "gmail.draft"


@dataclass(frozen=True)
class ThankYouThread:
    """A thank-you draft's thread and what its sending or a reply in it changes."""

    thread_id: str
    meeting_id: int
    event_id: str
    meeting_end: dt.datetime
    completed_at: dt.datetime | None  # when Followthrough completed the meeting (its clock)
    followup_key: str
    followup_title: str
    followup_open: bool
    followup_record_id: str | None
    task_id: str | None
    contact_email: str | None
    contact_record_id: str | None
    contact_addresses: frozenset[str]


def thank_you_threads(session: Session, *, account: str = DEFAULT_ACCOUNT) -> list[ThankYouThread]:
    """Every thank-you draft whose thread is known, with its meeting's Thank-you follow-up."""
    rows = session.execute(
        sa.select(Effect.detail, Meeting, Followup)
        .join(Meeting, sa.and_(Meeting.account == account, Meeting.draft_id == Effect.external_id))
        .join(
            Followup,
            sa.and_(
                Followup.account == account,
                Followup.meeting_id == Meeting.id,
                Followup.kind == "thank_you",
            ),
        )
        .where(Effect.account == account, Effect.kind == DRAFT_KIND, Effect.status == "applied")
        .options(selectinload(Meeting.person).selectinload(Person.emails))
    ).all()
    threads = []
    for detail, meeting, followup in rows:
        thread_id = (detail or {}).get("thread_id")
        if thread_id:
            threads.append(_thread(str(thread_id), meeting, followup))
    return threads


def _thread(thread_id: str, meeting: Meeting, followup: Followup) -> ThankYouThread:
    person = meeting.person
    return ThankYouThread(
        thread_id=thread_id,
        meeting_id=meeting.id,
        event_id=meeting.event_id,
        meeting_end=meeting.end,
        completed_at=meeting.completed_at,
        followup_key=followup.key,
        followup_title=followup.title,
        followup_open=followup.status != "done",
        followup_record_id=followup.airtable_record_id,
        task_id=followup.task_id,
        contact_email=person.primary_email if person else None,
        contact_record_id=person.live_airtable_id if person else None,
        contact_addresses=frozenset(e.email for e in person.emails) if person else frozenset(),
    )
