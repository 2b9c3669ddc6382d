"""The user's milestones: news that brings the linked contacts' next updates forward.

A milestone linked to a contact is news for them (their advice had a part in it, or they
would want to hear it): their Next Update Due moves to within two days of it, never later
(`rules.reminders.brought_forward`), and the update then tells it (`workflows.progress_news`).
A contact already told of it, inactive, or never met (no update is kept for them) is left
alone. The sync schedules this as due work (`KIND`) when a milestone is new or its date or
contacts change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from workflows.owed import user_zone_of
from workflows.progress import write_next_due
from workflows.progress_news import told
from workflows.rules.reminders import brought_forward
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.milestones import milestone
from workflows.store.models import Person
from workflows.store.people import person_by_airtable_id

log = structlog.get_logger(__name__)

KIND = "milestone_news"


@dataclass(frozen=True)
class Moved:
    """A contact whose next update a milestone brought forward."""

    contact: str
    next_update_due: dt.date


def schedule_news(
    session: Session, record_id: str, version: str, now: dt.datetime, *, account: str
) -> None:
    """Make milestone `record_id`'s news due now (once per `version` of its date and contacts)."""
    payload = {"milestone": record_id}
    due.schedule(session, KIND, f"{record_id}:{version}", now, payload=payload, account=account)


def bring_updates_forward(runtime: Runtime, record_id: str) -> list[Moved]:
    """Move the next update of each contact linked to the milestone; returns whose moved."""
    zone = user_zone_of(runtime)
    today = runtime.clock.today(zone)
    with runtime.db.read() as session:
        row = milestone(session, record_id, account=runtime.account)
        if row is None:
            return []
        news_on, contacts = row.date, list(row.contact_ids or ())
        people = [person_by_airtable_id(session, c, account=runtime.account) for c in contacts]
    moved = []
    for person in people:
        if person is None or person.inactive or not person.primary_email:
            continue
        if f"milestone:{record_id}" in told(runtime, *(e.original for e in person.emails)):
            continue
        new_due = brought_forward(person.next_update_due, news_on=news_on, today=today)
        if new_due is not None and person.airtable_record_id:
            _move(runtime, person, new_due)
            moved.append(Moved(person.name or person.primary_email, new_due))
    return moved


def _move(runtime: Runtime, person: Person, new_due: dt.date) -> None:
    email, record_id = person.primary_email or "", person.airtable_record_id or ""
    written = write_next_due(runtime, email, record_id, new_due)
    with runtime.db.transaction() as session:
        row = session.get(Person, person.id)
        if row is not None:
            row.next_update_due = new_due
            if written and written != row.airtable_record_id:  # its row was remade
                row.airtable_record_id, row.airtable_deleted = written, False
    log.info("milestone.update_brought_forward", person_id=person.id, due=new_due.isoformat())
