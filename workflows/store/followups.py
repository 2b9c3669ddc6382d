"""Follow-ups (thank-you, action item, progress update), keyed by their idempotency key.

followup, created = add_followup(s, key=..., kind="action_item", title=..., due=...)
has_open_followup(s, person_id, "progress_update")   # "while one is open no second one comes"
count_due_between(s, first, last, kind="progress_update")   # the per-day reminder cap
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.models import FOLLOWUP_STATUSES, Followup
from workflows.store.sql import insert_ignore


def add_followup(
    session: Session,
    *,
    key: str,
    kind: str,
    title: str,
    due: dt.date | None,
    person_id: int | None = None,
    meeting_id: int | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> tuple[Followup, bool]:
    """The follow-up with `key`, created if new; True as second item when it was created.

    Safe against a concurrent worker adding the same key: exactly one of them creates it.
    """
    values = {
        "account": account,
        "key": key,
        "kind": kind,
        "title": title,
        "due": due,
        "status": "open",
        "person_id": person_id,
        "meeting_id": meeting_id,
    }
    created = insert_ignore(session, Followup, values, ["account", "key"])
    followup = get_followup(session, key, account=account)
    assert followup is not None, "a follow-up row exists after insert-or-ignore"
    return followup, created


def get_followup(session: Session, key: str, *, account: str = DEFAULT_ACCOUNT) -> Followup | None:
    """The follow-up with idempotency key `key`."""
    query = sa.select(Followup).where(Followup.account == account, Followup.key == key)
    return session.execute(query).scalar_one_or_none()


def followup_by_airtable_id(
    session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> Followup | None:
    """The follow-up whose Airtable Follow-ups record is `record_id`."""
    query = sa.select(Followup).where(
        Followup.account == account, Followup.airtable_record_id == record_id
    )
    return session.execute(query).scalars().first()


def set_status(followup: Followup, status: str, *, at: dt.datetime) -> bool:
    """Change a follow-up's status (open, done, snoozed); True when it changed."""
    if status not in FOLLOWUP_STATUSES:
        raise ValueError(f"unknown follow-up status {status!r}; use one of {FOLLOWUP_STATUSES}")
    if followup.status == status:
        return False
    followup.status = status
    followup.done_at = at if status == "done" else None
    return True


def open_of_kind(
    person_id: int | sa.orm.InstrumentedAttribute[int],
    kind: str,
    *,
    account: str = DEFAULT_ACCOUNT,
) -> sa.Select[int]:
    """The person's follow-ups of `kind` not done yet (`person_id` may be a column: a subquery)."""
    return sa.select(Followup.id).where(
        Followup.account == account,
        Followup.person_id == person_id,
        Followup.kind == kind,
        Followup.status != "done",
    )


def count_due_between(
    session: Session, first: dt.date, last: dt.date, *, kind: str, account: str = DEFAULT_ACCOUNT
) -> dict[dt.date, int]:
    """How many follow-ups of `kind` fall due on each day from `first` to `last` (done or not;
    days with none are left out), in one query."""
    query = (
        sa.select(Followup.due, sa.func.count(Followup.id))
        .where(
            Followup.account == account,
            Followup.kind == kind,
            Followup.due >= first,
            Followup.due <= last,
        )
        .group_by(Followup.due)
    )
    return {day: int(count) for day, count in session.execute(query) if day is not None}


def open_followups(
    session: Session,
    *,
    account: str = DEFAULT_ACCOUNT,
    kinds: Sequence[str] | None = None,
    due_by: dt.date | None = None,
    person_id: int | None = None,
    limit: int = 100,
) -> list[Followup]:
    """Open follow-ups, soonest due first (optionally of `kinds`, due by `due_by`, for a person)."""
    query = sa.select(Followup).where(Followup.account == account, Followup.status == "open")
    if kinds is not None:
        query = query.where(Followup.kind.in_(kinds))
    if due_by is not None:
        query = query.where(Followup.due <= due_by)
    if person_id is not None:
        query = query.where(Followup.person_id == person_id)
    ordered = query.order_by(Followup.due.is_(None), Followup.due, Followup.id).limit(limit)
    return list(session.execute(ordered).scalars())
