"""Named leases: one holder at a time (the scheduler's, so a second replica stands by).

    with db.transaction() as s:
        leading = acquire_lease(s, "scheduler", holder=my_id, ttl=timedelta(seconds=30))

Call `acquire_lease` again before the lease expires to renew it; a holder that stops
renewing loses it to the next caller after `ttl`. Times are the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import Lease
from workflows.store.sql import changed, insert_ignore


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease and until when."""

    name: str
    holder: str
    expires_at: dt.datetime


def acquire_lease(
    session: Session,
    name: str,
    holder: str,
    ttl: dt.timedelta,
    *,
    account: str = DEFAULT_ACCOUNT,
    wall_now: dt.datetime | None = None,
) -> bool:
    """Take or renew the lease for `ttl`; True when `holder` holds it afterwards."""
    now = wall_now or utcnow()
    values = {"holder": holder, "acquired_at": now, "expires_at": now + ttl}
    if insert_ignore(
        session, Lease, {"account": account, "name": name, **values}, ["account", "name"]
    ):
        return True
    renewing = Lease.holder == holder
    statement = (
        sa.update(Lease)
        .where(
            Lease.account == account, Lease.name == name, sa.or_(renewing, Lease.expires_at < now)
        )
        .values(
            holder=holder,
            expires_at=now + ttl,
            acquired_at=sa.case((renewing, Lease.acquired_at), else_=now),
        )
        .execution_options(synchronize_session=False)
    )
    return changed(session, statement) > 0


def release_lease(
    session: Session,
    name: str,
    holder: str,
    *,
    account: str = DEFAULT_ACCOUNT,
) -> bool:
    """Give the lease up at once (on clean shutdown) so a standby takes over without waiting."""
    statement = sa.delete(Lease).where(
        Lease.account == account, Lease.name == name, Lease.holder == holder
    )
    return changed(session, statement) > 0


def current_lease(
    session: Session,
    name: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    wall_now: dt.datetime | None = None,
) -> LeaseState | None:
    """The live lease named `name`, or None when nobody holds it."""
    row = session.execute(
        sa.select(Lease).where(Lease.account == account, Lease.name == name)
    ).scalar_one_or_none()
    if row is None or row.expires_at < (wall_now or utcnow()):
        return None
    return LeaseState(name=row.name, holder=row.holder, expires_at=row.expires_at)


def release_live_leases(
    session: Session, names: Sequence[str], *, wall_now: dt.datetime | None = None
) -> list[tuple[str, str]]:
    """Give up every account's live lease with one of these names, whoever holds it (an
    embedded start: their holders died with the process before it); (account, name) each."""
    live = Lease.name.in_(list(names)), Lease.expires_at >= (wall_now or utcnow())
    held = session.execute(sa.select(Lease.account, Lease.name).where(*live)).all()
    session.execute(sa.delete(Lease).where(*live).execution_options(synchronize_session=False))
    return sorted((account, name) for account, name in held)
