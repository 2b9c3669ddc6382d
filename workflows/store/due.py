"""Due work: rows with a `due_at` that a sweep hands out, so nothing due is ever lost.

    schedule(s, "complete_meeting", key, due_at, payload={...})  # idempotent; re-times if not done
    cancel(s, kind, key)   /   reopen(s, kind, key)            # a meeting cancelled / revived
    with db.transaction() as s:
        items = claim_due(s, now, limit=50)      # each item goes to exactly one claimer
    ... enqueue / run each item, then in a new transaction:
        mark_done(s, item.kind, item.key)   or   release(s, item.kind, item.key, error=...)
    purge_done(s, due_before)                     # finished work that fell due long ago

`now` is the domain clock (what is due); claims are leases on the wall clock (`wall_now`),
so a claimer that crashed is re-offered its items once `claim_for` has passed, even under
a frozen domain clock. On PostgreSQL claimers skip each other's locked rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import DueWork
from workflows.store.sql import changed, upsert

DEFAULT_CLAIM = dt.timedelta(minutes=5)
_MAX_ERROR = 2000


@dataclass(frozen=True)
class DueItem:
    """One piece of due work as claimed or read (safe to use after the transaction ends)."""

    account: str
    kind: str
    key: str
    due_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    claimed_until: dt.datetime | None = None
    done_at: dt.datetime | None = None
    cancelled: bool = False
    last_error: str | None = None


def schedule(
    session: Session,
    kind: str,
    key: str,
    due_at: dt.datetime,
    *,
    payload: dict[str, Any] | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> None:
    """Make `kind`/`key` due at `due_at`: created once, re-timed (payload replaced) until done."""
    values = {
        "account": account,
        "kind": kind,
        "key": key,
        "due_at": due_at,
        "payload": payload or {},
        "created_at": utcnow(),
    }
    changed = ["due_at", "payload"] if payload is not None else ["due_at"]
    upsert(session, DueWork, values, ["account", "kind", "key"], changed, DueWork.done_at.is_(None))


def claim_due(
    session: Session,
    now: dt.datetime,
    *,
    limit: int = 100,
    kinds: Sequence[str] | None = None,
    account: str | None = None,
    claim_for: dt.timedelta = DEFAULT_CLAIM,
    wall_now: dt.datetime | None = None,
) -> list[DueItem]:
    """Claim up to `limit` items due by `now`, oldest first; `account=None` sweeps every account."""
    wall = wall_now or utcnow()
    query = _claimable(now, wall, kinds, account).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.execute(query).scalars())
    if not ids:
        return []
    session.execute(
        sa.update(DueWork)
        .where(DueWork.id.in_(ids))
        .values(claimed_until=wall + claim_for, attempts=DueWork.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        sa.select(DueWork)
        .where(DueWork.id.in_(ids))
        .order_by(DueWork.due_at, DueWork.id)
        .execution_options(populate_existing=True)
    ).scalars()
    return [_item(row) for row in rows]


def mark_done(
    session: Session,
    kind: str,
    key: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    wall_now: dt.datetime | None = None,
) -> bool:
    """Record the work as done (it is never offered again); False when it was done already."""
    values = {"done_at": wall_now or utcnow(), "claimed_until": None, "last_error": None}
    return _update(session, account, kind, key, values)


def cancel(session: Session, kind: str, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
    """Withdraw work that is no longer wanted (e.g. a cancelled meeting); False if already done."""
    values = {"done_at": utcnow(), "cancelled": True, "claimed_until": None}
    return _update(session, account, kind, key, values)


def reopen(session: Session, kind: str, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
    """Offer cancelled work again (a meeting un-cancelled); work done for real stays done."""
    statement = (
        sa.update(DueWork)
        .where(
            DueWork.account == account,
            DueWork.kind == kind,
            DueWork.key == key,
            DueWork.cancelled.is_(True),
        )
        .values(done_at=None, cancelled=False, claimed_until=None)
    )
    return changed(session, statement) > 0


def release(
    session: Session,
    kind: str,
    key: str,
    *,
    error: str | None = None,
    retry_at: dt.datetime | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> bool:
    """Give a claimed item back (after a failure): offered again now, or from `retry_at`."""
    values: dict[str, Any] = {"claimed_until": None}
    if error is not None:
        values["last_error"] = error[:_MAX_ERROR]
    if retry_at is not None:
        values["due_at"] = retry_at
    return _update(session, account, kind, key, values)


def release_claims(session: Session, *, account: str | None = None) -> int:
    """Hand back every claim on work not done (an embedded service starting after a crash:
    its in-process queue died with it, so no other claimer can exist); returns how many."""
    statement = sa.update(DueWork).where(
        DueWork.done_at.is_(None), DueWork.claimed_until.is_not(None)
    )
    if account is not None:
        statement = statement.where(DueWork.account == account)
    values = statement.values(claimed_until=None).execution_options(synchronize_session=False)
    return changed(session, values)


def get_due(
    session: Session, kind: str, key: str, *, account: str = DEFAULT_ACCOUNT
) -> DueItem | None:
    """The item `kind`/`key`, done or not (None when never scheduled)."""
    row = session.execute(
        sa.select(DueWork).where(
            DueWork.account == account, DueWork.kind == kind, DueWork.key == key
        )
    ).scalar_one_or_none()
    return _item(row) if row else None


def pending(
    session: Session,
    *,
    account: str = DEFAULT_ACCOUNT,
    kinds: Sequence[str] | None = None,
    limit: int = 100,
) -> list[DueItem]:
    """Work not done yet, soonest first (for the status page)."""
    query = sa.select(DueWork).where(DueWork.account == account, DueWork.done_at.is_(None))
    if kinds is not None:
        query = query.where(DueWork.kind.in_(kinds))
    rows = session.execute(query.order_by(DueWork.due_at, DueWork.id).limit(limit)).scalars()
    return [_item(row) for row in rows]


def has_claimable(
    session: Session,
    now: dt.datetime,
    *,
    account: str | None = None,
    wall_now: dt.datetime | None = None,
) -> bool:
    """True when some item is due by `now` and nobody holds a live claim on it (one query)."""
    query = sa.select(_claimable(now, wall_now or utcnow(), None, account).exists())
    return bool(session.execute(query).scalar())


def next_due(
    session: Session, *, after: dt.datetime, account: str | None = None
) -> dt.datetime | None:
    """When the earliest item not done falls due after `after` (None when none waits)."""
    query = sa.select(sa.func.min(DueWork.due_at)).where(
        DueWork.done_at.is_(None), DueWork.due_at > after
    )
    if account is not None:
        query = query.where(DueWork.account == account)
    found: dt.datetime | None = session.execute(query).scalar()
    return found


def accounts_with_claimable(
    session: Session, now: dt.datetime, *, wall_now: dt.datetime | None = None
) -> set[str]:
    """The accounts with some item due by `now` that nobody holds a live claim on (one query)."""
    ids = _claimable(now, wall_now or utcnow(), None, None).order_by(None).subquery()
    query = sa.select(DueWork.account).where(DueWork.id.in_(sa.select(ids.c.id))).distinct()
    return set(session.execute(query).scalars())


def purge_done(session: Session, due_before: dt.datetime, *, account: str = DEFAULT_ACCOUNT) -> int:
    """Delete the account's finished work (done or cancelled) that fell due before
    `due_before` (the domain clock, as `due_at` is); work not done stays. Returns how many."""
    statement = sa.delete(DueWork).where(
        DueWork.account == account,
        DueWork.done_at.is_not(None),
        DueWork.due_at < due_before,
    )
    return changed(session, statement.execution_options(synchronize_session=False))


def _claimable(
    now: dt.datetime, wall: dt.datetime, kinds: Sequence[str] | None, account: str | None
) -> sa.Select[int]:
    query = sa.select(DueWork.id).where(
        DueWork.done_at.is_(None),
        DueWork.due_at <= now,
        sa.or_(DueWork.claimed_until.is_(None), DueWork.claimed_until < wall),
    )
    if kinds is not None:
        query = query.where(DueWork.kind.in_(kinds))
    if account is not None:
        query = query.where(DueWork.account == account)
    return query.order_by(DueWork.due_at, DueWork.id)


def _update(session: Session, account: str, kind: str, key: str, values: dict[str, Any]) -> bool:
    statement = (
        sa.update(DueWork)
        .where(
            DueWork.account == account,
            DueWork.kind == kind,
            DueWork.key == key,
            DueWork.done_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return changed(session, statement) > 0


def _item(row: DueWork) -> DueItem:
    return DueItem(
        account=row.account,
        kind=row.kind,
        key=row.key,
        due_at=row.due_at,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        claimed_until=row.claimed_until,
        done_at=row.done_at,
        cancelled=row.cancelled,
        last_error=row.last_error,
    )
