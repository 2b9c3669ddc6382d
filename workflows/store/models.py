"""The tables: people and their emails, events and meetings, follow-ups, and the reliability tables.

Status and kind columns hold lowercase codes (see the `*_STATUSES` / `*_KINDS` tuples); mapping
them to Airtable's select labels is the connectors' and workflows' business.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.store.base import AccountMixin, Base, TimestampMixin

MEETING_STATUSES = ("scheduled", "completed", "cancelled")
FOLLOWUP_KINDS = (
    "thank_you",
    "action_item",
    "progress_update",
    "ask",
    "nudge",
    "prepare",
    "reschedule",
    "thank_introducer",
)
FOLLOWUP_STATUSES = ("open", "done", "snoozed")
EFFECT_STATUSES = ("pending", "applied", "failed")
CHANNEL_PROVIDERS = ("google_calendar", "airtable")

# --- people ------------------------------------------------------------------------------------


class Person(AccountMixin, TimestampMixin, Base):
    """One person, whatever the sources (Airtable Contacts, Google Contacts, calendar attendees)."""

    __tablename__ = "people"
    __table_args__ = (
        sa.UniqueConstraint("account", "airtable_record_id"),
        sa.UniqueConstraint("account", "google_resource_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(300))
    company: Mapped[str | None] = mapped_column(sa.String(300))
    role: Mapped[str | None] = mapped_column(sa.String(300))
    # Google's own, kept so that Airtable emptying its value lets Google's show again.
    google_company: Mapped[str | None] = mapped_column(sa.String(300))
    google_role: Mapped[str | None] = mapped_column(sa.String(300))
    stage: Mapped[str | None] = mapped_column(sa.String(64))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    update_every_days: Mapped[int | None]
    last_met: Mapped[dt.date | None]
    next_update_due: Mapped[dt.date | None]
    why_them: Mapped[str | None] = mapped_column(sa.Text)
    # The introducer's Contacts record id (Airtable's Referred By; the first when several).
    referred_by: Mapped[str | None] = mapped_column(sa.String(64))
    airtable_record_id: Mapped[str | None] = mapped_column(sa.String(64))
    google_resource_name: Mapped[str | None] = mapped_column(sa.String(128))
    inactive: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    google_deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    airtable_deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Loaded with the person, so person_view() works after the session has ended.
    emails: Mapped[list[PersonEmail]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        order_by="PersonEmail.id",
        lazy="selectin",
    )

    @property
    def primary_email(self) -> str | None:
        """The address to write to: the primary one, else the first known (original spelling)."""
        chosen = next((e for e in self.emails if e.is_primary), None) or next(
            iter(self.emails), None
        )
        return chosen.original if chosen else None

    @property
    def live_airtable_id(self) -> str | None:
        """The person's row in the user's Airtable Contacts table, unless it was deleted."""
        return self.airtable_record_id if not self.airtable_deleted else None


class PersonEmail(AccountMixin, Base):
    """One email address of a person: `email` is the folded form, unique within an account."""

    __tablename__ = "person_emails"
    __table_args__ = (sa.UniqueConstraint("account", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320))
    original: Mapped[str] = mapped_column(sa.String(320))
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    person: Mapped[Person] = relationship(back_populates="emails")


# --- calendar ----------------------------------------------------------------------------------


class Event(AccountMixin, Base):
    """The last seen state of a calendar event (or instance), normalized, as the sync saw it."""

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("account", "calendar_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[str] = mapped_column(
        sa.String(256), default="primary", server_default="primary"
    )
    event_id: Mapped[str] = mapped_column(sa.String(256))
    original_start: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    updated: Mapped[dt.datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    synced_at: Mapped[dt.datetime]


class Meeting(AccountMixin, TimestampMixin, Base):
    """An informational interview: one occurrence of an event, its lifecycle and its effects."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("account", "event_id", "original_start"),
        sa.Index("ix_meetings_account_status_end", "account", "status", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(256))
    original_start: Mapped[dt.datetime]
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(1024), default="")
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16), default="scheduled")
    history: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    notes: Mapped[str | None] = mapped_column(sa.Text)
    airtable_record_id: Mapped[str | None] = mapped_column(sa.String(64))
    draft_id: Mapped[str | None] = mapped_column(sa.String(128))
    draft_message_id: Mapped[str | None] = mapped_column(sa.String(512))
    draft_url: Mapped[str | None] = mapped_column(sa.String(1024))
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    person: Mapped[Person | None] = relationship()


