"""What the store knows of one contact's history with the user, for briefs and reschedules.

earlier_meetings(s, person_id, before)     # completed meetings with them, oldest first
open_promises(s, person_id)                # Action items not marked Done, soonest due first
last_done(s, person_id, "progress_update") # when the newest one of a kind was done
upcoming_meetings(s, person_ids, after)    # scheduled meetings with them starting later
other_meetings(s, person_id, meeting_id)   # their other meetings that were not cancelled
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.models import Followup, Meeting


def earlier_meetings(
    session: Session, person_id: int, before: dt.datetime, *, account: str = DEFAULT_ACCOUNT
) -> list[Meeting]:
    """The completed meetings with the person that started before `before`, oldest first."""
    query = sa.select(Meeting).where(
        Meeting.account == account,
        Meeting.person_id == person_id,
        Meeting.status == "completed",
        Meeting.start < before,
    )
    return list(session.execute(query.order_by(Meeting.start, Meeting.id)).scalars())


def open_promises(
    session: Session, person_id: int, *, account: str = DEFAULT_ACCOUNT
) -> list[Followup]:
    """The person's Action items not marked Done (open or snoozed), soonest due first."""
    query = sa.select(Followup).where(
        Followup.account == account,
        Followup.person_id == person_id,
        Followup.kind == "action_item",
        Followup.status != "done",
    )
    ordered = query.order_by(Followup.due.is_(None), Followup.due, Followup.id)
    return list(session.execute(ordered).scalars())


def last_done(
    session: Session, person_id: int, kind: str, *, account: str = DEFAULT_ACCOUNT
) -> dt.datetime | None:
    """When the person's newest follow-up of `kind` marked Done was done (None: none is)."""
    query = sa.select(sa.func.max(Followup.done_at)).where(
        Followup.account == account,
        Followup.person_id == person_id,
        Followup.kind == kind,
        Followup.status == "done",
    )
    done_at: dt.datetime | None = session.execute(query).scalar_one_or_none()
    return done_at  # max() keeps the column's type: an aware UTC datetime


def upcoming_meetings(
    session: Session, person_ids: Sequence[int], after: dt.datetime, *, account: str
) -> list[Meeting]:
    """The scheduled meetings with these people that start after `after`."""
    ids = sorted(set(person_ids))
    found: list[Meeting] = []
    for start in range(0, len(ids), 500):  # within any backend's limit on bound parameters
        query = sa.select(Meeting).where(
            Meeting.account == account,
            Meeting.person_id.in_(ids[start : start + 500]),
            Meeting.status == "scheduled",
            Meeting.start > after,
        )
        found.extend(session.execute(query).scalars())
    return sorted(found, key=lambda meeting: (meeting.start, meeting.id))


def other_meetings(
    session: Session, person_id: int, meeting_id: int, *, account: str = DEFAULT_ACCOUNT
) -> list[Meeting]:
    """The person's meetings other than `meeting_id` that were not cancelled."""
    query = sa.select(Meeting).where(
        Meeting.account == account,
        Meeting.person_id == person_id,
        Meeting.id != meeting_id,
        Meeting.status != "cancelled",
    )
    return list(session.execute(query.order_by(Meeting.start)).scalars())
