"""Is this calendar event an informational interview?

    qualify(event, user_email=..., directory=..., policy=QualifyPolicy()) -> Qualification

An event qualifies when it is timed (not all-day) within the years rules compute with
(1900-8999), ends after it starts (in absolute time: across a DST change the wall clock may
say otherwise), of the default event type, not cancelled, not declined by the user, has at
most `policy.max_other_attendees` other attendees, and either one of them is an Airtable
contact whose Stage is not Inactive, or its title matches `policy.title_pattern` (whole
words only: see `whole_words`). An instance of a recurring series qualifies only by title.
The decision says why, which person is the contact, and whether that person must be added
to Airtable Contacts (`add_to_airtable`, with what Google Contacts knows of them).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.records import Attendee, CalendarEvent
from workflows.rules.clock import ensure_aware, within_reach
from workflows.rules.emails import plain_address
from workflows.rules.people import (
    Directory,
    PersonView,
    external_attendees,
    other_attendees,
    self_entries,
)

DEFAULT_TITLE_TERMS = ("informational", "info interview", "coffee chat", "career chat")


_EDGE = r"(?!(?<=\w)\w)"  # a match never starts or ends between two letters of one word
_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))*")  # global flags must stay in front


def whole_words(pattern: str) -> re.Pattern[str]:
    r"""The user's `pattern`, case-insensitive, matching only where it does not cut a word.

    "informational" finds "Informational interview" but not "Disinformational meeting";
    "coffee chat" not "coffee chatbot demo". A pattern meant to reach into words says so
    (`mentor\w*`). re.error when `pattern` is not a regular expression.
    """
    flags = _LEADING_FLAGS.match(pattern).group(0)  # type: ignore[union-attr]
    body = pattern[len(flags) :]
    tail = "\n" if "x" in flags else ""  # a verbose pattern's last comment must not eat ")"
    return re.compile(f"{flags}{_EDGE}(?:{body}{tail}){_EDGE}", re.IGNORECASE)


def title_pattern_from(terms: Iterable[str]) -> re.Pattern[str]:
    """A whole-word pattern matching any term; spaces in a term match spaces or dashes."""
    parts = [r"[\s_-]+".join(re.escape(word) for word in term.split()) for term in terms]
    alternatives = "|".join(part for part in parts if part)
    if not alternatives:
        return re.compile(r"(?!)")  # no terms: nothing qualifies by title
    return whole_words(alternatives)


class Reason(enum.StrEnum):
    """Why an event does or does not qualify (stable values, fit for logs and the store)."""

    BY_CONTACT = "qualified: an attendee is an active Airtable contact"
    BY_TITLE = "qualified: the title matches the interview pattern"
    CANCELLED = "skipped: the event is cancelled"
    NO_TIMES = "skipped: the event has no start or end time"
    OUT_OF_RANGE = "skipped: the event's times are outside the years 1900 to 8999"
    END_BEFORE_START = "skipped: the event ends before it starts"
    ALL_DAY = "skipped: an all-day event"
    NOT_DEFAULT_TYPE = "skipped: not a regular event (focus time, out of office, ...)"
    DECLINED_BY_USER = "skipped: you declined it"
    TOO_MANY_ATTENDEES = "skipped: more than the allowed number of other attendees"
    NO_CONTACT = "skipped: no attendee outside your organisation with an email"
    RECURRING_NO_TITLE = "skipped: a recurring event qualifies only by its title"
    NO_MATCH = "skipped: no active Airtable contact and the title does not match"


@dataclass(frozen=True)
class QualifyPolicy:
    """The configurable part of qualification."""

    title_pattern: re.Pattern[str] = field(
        default_factory=lambda: title_pattern_from(DEFAULT_TITLE_TERMS)
    )
    max_other_attendees: int = 3

    @classmethod
    def from_terms(cls, terms: Iterable[str], max_other_attendees: int = 3) -> QualifyPolicy:
        """A policy whose title pattern matches any of `terms` (case-insensitive)."""
        return cls(title_pattern_from(terms), max_other_attendees)

    @classmethod
    def from_pattern(cls, pattern: str, max_other_attendees: int = 3) -> QualifyPolicy:
        """A policy for the user's regular expression (FOLLOWTHROUGH_INTERVIEW_TITLE_PATTERN)."""
        return cls(whole_words(pattern), max_other_attendees)


@dataclass(frozen=True)
class Qualification:
    """The decision for one event: qualified or why not, and who the contact is."""

    qualified: bool
    reason: Reason
    contact: PersonView | None = None
    attendee: Attendee | None = None
    add_to_airtable: bool = False


def _skip(reason: Reason) -> Qualification:
    return Qualification(qualified=False, reason=reason)


def _date_only(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _shape_problem(event: CalendarEvent, user_email: str, policy: QualifyPolicy) -> Reason | None:
    """The first reason the event's shape rules it out, if any."""
    if event.cancelled:
        return Reason.CANCELLED
    if event.all_day or _date_only(event.start) or _date_only(event.end):
        return Reason.ALL_DAY
    if not isinstance(event.start, dt.datetime) or not isinstance(event.end, dt.datetime):
        return Reason.NO_TIMES
    if not (within_reach(event.start) and within_reach(event.end)):
        return Reason.OUT_OF_RANGE
    if ensure_aware(event.end) < ensure_aware(event.start):
        return Reason.END_BEFORE_START
    if event.event_type != "default":
        return Reason.NOT_DEFAULT_TYPE
    if any(a.response_status == "declined" for a in self_entries(event, user_email)):
        return Reason.DECLINED_BY_USER
    if len(other_attendees(event, user_email)) > policy.max_other_attendees:
        return Reason.TOO_MANY_ATTENDEES
    return None


def _active_contact(
    candidates: tuple[Attendee, ...], directory: Directory
) -> tuple[Attendee, PersonView] | None:
    for attendee in candidates:
        person = directory.find(attendee.email)
        if person is not None and person.in_airtable and not person.inactive:
            return attendee, person
    return None


def _by_title(candidates: tuple[Attendee, ...], directory: Directory) -> Qualification:
    """The contact of an event that qualifies by title: a known person first, else the first."""
    known = [(a, directory.find(a.email)) for a in candidates]
    attendee, person = next(((a, p) for a, p in known if p and p.in_airtable), known[0])
    if person is None:
        person = PersonView(
            name=attendee.display_name or "", emails=(plain_address(attendee.email),)
        )
    return Qualification(
        qualified=True,
        reason=Reason.BY_TITLE,
        contact=person,
        attendee=attendee,
        add_to_airtable=not person.in_airtable,
    )


def qualify(
    event: CalendarEvent,
    *,
    user_email: str,
    directory: Directory,
    policy: QualifyPolicy | None = None,
) -> Qualification:
    """Decide whether `event` is an informational interview, and with whom."""
    policy = policy or QualifyPolicy()
    problem = _shape_problem(event, user_email, policy)
    if problem is not None:
        return _skip(problem)
    candidates = external_attendees(event, user_email)
    if not candidates:
        return _skip(Reason.NO_CONTACT)
    title_matches = policy.title_pattern.search(event.title or "") is not None
    active = _active_contact(candidates, directory)
    if active is not None and not event.recurring_event_id:
        attendee, person = active
        return Qualification(True, Reason.BY_CONTACT, contact=person, attendee=attendee)
    if title_matches:
        return _by_title(candidates, directory)
    if event.recurring_event_id and active is not None:
        return _skip(Reason.RECURRING_NO_TITLE)
    return _skip(Reason.NO_MATCH)
