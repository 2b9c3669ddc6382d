"""Small facts about an account learned while syncing: its first sync, calendar zone, own email.

They live beside the cursors (a `fact:` prefix keeps them apart) because they are written
in the same transactions as the cursors that taught them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy.orm import Session

from workflows.store.cursors import clear_cursor, get_cursor, set_cursor

FIRST_SYNC_AT = "fact:first_sync_at"
CALENDAR_ZONE = "fact:calendar_time_zone"
USER_EMAIL = "fact:user_email"
USER_NAME = "fact:user_name"
"""The name the user's calendar shows for them (their own attendee entry's display name): it
signs the drafts when FOLLOWTHROUGH_SENDER_NAME is not set."""
MAILBOX_EMAIL = "fact:mailbox_email"
"""The Gmail mailbox's own address (users.getProfile, asked once): draft links carry it as
authuser, so they open this mailbox in a browser signed in to several Google accounts."""
SOURCE_OFF = "fact:source_off:"
"""Per source (its name appended): why its last pass read nothing because its feature is off
(an optional scope not granted); absent while it is on."""
COMPLETED_IN_AIRTABLE = "fact:airtable_completed_events"
"""The Event IDs of Meetings rows already Completed when a new store first read a base that
held Meetings rows (a lost or new database on an existing account): their effects exist and
are not redone. Absent when the base had none: no earlier installation to look behind."""


def get_fact(session: Session, name: str, *, account: str) -> str | None:
    """The stored fact `name`, or None when not learned yet."""
    return get_cursor(session, name, account=account)


def set_fact(session: Session, name: str, value: str, *, account: str) -> None:
    """Store the fact `name` inside the caller's transaction."""
    set_cursor(session, name, value, account=account)


def clear_fact(session: Session, name: str, *, account: str) -> None:
    """Forget the fact `name` inside the caller's transaction."""
    clear_cursor(session, name, account=account)


def set_source_off(session: Session, source: str, why: str, *, account: str) -> None:
    """Note that `source` is off and why, or (with `why` empty) that it is on."""
    if why:
        set_fact(session, f"{SOURCE_OFF}{source}", why, account=account)
    else:
        clear_fact(session, f"{SOURCE_OFF}{source}", account=account)


def source_off(session: Session, source: str, *, account: str) -> str | None:
    """Why `source` is off, or None while it is on."""
    return get_fact(session, f"{SOURCE_OFF}{source}", account=account)


def first_sync_at(session: Session, *, account: str) -> dt.datetime | None:
    """When the account's first calendar sync ran (None before it)."""
    value = get_fact(session, FIRST_SYNC_AT, account=account)
    return dt.datetime.fromisoformat(value) if value else None


def ensure_first_sync_at(session: Session, now: dt.datetime, *, account: str) -> dt.datetime:
    """The account's first sync instant, recorded as `now` if this is the first."""
    known = first_sync_at(session, account=account)
    if known is not None:
        return known
    set_fact(session, FIRST_SYNC_AT, now.isoformat(), account=account)
    return now


def completed_in_airtable(session: Session, *, account: str) -> frozenset[str] | None:
    """The Event IDs whose Meetings rows were Completed before this store's first sync; None
    when the base had no Meetings rows then (nothing can have been done before this store)."""
    value = get_fact(session, COMPLETED_IN_AIRTABLE, account=account)
    return frozenset(json.loads(value)) if value is not None else None


def remember_completed_in_airtable(
    session: Session, event_ids: Iterable[str], *, account: str
) -> None:
    """Keep, on a new store's first read of the base, which meetings were completed before."""
    set_fact(session, COMPLETED_IN_AIRTABLE, json.dumps(sorted(set(event_ids))), account=account)
