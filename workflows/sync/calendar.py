"""Google Calendar into the store: every informational interview becomes a meeting with due work.

Each event seen (new, moved, cancelled, declined) is qualified against the people the
store knows, and its meeting's lifecycle decided by the rules. A meeting's completion is a
due-work row at its end plus the grace period, so the sweep runs it even when the message
that was meant to do so is lost. This pass itself writes nothing outside the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import chain

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session, selectinload

from connectors.records import CalendarEvent, CalendarPage
from workflows.duework.complete_meeting import KIND as COMPLETE_MEETING
from workflows.duework.complete_meeting import meeting_key, schedule_meeting
from workflows.duework.record_meeting import record_meeting_later
from workflows.duework.reschedule import check_later
from workflows.duework.write_brief import plan_brief
from workflows.facts import (
    CALENDAR_ZONE,
    USER_EMAIL,
    USER_NAME,
    ensure_first_sync_at,
    get_fact,
    set_fact,
)
from workflows.rules.clock import ensure_aware
from workflows.rules.emails import fold_email
from workflows.rules.keys import occurrence_start
from workflows.rules.lifecycle import (
    Action,
    KnownMeeting,
    MeetingStatus,
    decide_lifecycle,
    is_history,
)
from workflows.rules.notes import html_to_text, merge_notes
from workflows.rules.people import Directory, PersonView
from workflows.rules.qualify import Qualification, Reason, qualify
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.meetings import (
    cancel_meeting,
    insert_events,
    meetings_by_event,
    meetings_for_event,
    replace_event,
    stored_events,
    upsert_meeting,
)
from workflows.store.models import Event, Meeting, Person, PersonEmail
from workflows.store.people import PeopleBatch, find_person, person_view, save_person
from workflows.sync.calendar_cancelled import keep_cancelled
from workflows.sync.calendar_horizon import HORIZON, later_instances, note_series, within
from workflows.sync.report import SyncReport
from workflows.sync.stream import Stream, brings_changes

log = structlog.get_logger(__name__)

SOURCE = "google_calendar"


def sync_calendar(runtime: Runtime) -> SyncReport:
    """One incremental pass over the calendar (the first covers the configured window)."""
    google = runtime.need_google()
    calendar_id = runtime.config.calendar_id
    report = SyncReport(SOURCE, progress=runtime.on_sync_page)
    now = runtime.now()
    stream = Stream(runtime, calendar_cursor_name(runtime))
    window_start = now - dt.timedelta(days=runtime.config.first_sync_days)
    horizon = now + HORIZON
    with runtime.db.read() as session:
        cursor = stream.cursor_in(session)
        zone = get_fact(session, CALENDAR_ZONE, account=runtime.account)
    changed = google.calendar.sync(
        calendar_id, cursor, window_start=window_start, window_end=horizon
    )
    pages = chain(changed, later_instances(runtime, google.calendar, now))

    def apply(session: Session, page: CalendarPage) -> None:
        first_sync_at = ensure_first_sync_at(session, now, account=runtime.account)
        user_email = _learn_facts(runtime, session, page)
        _track_page(runtime, session, page, Tracker(runtime, session, user_email, first_sync_at))
        note_series(runtime, session, page, horizon if page.full_sync and page.last else None)

    def changes(page: CalendarPage) -> bool:  # an empty page may still say the zone moved
        return brings_changes(page) or page.calendar_time_zone not in (None, zone)

    stream.follow((within(page, horizon) for page in pages), apply, report, changes)
    return report


def calendar_cursor_name(runtime: Runtime) -> str:
    """The name of the configured calendar's sync-token cursor (absent before its first pass)."""
    return f"{SOURCE}:{runtime.config.calendar_id}"


def _track_page(runtime: Runtime, session: Session, page: CalendarPage, tracker: Tracker) -> None:
    """Store and track each event of a page; stored copies, meetings and people read at once."""
    if not page.records:
        return
    calendar_id, account = runtime.config.calendar_id, runtime.account
    ids = [event.id for event in page.records]
    stored = stored_events(session, ids, calendar_id=calendar_id, account=account)
    tracker.prepare(page.records)
    new: dict[str, CalendarEvent] = {}  # first seen: inserted together after the page
    for event in page.records:
        row = stored.get(event.id)
        if row is not None:
            earlier = _notes_of(row)
            replace_event(session, row, event, calendar_id=calendar_id, account=account)
        else:
            seen = new.get(event.id)  # the same id twice in one page: the last copy is kept
            earlier = html_to_text(seen.description or "") if seen is not None else None
            new[event.id] = event
        tracker.track(event, earlier_notes=earlier)
    insert_events(session, new.values(), calendar_id=calendar_id, account=account)


