"""Due work `nudge`: an ask unanswered FOLLOWTHROUGH_NUDGE_AFTER_DAYS after it was sent (or
after the contact was moved to Requested), so one nudge is drafted (`workflows.nudges`).

    nudge_later(session, runtime, record_id, since)   # the first news counts; no re-timing
    no_nudge(runtime, person_ids)                     # a reply, a meeting: Scheduled, withdrawn

Its key is the contact and how many asks Followthrough drafted for them, so there is one
nudge per ask at most (and one for an ask the user made by hand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows import steps
from workflows.asks import GENERATION
from workflows.duework.dispatch import Done, NotDue, Outcome, handles_each
from workflows.facts import get_fact
from workflows.nudges import draft_nudge, person_record_ids
from workflows.runtime import Runtime
from workflows.stage_moves import booked
from workflows.store import due
from workflows.store.due import DueItem
from workflows.store.models import Meeting

KIND = "nudge"


def _key(session: Session, runtime: Runtime, record_id: str) -> tuple[str, int]:
    generation = int(get_fact(session, f"{GENERATION}{record_id}", account=runtime.account) or 0)
    return f"{record_id}:{generation}", generation


def nudge_later(session: Session, runtime: Runtime, record_id: str, since: dt.datetime) -> None:
    """Make the nudge of the contact's latest ask due `nudge_after` from `since`, unless it is
    scheduled (or done) already."""
    key, generation = _key(session, runtime, record_id)
    if due.get_due(session, KIND, key, account=runtime.account) is not None:
        return
    payload = {"record_id": record_id, "generation": generation, "since": since.isoformat()}
    when = since + runtime.config.nudge_after
    due.schedule(session, KIND, key, when, payload=payload, account=runtime.account)


def no_nudge(runtime: Runtime, person_ids: Iterable[int]) -> list[int]:
    """They replied, or a meeting with them is on the calendar: moved to Scheduled (from To
    contact or Requested) and their pending nudge withdrawn; returns who moved."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    moved = booked(runtime, ids)
    record_ids = person_record_ids(runtime, ids)
    with runtime.db.transaction() as session:
        for record_id in record_ids.values():
            key, _ = _key(session, runtime, record_id)
            due.cancel(session, KIND, key, account=runtime.account)
    return moved


def meetings_booked(runtime: Runtime, meeting_ids: Iterable[int]) -> list[int]:
    """Meetings on the calendar (Scheduled): their contacts Scheduled, their nudges withdrawn."""
    with runtime.db.read() as session:
        people = session.execute(
            sa.select(Meeting.person_id).where(
                Meeting.id.in_(list(meeting_ids)),
                Meeting.status == "scheduled",
                Meeting.person_id.is_not(None),
            )
        ).scalars()
        ids = [pid for pid in people if pid is not None]
    return no_nudge(runtime, ids)


@handles_each(KIND)
def nudge(runtime: Runtime, item: DueItem) -> Outcome:
    """Draft the nudge (the result is its link, or why none was needed)."""
    off = steps.step_off(runtime, steps.NUDGE)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    since = dt.datetime.fromisoformat(str(item.payload["since"]))
    result = draft_nudge(
        runtime, str(item.payload["record_id"]), int(item.payload["generation"]), since
    )
    return Done(result.made or result.reason)
