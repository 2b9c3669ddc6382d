"""Everything a completed interview owes, planned in one pure call for a thin actor to apply.

    plan = plan_completion(CompletedMeeting(...), CompletionSettings(...))
    plan.notes            -> the Meetings record's Notes: the meeting's, as plain text
    plan.draft            -> DraftMessage or None (history, or no usable email: see plan.skipped),
                             to the address the contact was invited at
    plan.draft_key        -> the draft's idempotency key (its Message-ID derives from it)
    plan.draft_facts      -> what the draft says (names, insights, promises): what a model's
                             rewrite must keep, and what a notes edit adds to it
    plan.followups        -> Thank-you and Action items, each with its key
    plan.contact_update   -> Last Met, Next Update Due, Stage

The actor records each effect in the ledger under its key, applies it through a connector,
and marks the meeting Completed. Running this again gives the same plan and the same keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jinja2

from connectors.errors import SkipRecord
from connectors.records import DraftMessage
from workflows.rules.clock import local_date
from workflows.rules.draft import ThankYouInput, compose_thank_you
from workflows.rules.emails import fold_email
from workflows.rules.followups import FollowUpPlan, plan_followups
from workflows.rules.keys import draft_key
from workflows.rules.lifecycle import DEFAULT_HISTORY_DAYS, effects_for
from workflows.rules.notes import ParsedNotes, html_to_text, parse_notes
from workflows.rules.people import PersonView
from workflows.rules.polish import DraftFacts
from workflows.rules.reminders import (
    DEFAULT_CADENCE_DAYS,
    ContactUpdate,
    after_meeting,
    cadence_days,
)


@dataclass(frozen=True)
class CompletedMeeting:
    """A meeting whose completion is due, as the store and the sources know it."""

    event_id: str
    original_start: dt.datetime | dt.date  # keys.occurrence_start, or the start first recorded
    title: str
    start: dt.datetime
    end: dt.datetime
    contact: PersonView
    notes: str | None = None  # as the store keeps them (merged by the sync); maybe Google's HTML
    attendee_email: str | None = None  # the address they were invited at: the draft goes there


@dataclass(frozen=True)
class CompletionSettings:
    """The settings completion depends on (built once by the service)."""

    zone: dt.tzinfo
    sender_name: str
    first_sync_at: dt.datetime
    sender_email: str | None = None
    completed_before: frozenset[str] | None = None
    """Event IDs an earlier store completed (a lost or new database): nothing is redone; None
    when the base held no Meetings rows at this store's first sync (no earlier store)."""
    history_days: int = DEFAULT_HISTORY_DAYS
    default_cadence: int = DEFAULT_CADENCE_DAYS
    title_pattern: re.Pattern[str] | None = None
    templates: jinja2.Environment | None = None
    now: dt.datetime | None = None
    """When the plan is made (the draft says "today" or "yesterday" from it); None: the date."""


@dataclass(frozen=True)
class CompletionPlan:
    """The effects of one completed meeting, each with what is needed to apply it exactly once."""

    history: bool
    notes: str
    draft_key: str
    draft: DraftMessage | None
    followups: tuple[FollowUpPlan, ...]
    contact_update: ContactUpdate
    skipped: tuple[str, ...] = ()
    draft_facts: DraftFacts | None = None


def _draft(
    meeting: CompletedMeeting,
    settings: CompletionSettings,
    notes: str,
    parsed: ParsedNotes,
    key: str,
) -> tuple[DraftMessage, DraftFacts]:
    item = ThankYouInput(
        key=key,
        contact_email=meeting.attendee_email or meeting.contact.email or "",
        contact_name=meeting.contact.name,
        first_name=meeting.contact.first_name,
        meeting_title=meeting.title,
        meeting_start=meeting.start,
        zone=settings.zone,
        sender_name=settings.sender_name,
        insights=parsed.insights,
        todos=parsed.todos,
        sender_email=settings.sender_email,
        company=meeting.contact.company,
        role=meeting.contact.role,
        notes=notes,
        written_at=settings.now,
    )
    message = compose_thank_you(item, env=settings.templates, title_pattern=settings.title_pattern)
    return message, DraftFacts.of(item)


def invited_address(contact: PersonView, invitees: Iterable[str]) -> str | None:
    """The address `contact` was invited at, as the invite writes it: the thank-you goes there,
    not to another of their addresses (Airtable's primary, or one Google Contacts knows)."""
    theirs = contact.folded_emails
    return next((a.strip() for a in invitees if a and fold_email(a) in theirs), None)


def plan_completion(meeting: CompletedMeeting, settings: CompletionSettings) -> CompletionPlan:
    """Plan the Meetings record, draft, follow-ups and contact update of a completed meeting."""
    effects = effects_for(
        meeting.end, first_sync_at=settings.first_sync_at, history_days=settings.history_days
    )
    notes = html_to_text(meeting.notes or "").strip()
    parsed = parse_notes(notes)
    key = draft_key(meeting.event_id, meeting.original_start)
    draft: DraftMessage | None = None
    facts: DraftFacts | None = None
    skipped: list[str] = []
    if effects.draft:
        try:
            draft, facts = _draft(meeting, settings, notes, parsed, key)
        except SkipRecord as exc:
            skipped.append(str(exc))
    followups = plan_followups(
        event_id=meeting.event_id,
        original_start=meeting.original_start,
        meeting_start=meeting.start,
        zone=settings.zone,
        first_name=meeting.contact.first_name,
        todos=parsed.todos,
        with_notes=bool(parsed.insights or parsed.todos),
        thank_you=effects.thank_you,
        action_items=effects.action_items,
        seen_at=settings.now if meeting.end <= settings.first_sync_at else None,
    )
    update = after_meeting(
        stage=meeting.contact.stage,
        last_met=meeting.contact.last_met,
        meeting_date=local_date(meeting.start, settings.zone),
        cadence=cadence_days(meeting.contact.update_every_days, settings.default_cadence),
    )
    history = not effects.draft
    return CompletionPlan(history, notes, key, draft, followups, update, tuple(skipped), facts)