def _notes_of(seen: Event | None) -> str | None:
    """The notes the event's description held when last synced (None for a new event)."""
    if seen is None:
        return None
    return html_to_text(seen.data.get("description") or "")


def _attendee_emails(events: Iterable[CalendarEvent]) -> set[str]:
    return {a.email for event in events for a in event.attendees if a.email}


def build_directory(
    session: Session, account: str, *, emails: Iterable[str] | None = None
) -> Directory:
    """Everyone the store knows (or only the owners of `emails`), Airtable contacts first."""
    people: dict[int, Person] = {}
    if emails is None:
        query = sa.select(Person).where(Person.account == account)
        people.update((p.id, p) for p in session.execute(_with_emails(query)).scalars())
    else:
        folded = sorted({fold_email(e) for e in emails})
        for start in range(0, len(folded), 500):
            owners = sa.select(PersonEmail.person_id).where(
                PersonEmail.account == account, PersonEmail.email.in_(folded[start : start + 500])
            )
            query = sa.select(Person).where(Person.id.in_(owners))
            people.update((p.id, p) for p in session.execute(_with_emails(query)).scalars())
    ordered = sorted(people.values(), key=lambda p: (p.airtable_record_id is None, p.id))
    return Directory.of(person_view(p) for p in ordered)


def _with_emails(query: sa.Select[Person]) -> sa.Select[Person]:
    return query.options(selectinload(Person.emails))


def _learn_facts(runtime: Runtime, session: Session, page: CalendarPage) -> str:
    """Remember the calendar's time zone and the user's own address and name; return the
    address."""
    account = runtime.account
    if page.calendar_time_zone:
        set_fact(session, CALENDAR_ZONE, page.calendar_time_zone, account=account)
    name = _self_name(page.records)
    if name and name != get_fact(session, USER_NAME, account=account):
        set_fact(session, USER_NAME, name, account=account)
    known = get_fact(session, USER_EMAIL, account=account)
    found = _self_email(page.records)
    if found and found != known:
        set_fact(session, USER_EMAIL, found, account=account)
        return found
    if known:
        return known
    calendar_id = runtime.config.calendar_id
    return calendar_id if "@" in calendar_id else ""


def _self_email(events: Iterable[CalendarEvent]) -> str | None:
    for event in events:
        for attendee in event.attendees:
            if attendee.is_self and attendee.email:
                return attendee.email
    return None


def _self_name(events: Iterable[CalendarEvent]) -> str | None:
    """The display name the user's own attendee entry carries, when Google gives one."""
    for event in events:
        for attendee in event.attendees:
            if attendee.is_self and attendee.display_name and attendee.display_name.strip():
                return " ".join(attendee.display_name.split())
    return None


