"""The nudge: one polite follow-up to an ask left unanswered, in the ask's thread.

    result = draft_nudge(runtime, "recAda...", generation, since)   # -> NudgeResult

It falls due FOLLOWTHROUGH_NUDGE_AFTER_DAYS after the ask was sent (seen by the mail pass) or
after the user moved the contact to Requested (`workflows.duework.nudge`). When it falls due,
nothing is drafted if they have moved on (Scheduled, Met, Inactive...), if a meeting with them
was on the calendar since (even one cancelled later, or an invitation they declined), or if a
newer ask was ticked since; a reply from them withdraws it before. The draft answers the last
ask or nudge Followthrough drafted to them, in its thread (Gmail files it there), once that
left the drafts; without one (the user asked by hand, or sent something else) it is a message
of its own that says again who the user is. Its `Nudge` follow-up links it. Draft and
follow-up share the key `nudge:<record id>:<generation>`: one nudge per ask, at most, whatever
retries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
import structlog

from workflows import outbox
from workflows.asks import ask_facts, ask_generation, write_with_follow_up
from workflows.rules.ask import compose_nudge
from workflows.rules.emails import fold_email
from workflows.rules.followups import FollowUpKind, single_line
from workflows.rules.people import first_name_of
from workflows.runtime import Runtime
from workflows.stage_moves import REQUESTED, TO_CONTACT
from workflows.store.meetings import event_from_json
from workflows.store.models import Event, Meeting, Person
from workflows.store.people import person_by_airtable_id

log = structlog.get_logger(__name__)

_WAITING = frozenset({"", TO_CONTACT.casefold(), REQUESTED.casefold()})


@dataclass(frozen=True)
class NudgeResult:
    """The nudge's link when one was drafted, else why not."""

    made: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Contact:
    person_id: int
    record_id: str
    name: str
    email: str | None
    company: str
    role: str
    stage: str


def nudge_key(record_id: str, generation: int) -> str:
    """The key of the nudge after the contact's `generation` asks (its draft and follow-up)."""
    return f"nudge:{record_id}:{generation}"


def nudge_title(contact_name: str) -> str:
    """The Nudge follow-up's title."""
    first = first_name_of(contact_name)
    return single_line(f"Send {first} a gentle follow-up" if first else "Send a gentle follow-up")


def draft_nudge(
    runtime: Runtime, record_id: str, generation: int, since: dt.datetime
) -> NudgeResult:
    """Draft the nudge and its follow-up, unless it is no longer wanted (see the module)."""
    contact = _contact(runtime, record_id)
    key = nudge_key(record_id, generation)
    why_not = _why_not(runtime, contact, generation, since)
    if why_not or contact is None:
        return NudgeResult(reason=why_not or "the contact is gone")
    if not contact.email:
        return NudgeResult(reason=f"{contact.name} has no Email to nudge")
    earlier = outbox.last_draft_to(runtime, contact.email)
    threaded = earlier is not None and _sent(runtime, earlier)
    message = compose_nudge(ask_facts(runtime, contact), key, threaded=threaded)
    if threaded and earlier is not None:
        message = outbox.reply_to(earlier, message)
    title = nudge_title(contact.name)
    link = write_with_follow_up(runtime, key, message, FollowUpKind.NUDGE, title, record_id)
    log.info("nudge.drafted", record_id=record_id, threaded=threaded)
    return NudgeResult(made=link)


def _sent(runtime: Runtime, earlier: outbox.DraftSent) -> bool:
    """Whether `earlier` is an ask or nudge that left the drafts (sent, as far as the compose
    scope can tell): a reply to a draft still unsent would answer a message never received."""
    if earlier.purpose not in (outbox.ASK, outbox.NUDGE):
        return False
    gmail = runtime.need_google().gmail
    return not gmail.get_draft(earlier.draft_id, message_id=earlier.message_id).still_draft


def _why_not(
    runtime: Runtime, contact: _Contact | None, generation: int, since: dt.datetime
) -> str:
    if contact is None:
        return "the contact is no longer in Airtable"
    if ask_generation(runtime, contact.record_id) != generation:
        return "a newer ask was drafted since"
    if contact.stage.strip().casefold() not in _WAITING:
        return f"{contact.name} is {contact.stage} now"
    if _met_since(runtime, contact.person_id, since) or _invited_since(runtime, contact, since):
        return f"{contact.name} answered: a meeting with them was on the calendar"
    return ""


def _contact(runtime: Runtime, record_id: str) -> _Contact | None:
    with runtime.db.read() as session:
        person = person_by_airtable_id(session, record_id, account=runtime.account)
        if person is None or person.airtable_deleted or person.inactive:
            return None
        return _Contact(
            person_id=person.id,
            record_id=record_id,
            name=person.name or "",
            email=person.primary_email,
            company=person.company or "",
            role=person.role or "",
            stage=person.stage or "",
        )


def _met_since(runtime: Runtime, person_id: int, since: dt.datetime) -> bool:
    """Whether a meeting with them ends after `since`: they answered, even if it was
    cancelled since (a reschedule is another step's business, not a nudge's)."""
    with runtime.db.read() as session:
        found = session.execute(
            sa.select(Meeting.id).where(
                Meeting.account == runtime.account,
                Meeting.person_id == person_id,
                Meeting.end >= since,
            )
        ).first()
    return found is not None


def _invited_since(runtime: Runtime, contact: _Contact, since: dt.datetime) -> bool:
    """Whether they were invited to an event ending after `since`, whatever they answered (a
    declined invitation is an answer too): the stored events naming their address."""
    if not contact.email:
        return False
    folded = fold_email(contact.email)
    with runtime.db.read() as session:
        rows = session.execute(
            sa.select(Event.data).where(
                Event.account == runtime.account,
                sa.func.lower(sa.cast(Event.data, sa.Text)).contains(folded),
            )
        ).scalars()
        events = [event_from_json(data) for data in rows]
    return any(
        isinstance(event.end, dt.datetime)
        and event.end >= since
        and any(fold_email(a.email or "") == folded for a in event.attendees)
        for event in events
    )


def person_record_ids(runtime: Runtime, person_ids: list[int]) -> dict[int, str]:
    """The live Contacts record ids of these people."""
    with runtime.db.read() as session:
        rows = session.execute(
            sa.select(Person.id, Person.airtable_record_id).where(
                Person.id.in_(person_ids), Person.airtable_deleted.is_(False)
            )
        ).all()
    return {pid: rid for pid, rid in rows if rid}
