"""Events judged again when the contacts change: an interview is noticed whenever its contact is.

An event qualifies by an attendee who is an active Airtable contact, but the calendar's
change feed reports an event when the event changes, not when the contacts do. A contact
the user adds after the invite arrived, or contacts that could not be read when the event
was first seen (an Airtable outage on the first pass), would leave that interview unnoticed.
So after each calendar pass, when the active Airtable contacts differ from the ones the
stored events were last judged by, the recent and upcoming stored events that are not
meetings are judged again (older ones stay as they were: no surprise drafts for last
month's meetings because someone was added to the CRM today).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from connectors.records import CalendarEvent
from workflows.facts import USER_EMAIL, first_sync_at, get_fact, set_fact
from workflows.runtime import Runtime
from workflows.store.contact_changes import CONTACTS_CHANGED, contacts_token, renew_token
from workflows.store.meetings import event_from_json
from workflows.store.models import Cursor, Event, Meeting, Person, PersonEmail
from workflows.sync.calendar import Tracker

log = structlog.get_logger(__name__)

CONTACTS_FINGERPRINT = "fact:contacts_fingerprint"
CONTACTS_JUDGED_AT = "fact:contacts_judged_at"
"""The contacts token (`contact_changes`) read just before the fingerprint was last taken."""


def reconsider_events(runtime: Runtime, *, full: bool = False, judged_by: str | None = None) -> int:
    """Judge recent stored events again if the active contacts changed; returns how many.

    The contacts are hashed only when their token (`contact_changes`) moved since they
    were last hashed. `full` says the calendar pass just judged every event, against the
    contacts whose version was `judged_by` when it began: if they are still the same, only
    the digest is recorded; if they changed meanwhile (a source syncing at the same time),
    the recent events are judged again like after any other pass.
    """
    account = runtime.account
    with runtime.db.read() as session:  # the usual answer, "unchanged", needs no writer's lock
        version, judged_at = _tokens(session, account)
        if version is not None and version == judged_at:
            return 0
    with runtime.db.transaction() as session:
        version = contacts_token(session, account=account) or renew_token(session, account=account)
        set_fact(session, CONTACTS_JUDGED_AT, version, account=account)  # read before the digest
        fingerprint = contacts_fingerprint(session, account)
        if get_fact(session, CONTACTS_FINGERPRINT, account=account) == fingerprint:
            return 0
        set_fact(session, CONTACTS_FINGERPRINT, fingerprint, account=account)
        first = first_sync_at(session, account=account)
        if first is None or (full and judged_by == version):
            return 0
        events = _recent_unmatched(session, runtime, runtime.now())
        tracker = Tracker(
            runtime, session, get_fact(session, USER_EMAIL, account=account) or "", first
        )
        tracker.prepare(events)  # their people and meetings read at once, not event by event
        for event in events:
            tracker.track(event)
    log.info("calendar.reconsidered", events=len(events))
    return len(events)


def contacts_changed(runtime: Runtime) -> bool:
    """True when the active contacts differ from those the stored events were judged by (after
    the account's first sync): a calendar pass would judge recent events again. Hashed only
    when their token (`contact_changes`) moved since they were last hashed."""
    account = runtime.account
    with runtime.db.read() as session:
        if first_sync_at(session, account=account) is None:
            return False
        version, judged_at = _tokens(session, account)
        if version is not None and version == judged_at:
            return False
        judged_by = get_fact(session, CONTACTS_FINGERPRINT, account=account)
        return judged_by != contacts_fingerprint(session, account)


def contacts_token_now(runtime: Runtime) -> str:
    """The account's contacts token (`contact_changes`), made if there is none yet."""
    with runtime.db.read() as session:
        version = contacts_token(session, account=runtime.account)
    if version is not None:
        return version
    with runtime.db.transaction() as session:
        version = contacts_token(session, account=runtime.account)
        return version or renew_token(session, account=runtime.account)


def _tokens(session: Session, account: str) -> tuple[str | None, str | None]:
    """The contacts version now, and the one they were last hashed at, in one query."""
    names = (CONTACTS_CHANGED, CONTACTS_JUDGED_AT)
    query = sa.select(Cursor.source, Cursor.value).where(
        Cursor.account == account, Cursor.source.in_(names)
    )
    values: dict[str, str] = {source: value for source, value in session.execute(query)}
    return values.get(CONTACTS_CHANGED), values.get(CONTACTS_JUDGED_AT)


def contacts_fingerprint(session: Session, account: str) -> str:
    """A digest of who the active Airtable contacts are (ids, emails, Inactive or not)."""
    query = (
        sa.select(Person.id, Person.airtable_record_id, Person.inactive, PersonEmail.email)
        .outerjoin(PersonEmail, PersonEmail.person_id == Person.id)
        .where(
            Person.account == account,
            Person.airtable_record_id.is_not(None),
            Person.airtable_deleted.is_(False),
        )
        .order_by(Person.airtable_record_id, Person.id)
    )  # plain rows, not people: this runs after every calendar pass
    people: dict[int, tuple[str | None, bool, list[str]]] = {}
    for person_id, record_id, inactive, email in session.execute(query):
        entry = people.setdefault(person_id, (record_id, inactive, []))
        if email is not None:
            entry[2].append(email)
    digest = hashlib.sha256()
    for record_id, inactive, emails in people.values():
        digest.update(f"{record_id}|{inactive}|{','.join(sorted(emails))}\n".encode())
    return digest.hexdigest()


def _recent_unmatched(session: Session, runtime: Runtime, now: dt.datetime) -> list[CalendarEvent]:
    """Stored events that are not meetings and end within the history window or later."""
    since = now - dt.timedelta(days=runtime.config.history_days)
    meetings = sa.select(Meeting.event_id).where(Meeting.account == runtime.account)
    query = sa.select(Event).where(
        Event.account == runtime.account,
        Event.calendar_id == runtime.config.calendar_id,
        Event.status != "cancelled",
        Event.event_id.not_in(meetings),
        sa.or_(
            Event.original_start.is_(None), Event.original_start >= since - dt.timedelta(days=2)
        ),
    )
    events = [event_from_json(row.data) for row in session.execute(query).scalars()]
    return [e for e in events if isinstance(e.end, dt.datetime) and e.end >= since]
