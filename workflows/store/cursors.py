"""Cursors: where each change feed resumes. Write one in the transaction that stores what it covers.

    with db.transaction() as s:
        ...store the page's records...
        set_cursor(s, "google.calendar:primary", page.next_cursor)
    # if anything above raised, neither the records nor the cursor were committed

Sources are free-form names; the workflows use `google_calendar:<calendar id>`,
`google_contacts` and `airtable:<webhook id>` (and `fact:` names, workflows.facts).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import Cursor
from workflows.store.sql import upsert

AIRTABLE_POLLING = "fact:airtable_polling"
"""The Airtable cursor while the base has no webhook (workflows.sync.airtable's `Polling`)."""


def get_cursor(session: Session, source: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
    """The stored cursor for `source`, or None (start from scratch)."""
    query = sa.select(Cursor.value).where(Cursor.account == account, Cursor.source == source)
    return session.execute(query).scalar_one_or_none()


def set_cursor(
    session: Session, source: str, value: str, *, account: str = DEFAULT_ACCOUNT
) -> None:
    """Store `value` as the cursor for `source`, inside the caller's transaction."""
    values = {"account": account, "source": source, "value": value, "updated_at": utcnow()}
    upsert(session, Cursor, values, ["account", "source"], ["value", "updated_at"])


def clear_cursor(session: Session, source: str, *, account: str = DEFAULT_ACCOUNT) -> None:
    """Forget the cursor for `source` (the next pass is a full resync)."""
    session.execute(sa.delete(Cursor).where(Cursor.account == account, Cursor.source == source))


def cursors_named(session: Session, source: str) -> dict[str, str]:
    """Every account's cursor for `source` (e.g. a fact the scheduler keeps), by account."""
    query = sa.select(Cursor.account, Cursor.value).where(Cursor.source == source)
    return {account: value for account, value in session.execute(query)}


def clear_cursors_named(session: Session, source: str) -> None:
    """Forget every account's cursor for `source`."""
    session.execute(sa.delete(Cursor).where(Cursor.source == source))
