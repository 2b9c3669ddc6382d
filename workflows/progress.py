"""Keeping relationships warm: progress-update reminders and what the user does about them.

`create_reminders` runs with every sweep: for each active contact whose Next Update Due
has come and who has no open Progress update, one is created, at most N falling due on one
day (the rest roll forward), each with its draft due (`workflows.progress_drafts`).
`progress_done` moves a contact's Next Update Due after the
user marks a Progress update Done in Airtable.
"""

from __future__ import annotations

import datetime as dt

import structlog

from connectors.airtable.writes import ContactWrite
from workflows.contact_rows import ContactRow, write_contacts
from workflows.followup_sync import Owed, write_followups
from workflows.owed import user_zone_of
from workflows.progress_drafts import schedule_draft
from workflows.progress_news import sooner_for_news
from workflows.rules.followups import FollowUpKind, FollowUpPlan
from workflows.rules.people import first_name_of
from workflows.rules.reminders import (
    DueContact,
    after_progress_done,
    cadence_days,
    schedule_reminders,
)
from workflows.runtime import Runtime
from workflows.store.followups import count_due_between
from workflows.store.models import Followup, Person
from workflows.store.people import people_due_for_update

log = structlog.get_logger(__name__)

KIND = "progress_update"


def create_reminders(runtime: Runtime) -> tuple[str, ...]:
    """Create the Progress update follow-ups that are due today; returns their titles."""
    zone = user_zone_of(runtime)
    today = runtime.clock.today(zone)
    with runtime.db.read() as session:
        people = people_due_for_update(session, today, account=runtime.account, unless_open=KIND)
        if not people:
            return ()
        last = today + dt.timedelta(days=len(people))
        occupied = count_due_between(session, today, last, kind=KIND, account=runtime.account)
    due = [
        DueContact(
            p.airtable_record_id or str(p.id), first_name_of(p.name or ""), p.next_update_due
        )
        for p in people
        if p.next_update_due is not None
    ]
    placed = schedule_reminders(
        due,
        per_day=runtime.config.max_reminders_per_day,
        not_before=today,
        occupied=occupied,
    )
    by_contact = {p.airtable_record_id or str(p.id): p for p in people}
    owed = []
    for reminder in placed:
        person = by_contact[reminder.contact]
        plan = FollowUpPlan(
            reminder.key, FollowUpKind.PROGRESS_UPDATE, reminder.title, reminder.due
        )
        owed.append(Owed(plan, person.id, person.airtable_record_id))
    with runtime.db.transaction() as session:  # before the rows: a crash between loses nothing
        for item in owed:
            schedule_draft(session, item.plan.key, runtime.now(), account=runtime.account)
    titles = write_followups(runtime, owed)
    if titles:
        log.info("reminders.created", count=len(titles), today=today.isoformat())
    return titles


def progress_done(runtime: Runtime, followup_id: int) -> dt.date | None:
    """After a Progress update is Done: Next Update Due = the day it was done + the cadence,
    or within two days of a milestone linked to them that no update has told yet."""
    zone = user_zone_of(runtime)
    with runtime.db.read() as session:
        followup = session.get(Followup, followup_id)
        person = (
            session.get(Person, followup.person_id) if followup and followup.person_id else None
        )
        if followup is None or person is None or followup.done_at is None:
            return None
        done_on = followup.done_at.astimezone(zone).date()
        cadence = cadence_days(person.update_every_days, runtime.config.update_every_days)
        email = person.primary_email
    after = after_progress_done(done_on, cadence)
    next_due = sooner_for_news(runtime, person, after, runtime.clock.today(zone))
    record_id = person.airtable_record_id
    if record_id and email:
        record_id = write_next_due(runtime, email, record_id, next_due)
    with runtime.db.transaction() as session:
        row = session.get(Person, person.id)
        if row is not None:
            row.next_update_due = next_due
            if record_id != row.airtable_record_id:  # its row was deleted, and made again
                row.airtable_record_id, row.airtable_deleted = record_id, False
    log.info("reminders.progress_done", person_id=person.id, next_update_due=next_due.isoformat())
    return next_due


def write_next_due(runtime: Runtime, email: str, record_id: str, next_due: dt.date) -> str | None:
    """Write Next Update Due to the contact's row; returns the row's id (new if it was remade)."""
    write = ContactWrite(email=email, next_update_due=next_due, record_id=record_id)
    result = write_contacts(runtime, [ContactRow(write, record_id)])
    if email in result.errors:
        raise result.errors[email]
    return result.record_ids.get(email, record_id)
