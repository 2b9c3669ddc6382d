"""The contact's Stage moved forward by what Followthrough sees, never backwards.

    requested(runtime, record_id)   # their ask was sent: To contact (or empty) -> Requested
    booked(runtime, person_ids)     # a reply, or a meeting on the calendar -> Scheduled

Only a contact at an earlier stage moves (Requested from To contact or an empty Stage;
Scheduled from To contact or Requested), so a Stage the user set by hand (Met, Inactive, ...)
is never undone. Writes are by value: applying the same news again changes nothing. Being
Scheduled withdraws the nudge still pending (`workflows.duework.nudge`).
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from connectors.airtable.writes import ContactWrite
from workflows.contact_rows import ContactRow, write_contacts
from workflows.runtime import Runtime
from workflows.store.models import Person

log = structlog.get_logger(__name__)

TO_CONTACT, REQUESTED, SCHEDULED = "To contact", "Requested", "Scheduled"
_MOVES_FROM = {
    REQUESTED: frozenset({"", TO_CONTACT.casefold()}),
    SCHEDULED: frozenset({TO_CONTACT.casefold(), REQUESTED.casefold()}),
}


def moves_to(stage: str | None, target: str) -> bool:
    """Whether a contact at `stage` moves forward to `target` (never backwards)."""
    return (stage or "").strip().casefold() in _MOVES_FROM[target]


def requested(runtime: Runtime, record_id: str) -> bool:
    """Their ask was sent: Requested, if they were To contact; True when they moved."""
    with runtime.db.read() as session:
        people = list(
            session.query(Person).filter_by(account=runtime.account, airtable_record_id=record_id)
        )
    return bool(_move(runtime, people, REQUESTED))


def booked(runtime: Runtime, person_ids: Iterable[int]) -> list[int]:
    """They replied or a meeting with them is on the calendar: Scheduled, if they were To
    contact or Requested; returns the ids of those who moved."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    with runtime.db.read() as session:
        people = list(session.query(Person).filter(Person.id.in_(ids)))
    return _move(runtime, people, SCHEDULED)


def _move(runtime: Runtime, people: list[Person], target: str) -> list[int]:
    moving = [
        p
        for p in people
        if p.live_airtable_id and p.primary_email and not p.inactive and moves_to(p.stage, target)
    ]
    if not moving:
        return []
    rows = [
        ContactRow(
            ContactWrite(email=p.primary_email or "", record_id=p.live_airtable_id, stage=target)
        )
        for p in moving
    ]
    write_contacts(runtime, rows)
    with runtime.db.transaction() as session:
        for person in moving:
            row = session.get(Person, person.id)
            if row is not None:
                row.stage = target
    log.info("contacts.stage_moved", stage=target, count=len(moving))
    return [p.id for p in moving]
