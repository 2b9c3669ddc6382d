"""The user's milestones, as the Airtable Milestones table last said them.

    row, news = save_milestone(s, MilestoneValues(...), now=..., account=...)
    forget_milestone(s, "recM...")                    # the row was deleted in Airtable
    milestones_of(s, "recContact...")                 # those linked to a contact, oldest first

`news` is True when the milestone is new, or its date or linked contacts changed: what makes
the contacts' next updates come sooner. A change of its wording or notes alone is not news.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.models import Milestone


@dataclass(frozen=True)
class MilestoneValues:
    """A Milestones row's values, as the store keeps them."""

    record_id: str
    what: str
    date: dt.date | None = None
    notes: str | None = None
    contact_ids: tuple[str, ...] = ()


def save_milestone(
    session: Session, values: MilestoneValues, *, now: dt.datetime, account: str = DEFAULT_ACCOUNT
) -> tuple[Milestone, bool]:
    """Create or update the milestone; True with it when that is news (see the module)."""
    row = _by_record(session, values.record_id, account)
    if row is None:
        row = Milestone(account=account, airtable_record_id=values.record_id, seen_at=now)
        session.add(row)
        news = True
    else:
        news = row.date != values.date or tuple(row.contact_ids or ()) != values.contact_ids
    row.what, row.date, row.notes = values.what, values.date, values.notes
    row.contact_ids = list(values.contact_ids)
    return row, news


def forget_milestone(session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
    """Drop a milestone whose Airtable row was deleted; False when it was not known."""
    row = _by_record(session, record_id, account)
    if row is not None:
        session.delete(row)
    return row is not None


def milestone(
    session: Session, record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> Milestone | None:
    """The milestone of Airtable row `record_id`, if known."""
    return _by_record(session, record_id, account)


def milestones_of(
    session: Session, contact_record_id: str, *, account: str = DEFAULT_ACCOUNT
) -> list[Milestone]:
    """The milestones linked to the contact, by date (undated ones by when they were seen)."""
    rows = session.execute(sa.select(Milestone).where(Milestone.account == account)).scalars()
    linked = [row for row in rows if contact_record_id in (row.contact_ids or ())]
    return sorted(linked, key=lambda row: (row.date or row.seen_at.date(), row.id))


def _by_record(session: Session, record_id: str, account: str) -> Milestone | None:
    query = sa.select(Milestone).where(
        Milestone.account == account, Milestone.airtable_record_id == record_id
    )
    return session.execute(query).scalar_one_or_none()