class Followup(AccountMixin, TimestampMixin, Base):
    """A follow-up (thank-you, action item, progress update), keyed by its idempotency key."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.UniqueConstraint("account", "key"),
        sa.Index("ix_followups_account_status_due", "account", "status", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(512))
    kind: Mapped[str] = mapped_column(sa.String(32))
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(1024))
    due: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    airtable_record_id: Mapped[str | None] = mapped_column(sa.String(64))
    task_id: Mapped[str | None] = mapped_column(sa.String(128))
    done_at: Mapped[dt.datetime | None]


class Milestone(AccountMixin, TimestampMixin, Base):
    """A row of the user's Airtable Milestones table: their news, and whom it concerns."""

    __tablename__ = "milestones"
    __table_args__ = (sa.UniqueConstraint("account", "airtable_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    airtable_record_id: Mapped[str] = mapped_column(sa.String(64))
    what: Mapped[str] = mapped_column(sa.String(1024))
    date: Mapped[dt.date | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # The linked Contacts record ids (Airtable's Contacts field), in the row's order.
    contact_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    seen_at: Mapped[dt.datetime]  # when the store first saw it (the domain clock)


# --- reliability -------------------------------------------------------------------------------


class Effect(AccountMixin, Base):
    """The effects ledger: one row per external effect, written before and after the call."""

    __tablename__ = "effects"
    __table_args__ = (sa.UniqueConstraint("account", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(512))
    kind: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    external_id: Mapped[str | None] = mapped_column(sa.String(512))
    detail: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[dt.datetime | None]
    claimed_until: Mapped[dt.datetime | None]
    applied_at: Mapped[dt.datetime | None]


class DueWork(AccountMixin, Base):
    """Work that falls due at `due_at` (a meeting's end plus grace, a reminder, a sync)."""

    __tablename__ = "due_work"
    __table_args__ = (
        sa.UniqueConstraint("account", "kind", "key"),
        sa.Index("ix_due_work_done_at_due_at", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(512))
    due_at: Mapped[dt.datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done_at: Mapped[dt.datetime | None]
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    claimed_until: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime]


class AirtableWrite(AccountMixin, Base):
    """The digest of one cell Followthrough wrote to Airtable, kept until the feed has shown it."""

    __tablename__ = "airtable_writes"
    __table_args__ = (
        sa.UniqueConstraint("account", "record_id", "field", "digest"),
        sa.Index("ix_airtable_writes_written_at", "written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(32))
    field: Mapped[str] = mapped_column(sa.String(255))
    digest: Mapped[str] = mapped_column(sa.String(32))
    written_at: Mapped[dt.datetime]


class Cursor(AccountMixin, Base):
    """Where a source's change feed resumes (a sync token, an Airtable payload cursor)."""

    __tablename__ = "cursors"
    __table_args__ = (sa.UniqueConstraint("account", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(128))
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime]


class Lease(AccountMixin, Base):
    """A named lease (the scheduler's): one holder at a time until it expires."""

    __tablename__ = "leases"
    __table_args__ = (sa.UniqueConstraint("account", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    holder: Mapped[str] = mapped_column(sa.String(256))
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class ConnectorStatus(AccountMixin, Base):
    """A connector's health for the status page: last success, last error, records seen."""

    __tablename__ = "connector_status"
    __table_args__ = (sa.UniqueConstraint("account", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(128))
    last_success_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[dt.datetime | None]
    records: Mapped[int] = mapped_column(default=0, server_default="0")


class ErrorLog(AccountMixin, Base):
    """A recent error, kept for the status page (trimmed to the newest few per account)."""

    __tablename__ = "error_log"
    __table_args__ = (sa.Index("ix_error_log_account_occurred_at", "account", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(128))
    message: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[dt.datetime]


class WebhookChannel(AccountMixin, Base):
    """A push channel: a Calendar watch channel or an Airtable webhook, with its secrets.

    A channel belongs to one account and is found only through it: an account storing a
    channel id that another account also uses gets a row of its own, never the other's.
    """

    __tablename__ = "webhook_channels"
    __table_args__ = (sa.UniqueConstraint("account", "provider", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    channel_id: Mapped[str] = mapped_column(sa.String(256))
    target: Mapped[str | None] = mapped_column(sa.String(256))  # calendar id or Airtable base id
    token: Mapped[str | None] = mapped_column(sa.String(512))  # Calendar channel token (secret)
    resource_id: Mapped[str | None] = mapped_column(sa.String(256))
    mac_secret: Mapped[str | None] = mapped_column(sa.String(512))  # Airtable, base64 (secret)
    address: Mapped[str | None] = mapped_column(sa.String(1024))  # where it notifies (None: polled)
    expires_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]  # an Airtable feed's last read (domain clock)
    created_at: Mapped[dt.datetime]


# --- accounts ----------------------------------------------------------------------------------

ACCOUNT_STATES = ("active", "disabled")


class Account(TimestampMixin, Base):
    """An account beyond the default one (whose settings are the service's own).

    The secrets are Fernet tokens (workflows.sealing), never plain text; `revision` grows
    with every change but a refreshed Google token, so a cached runtime knows it is stale.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    google_credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    airtable_token: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    airtable_base_id: Mapped[str | None] = mapped_column(sa.String(64))
    google_link: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # a pending web consent
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
