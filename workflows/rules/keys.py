"""Deterministic idempotency keys: the same effect always gets the same key.

    thank_you_key(event_id, original_start)         -> "thank-you:{event_id}:{start}"
    draft_key(event_id, original_start)             -> "draft:{event_id}:{start}"
    action_key(event_id, original_start, todo_text) -> "action:{event_id}:{start}:{sha1[:12]}"
    update_key(contact, due_date)                   -> "update:{contact}:{YYYY-MM-DD}"
    message_id(key)                                 -> "<{sha256(key)[:32]}@followthrough.local>"

`original_start` is the occurrence's original start (`occurrence_start(event)`): for an
instance of a recurring series Google's `originalStartTime`, otherwise the start the store
recorded when the meeting was first seen, so that moving an event never changes its keys.
Instants are written in UTC (`2026-11-20T15:00:00Z`) so that the same instant in two
offsets gives the same key; dates as `YYYY-MM-DD`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from connectors.records import CalendarEvent

MESSAGE_ID_DOMAIN = "followthrough.local"


def instant_text(value: dt.datetime | dt.date) -> str:
    """The canonical text of an instant (UTC, seconds, `Z`) or a date (ISO)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be part of a key")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def occurrence_start(event: CalendarEvent) -> dt.datetime | dt.date | None:
    """The start that identifies this occurrence: the original start of an instance, else start."""
    return event.original_start or event.start


def normalize_todo(text: str) -> str:
    """A promise's text as compared for identity: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def thank_you_key(event_id: str, original_start: dt.datetime | dt.date) -> str:
    """The key of a meeting's Thank-you follow-up."""
    return f"thank-you:{event_id}:{instant_text(original_start)}"


def draft_key(event_id: str, original_start: dt.datetime | dt.date) -> str:
    """The key of a meeting's thank-you draft in Gmail (its Message-ID derives from it)."""
    return f"draft:{event_id}:{instant_text(original_start)}"


def action_key(event_id: str, original_start: dt.datetime | dt.date, todo_text: str) -> str:
    """The key of the Action item for one promise; edits of case or spacing keep the key."""
    digest = hashlib.sha1(normalize_todo(todo_text).encode("utf-8")).hexdigest()[:12]
    return f"action:{event_id}:{instant_text(original_start)}:{digest}"


def update_key(contact: str, due_date: dt.date) -> str:
    """The key of a Progress update reminder: the contact and the Next Update Due it answers."""
    return f"update:{contact}:{due_date.isoformat()}"


def message_id(key: str) -> str:
    """The RFC 5322 Message-ID for the effect with `key` (lets us find a draft again)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"
