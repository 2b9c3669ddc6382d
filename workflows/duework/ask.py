"""Due work `draft_ask`: a contact's `Draft Ask` ticked, so their ask is drafted
(`workflows.asks`).

The Airtable pass schedules it for each ticked box it reads (`ask_later`), under the key of
the contact's current ask generation and their Email (hashed): the same tick read again is the
same work, and an address added or corrected (the ask was skipped for want of it) is new work.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session

from connectors.airtable.tables import AirtableContact
from workflows import steps
from workflows.asks import GENERATION, draft_ask
from workflows.duework.dispatch import Done, NotDue, Outcome, Skipped, handles_each
from workflows.duework.nudge import nudge_later
from workflows.facts import get_fact
from workflows.rules.emails import fold_email
from workflows.runtime import Runtime
from workflows.stage_moves import REQUESTED
from workflows.store import due
from workflows.store.due import DueItem

KIND = "draft_ask"


def ask_later(session: Session, runtime: Runtime, record_id: str, email: str | None) -> None:
    """Have the sweep draft the ask of this contact's current tick (now)."""
    generation = int(get_fact(session, f"{GENERATION}{record_id}", account=runtime.account) or 0)
    address = hashlib.sha256(fold_email(email).encode()).hexdigest()[:12] if email else "none"
    key = f"{record_id}:{generation}:{address}"
    payload = {"record_id": record_id, "generation": generation}
    if due.get_due(session, KIND, key, account=runtime.account) is None:
        due.schedule(session, KIND, key, runtime.now(), payload=payload, account=runtime.account)


def asking(
    runtime: Runtime,
    session: Session,
    contact: AirtableContact,
    stage_before: str | None,
    changed_at: dt.datetime | None,
) -> None:
    """What a Contacts row read by the Airtable pass asks for: its ask drafted (Draft Ask
    ticked), or a nudge later (moved to Requested, or added at Requested, since the last read).

    A row already at Requested when the base is first read gets no nudge: when its ask went
    out is unknown (it may be months ago), and installing Followthrough must not flood the
    drafts with nudges. A move is seen in the change feed (`changed_at`), or as a Stage other
    than the one stored (`stage_before`) when the base is read in full again.
    """
    if contact.draft_ask:
        ask_later(session, runtime, contact.record_id, contact.email)
    now = (contact.stage or "").strip().casefold()
    moved = changed_at is not None or stage_before is not None
    if now == REQUESTED.casefold() and moved and (stage_before or "").strip().casefold() != now:
        since = min(changed_at, runtime.now()) if changed_at is not None else runtime.now()
        nudge_later(session, runtime, contact.record_id, since)


@handles_each(KIND)
def ask(runtime: Runtime, item: DueItem) -> Outcome:
    """Draft the ask (the result is its link); off, it waits until the base allows it."""
    off = steps.step_off(runtime, steps.ASK)
    if off is not None:
        return NotDue(runtime.now() + steps.RECHECK_INCOMPLETE, off)
    result = draft_ask(runtime, str(item.payload["record_id"]), int(item.payload["generation"]))
    if result.wait:
        return Skipped(result.reason)
    return Done(result.made or result.reason)
