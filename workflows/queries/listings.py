"""Every meeting and follow-up of the account, as plain values (the demo's account and totals).

Follow-ups name their contact; kinds keep the store's spelling (`thank_you`, `action_item`,
`progress_update`) and statuses too (`open`, `done`; meetings `scheduled`, `completed`,
`cancelled`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from workflows.runtime import Runtime
from workflows.store.models import Followup, Meeting
from workflows.store.people import contact_names


@dataclass(frozen=True)
class MeetingView:
    """One meeting: which event it is, what it is called, how far it got."""

    id: int
    event_id: str
    title: str
    status: str
    history: bool  # recorded after the fact: it ended before Followthrough's first sync


@dataclass(frozen=True)
class FollowUpView:
    """One follow-up: its key, what it is, for whom, when, and whether it is done."""

    id: int
    key: str
    kind: str
    title: str
    contact: str
    due: dt.date | None
    status: str
    meeting_id: int | None
    done_at: dt.datetime | None = None


def meetings(runtime: Runtime) -> list[MeetingView]:
    """The account's meetings, oldest row first."""
    query = sa.select(Meeting).where(Meeting.account == runtime.account).order_by(Meeting.id)
    with runtime.db.read() as session:
        rows = session.scalars(query).all()
    return [MeetingView(m.id, m.event_id, m.title, m.status, m.history) for m in rows]


def follow_ups(runtime: Runtime) -> list[FollowUpView]:
    """The account's follow-ups, oldest row first."""
    query = sa.select(Followup).where(Followup.account == runtime.account).order_by(Followup.id)
    with runtime.db.read() as session:
        rows = session.scalars(query).all()
        names = contact_names(session, [f.person_id for f in rows])
    return [_follow_up(f, names) for f in rows]


def _follow_up(row: Followup, names: dict[int, str]) -> FollowUpView:
    contact = names.get(row.person_id or -1, "")
    return FollowUpView(
        row.id,
        row.key,
        row.kind,
        row.title,
        contact,
        row.due,
        row.status,
        row.meeting_id,
        row.done_at,
    )
