"""Plain, typed records that connectors return and effects take: the shapes crossing layers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import quote

T = TypeVar("T")


@dataclass(frozen=True)
class Skipped:
    """A record a connector could not use, and why (logged, never raised)."""

    source: str
    record_id: str | None
    reason: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a sync: the records, what was skipped, and where to resume.

    `next_cursor` is set only on the last page of a pass (e.g. Calendar's nextSyncToken);
    `full_sync` is true when this pass started from scratch, so the consumer may reconcile
    deletions by absence.
    """

    records: tuple[T, ...]
    skipped: tuple[Skipped, ...] = ()
    next_cursor: str | None = None
    full_sync: bool = False
    last: bool = False


# --- Google Calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """One attendee of a calendar event."""

    email: str
    display_name: str | None = None
    response_status: str = "needsAction"  # needsAction | declined | tentative | accepted
    is_self: bool = False
    is_organizer: bool = False
    is_resource: bool = False


@dataclass(frozen=True)
class CalendarEvent:
    """A normalized Google Calendar event (or one instance of a recurring series).

    Timed events carry aware datetimes in `start`/`end`; all-day events carry dates and
    `all_day=True`. A cancelled event from an incremental sync may carry only `id` and
    `status` (Google's minimal tombstone), so everything else is optional.
    """

    id: str
    status: str  # confirmed | tentative | cancelled
    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None
    all_day: bool = False
    time_zone: str | None = None
    ical_uid: str | None = None
    recurring_event_id: str | None = None
    original_start: dt.datetime | dt.date | None = None
    organizer_email: str | None = None
    attendees: tuple[Attendee, ...] = ()
    title: str = ""
    description: str = ""
    event_type: str = "default"
    updated: dt.datetime | None = None
    html_link: str | None = None

    @property
    def cancelled(self) -> bool:
        """True when Google marks the event (or instance) cancelled."""
        return self.status == "cancelled"


@dataclass(frozen=True)
class CalendarPage(Page[CalendarEvent]):
    """A Calendar page; also carries the calendar's time zone from the events.list response."""

    calendar_time_zone: str | None = None


@dataclass(frozen=True)
class CalendarChannel:
    """A Calendar push channel: what it takes to verify its notifications and to stop it."""

    channel_id: str
    resource_id: str
    expiration: dt.datetime | None
    token: str = field(repr=False)  # a shared secret: never log it


# --- Google Contacts (People API) --------------------------------------------------------------


@dataclass(frozen=True)
class GoogleContact:
    """A normalized People API connection; `deleted` marks a tombstone from an incremental sync."""

    resource_name: str
    previous_resource_names: tuple[str, ...] = ()
    deleted: bool = False
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    emails: tuple[str, ...] = ()  # primary first
    company: str | None = None
    role: str | None = None
    phones: tuple[str, ...] = ()
    etag: str | None = None


# --- Airtable ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AirtableChange:
    """One record change read from the base's webhook payloads (deletions included)."""

    table: str  # table name (Contacts, Meetings, Follow-ups)
    record_id: str
    kind: str  # created | changed | destroyed
    changed_fields: tuple[str, ...] = ()
    # When the latest change to it was made; not part of what the change is.
    changed_at: dt.datetime | None = field(default=None, compare=False)


# --- Effects ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftMessage:
    """An email to be written as a Gmail draft (never sent): a thank-you, an ask, an update.

    A reply names the thread it joins and the message it answers: Gmail files a draft into
    `thread_id` only when its In-Reply-To/References name a message of that thread and its
    subject matches the thread's (`connectors.google.gmail.reply_subject`).
    """

    to: str
    subject: str
    body: str
    message_id: str  # deterministic, derived from the idempotency key
    to_name: str | None = None
    sender: str | None = None
    thread_id: str | None = None  # the Gmail thread a reply joins
    in_reply_to: str | None = None  # the Message-ID it answers
    references: tuple[str, ...] = ()  # the thread's Message-IDs, oldest first


@dataclass(frozen=True)
class DraftRef:
    """A Gmail draft as it exists: its ids and whether it is still a draft."""

    draft_id: str
    message_id: str
    gmail_message_id: str | None = None
    still_draft: bool = True
    thread_id: str | None = None  # where its sending and the contact's reply will show

    @property
    def url(self) -> str:
        """The link that opens the draft in Gmail."""
        return f"https://mail.google.com/mail/u/0/#drafts?compose={self._compose}"

    def url_for(self, account: str) -> str:
        """The link that opens the draft in `account`'s mailbox (authuser picks the account by
        address, where /u/0/ is whichever the browser signed in to first)."""
        return (
            f"https://mail.google.com/mail/?authuser={quote(account, safe='@')}"
            f"#drafts?compose={self._compose}"
        )

    @property
    def _compose(self) -> str:
        """The id Gmail's #drafts?compose= opens: the draft's current message (its draft id
        when the message is unknown); it changes whenever the draft's message is replaced."""
        return self.gmail_message_id or self.draft_id


@dataclass(frozen=True)
class TaskItem:
    """A Google Tasks item mirrored from a follow-up; `key` is kept in its notes."""

    title: str
    key: str
    due: dt.date | None = None
    notes: str = ""
    completed: bool = False
    task_id: str | None = None


@dataclass(frozen=True)
class GoogleCredentials:
    """An authorized-user credentials file's content (secrets: never log this object)."""

    token: str | None
    refresh_token: str
    token_uri: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = field(default_factory=tuple)
    expiry: dt.datetime | None = None

    def __repr__(self) -> str:
        return (
            f"GoogleCredentials(client_id={self.client_id!r}, token_uri={self.token_uri!r}, "
            "secrets=***)"
        )