class Tracker:
    """Applies the lifecycle rules to each event of one page, inside its transaction."""

    def __init__(
        self, runtime: Runtime, session: Session, user_email: str, first_sync_at: dt.datetime
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.directory = Directory()
        self.known: dict[str, list[Meeting]] = {}  # meetings by event id, read for a whole page
        self.people: PeopleBatch | None = None  # the page's people, when read for a whole page
        self.user_email = user_email
        self.first_sync_at = first_sync_at
        self.account = runtime.account

    def prepare(self, events: Sequence[CalendarEvent]) -> None:
        """Read at once what tracking `events` needs: their attendees, meetings and people."""
        directory = build_directory(self.session, self.account, emails=_attendee_emails(events))
        self.directory = directory
        self.known = meetings_by_event(self.session, [e.id for e in events], account=self.account)
        self.people = PeopleBatch.load(self.session, list(directory.people), account=self.account)

    def track(self, event: CalendarEvent, *, earlier_notes: str | None = None) -> None:
        """Record, re-time or cancel the meeting of one event occurrence.

        `earlier_notes` is what the event's description said when last synced: a meeting
        whose notes differ from it has notes the user wrote in Airtable, and keeps them.
        """
        rows = self.known.pop(event.id, None)
        if rows is None:  # not read with the page (or its id came twice in one page)
            rows = meetings_for_event(self.session, event.id, account=self.account)
        if event.cancelled:
            for row in rows:
                self.cancel(row, "the event was cancelled or deleted")
            return
        occurrence = occurrence_start(event)
        if not isinstance(occurrence, dt.datetime):
            # all-day or timeless: never an interview, and never was one
            log.debug("calendar.not_interview", event_id=event.id, reason=Reason.ALL_DAY.value)
            return
        current = _current_row(rows, event, occurrence)
        if current is not None:
            occurrence = current.original_start
        decision_input = qualify(
            event,
            user_email=self.user_email,
            directory=self.directory,
            policy=self.runtime.qualify_policy(),
        )
        if not decision_input.qualified and current is None:
            _log_not_interview(event, decision_input.reason)
            return
        self._decide(event, occurrence, current, decision_input, earlier_notes)

    def _decide(
        self,
        event: CalendarEvent,
        occurrence: dt.datetime,
        row: Meeting | None,
        found: Qualification,
        earlier_notes: str | None,
    ) -> None:
        known = _known(row)
        emails = found.contact.emails if found.contact else _emails_of(row)
        decision = decide_lifecycle(
            event,
            known=known,
            contact_emails=emails,
            still_qualifies=found.qualified,
            grace=self.runtime.config.grace,
        )
        if decision.action is Action.CANCEL and row is not None:
            self.cancel(row, decision.reason)
        elif decision.action is Action.CANCEL and found.contact is not None:
            keep_cancelled(self, event, occurrence, found.contact, decision.reason)
        elif decision.action in (Action.SCHEDULE, Action.RETIME, Action.UNCHANGED):
            assert decision.due_at is not None
            notes = merge_notes(event.description, row.notes if row else None, earlier_notes)
            self._schedule(event, occurrence, row, found.contact, decision.due_at, notes)

    def _schedule(
        self,
        event: CalendarEvent,
        occurrence: dt.datetime,
        row: Meeting | None,
        contact: PersonView | None,
        due_at: dt.datetime,
        notes: str,
    ) -> None:
        assert isinstance(event.start, dt.datetime) and isinstance(event.end, dt.datetime)
        person_id = self.person_id(contact) if contact is not None else None
        if row is not None and row.status == "cancelled":
            row.status, row.cancelled_at = "scheduled", None
        meeting = upsert_meeting(
            self.session,
            event_id=event.id,
            original_start=occurrence,
            title=event.title,
            start=event.start,
            end=event.end,
            person_id=person_id,
            history=is_history(
                event.end,
                first_sync_at=self.first_sync_at,
                history_days=self.runtime.config.history_days,
            ),
            notes=notes or None,
            account=self.account,
        )
        now, before = self.runtime.now(), self.runtime.config.brief_before
        schedule_meeting(self.session, meeting, due_at, now=now, account=self.account)
        plan_brief(self.session, meeting, now=now, before=before, account=self.account)
        log.info("calendar.meeting_scheduled", event_id=event.id, due_at=due_at.isoformat())

    def person_id(self, contact: PersonView) -> int:
        """The stored person; an attendee nobody knows yet is stored first.

        A person already stored is not saved again: the view was read before this
        transaction took the people lock, and writing it back could undo what a sync running
        beside this one stored since (PostgreSQL).
        """
        known = (
            self.people.find(contact.email)
            if self.people is not None
            else find_person(self.session, contact.email or "", account=self.account)
        )
        if known is not None and known.id is not None:
            return known.id
        if self.people is None:
            return save_person(self.session, contact, account=self.account).id
        person = self.people.save(contact)
        if person.id is None:
            self.session.flush()
        return person.id

    def cancel(self, row: Meeting, reason: str) -> None:
        """Cancel the meeting: no completion, its row says Cancelled, a reschedule check."""
        if cancel_meeting(row, at=self.runtime.now()):
            due.cancel(self.session, COMPLETE_MEETING, meeting_key(row), account=self.account)
            record_meeting_later(self.session, row, self.runtime.now(), account=self.account)
            check_later(self.session, row, account=self.account)
            log.info("calendar.meeting_cancelled", event_id=row.event_id, reason=reason)


def _log_not_interview(event: CalendarEvent, reason: Reason) -> None:
    """Say why an event is no interview: at debug, or as a warning for unusable data."""
    if reason is Reason.OUT_OF_RANGE:
        log.warning("calendar.skipped", source="calendar", record_id=event.id, reason=reason.value)
    else:
        log.debug("calendar.not_interview", event_id=event.id, reason=reason.value)


def _current_row(
    rows: list[Meeting], event: CalendarEvent, occurrence: dt.datetime
) -> Meeting | None:
    """The stored meeting of this occurrence: a moved one-off event keeps its first-seen start.

    Its start is its identity only until it moves (workflows.rules.keys); matching on the new
    start would make a second meeting, and a second thank-you draft, for one interview.
    Starts are compared in UTC: Python never finds a time in a DST fold (the repeated
    01:30) equal to the same instant in another zone.
    """
    if event.recurring_event_id is None and rows:
        return rows[0]
    instant = ensure_aware(occurrence)
    return next((r for r in rows if ensure_aware(r.original_start) == instant), None)


def _known(row: Meeting | None) -> KnownMeeting | None:
    if row is None:
        return None
    return KnownMeeting(status=MeetingStatus(row.status.capitalize()), start=row.start, end=row.end)


def _emails_of(row: Meeting | None) -> tuple[str, ...]:
    if row is None or row.person is None:
        return ()
    return tuple(e.original for e in row.person.emails)
