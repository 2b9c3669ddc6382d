"""What the mailbox says about the asks and nudges (with the gmail.metadata scope).

Fed by the Gmail pass (`workflows.sync.gmail`) with the messages of each thread an ask or a
nudge was drafted in (the threads are kept in the drafts' effects-ledger entries, as the
outbox writes them). The user sending the ask moves the contact to Requested (from To contact)
and makes the nudge due FOLLOWTHROUGH_NUDGE_AFTER_DAYS later; sending the ask or the nudge
makes its follow-up Done. A message from the contact in the thread moves them to Scheduled
(from To contact or Requested) and withdraws the nudge. Applying the same messages again
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import structlog

from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.google.gmail_mailbox import MailEvent, MessageReceived, MessageSent
from workflows.asks import MADE_AT
from workflows.duework.nudge import no_nudge, nudge_later
from workflows.outbox import ASK, DRAFT_KIND, NUDGE
from workflows.rules.emails import fold_email
from workflows.rules.followups import FollowUpStatus
from workflows.runtime import Runtime
from workflows.stage_moves import requested
from workflows.store.followups import get_followup, set_status
from workflows.store.models import Effect, Person, PersonEmail

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AskThread:
    """An ask or nudge draft's thread, and whom it was written to."""

    thread_id: str
    key: str  # the draft's (and its follow-up's) key: "ask:<record id>:<n>"
    purpose: str  # outbox.ASK or outbox.NUDGE
    record_id: str
    made_at: dt.datetime


def ask_threads(runtime: Runtime) -> list[AskThread]:
    """Every ask and nudge draft whose thread is known, oldest first."""
    with runtime.db.read() as session:
        rows = session.execute(
            sa.select(Effect.key, Effect.detail, Effect.applied_at)
            .where(
                Effect.account == runtime.account,
                Effect.kind == DRAFT_KIND,
                Effect.status == "applied",
                sa.or_(Effect.key.like("ask:%"), Effect.key.like("nudge:%")),
            )
            .order_by(Effect.applied_at, Effect.id)
        ).all()
    threads = []
    for key, detail, applied_at in rows:
        detail = detail or {}
        if detail.get("thread_id") and detail.get("purpose") in (ASK, NUDGE):
            made = detail.get(MADE_AT)
            made_at = dt.datetime.fromisoformat(made) if made else _aware(applied_at)
            purpose, record_id = str(detail["purpose"]), key.split(":")[1]
            threads.append(AskThread(str(detail["thread_id"]), key, purpose, record_id, made_at))
    return threads


def apply_ask_mail(
    runtime: Runtime, threads: Sequence[AskThread], events: Iterable[MailEvent]
) -> list[str]:
    """Apply the messages of the ask threads; returns notes for the pass's report."""
    by_thread: dict[str, list[AskThread]] = {}
    for thread in threads:
        by_thread.setdefault(thread.thread_id, []).append(thread)
    sent: dict[str, tuple[AskThread, dt.datetime]] = {}
    replied: set[str] = set()
    now = runtime.now()
    for event in sorted(events, key=lambda e: e.at):
        drafted = by_thread.get(event.thread_id)
        if not drafted:
            continue
        if isinstance(event, MessageSent):
            at = min(event.at, now)  # never later than the clock (a mailbox's clock may run ahead)
            which = _sent_draft(drafted, at)
            if which is not None:
                sent.setdefault(which.key, (which, at))
        elif isinstance(event, MessageReceived) and _from_them(runtime, drafted[0], event):
            replied.add(drafted[0].record_id)
    notes = _sent(runtime, list(sent.values()))
    if replied:
        moved = no_nudge(runtime, _person_ids(runtime, replied))
        notes += [f"{len(moved)} contact(s) replied to an ask: moved to Scheduled"] if moved else []
    return notes


def _sent_draft(drafted: Sequence[AskThread], at: dt.datetime) -> AskThread | None:
    """The draft a message sent at `at` was: the newest one written before it."""
    before = [thread for thread in drafted if thread.made_at <= at]
    return before[-1] if before else None


def _aware(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _sent(runtime: Runtime, sent: list[tuple[AskThread, dt.datetime]]) -> list[str]:
    """Sent asks: Requested and a nudge due later; each sent draft's follow-up Done."""
    notes = []
    for thread, at in sent:
        if thread.purpose == ASK:
            if requested(runtime, thread.record_id):
                notes.append("An ask was sent: its contact moved to Requested")
            with runtime.db.transaction() as session:
                nudge_later(session, runtime, thread.record_id, at)
    _done(runtime, sent)
    return notes


def _done(runtime: Runtime, sent: list[tuple[AskThread, dt.datetime]]) -> None:
    """The sent drafts' follow-ups Done in Airtable and the store (those still open)."""
    with runtime.db.read() as session:
        rows = [(get_followup(session, t.key, account=runtime.account), at) for t, at in sent]
        open_ = [
            (row.key, row.airtable_record_id, at)
            for row, at in rows
            if row and row.status != "done"
        ]
    if not open_:
        return
    writes = [
        FollowUpWrite(key=key, status=FollowUpStatus.DONE.value) for key, rid, _ in open_ if rid
    ]
    if writes:
        upsert(runtime.need_airtable(), writes)
    with runtime.db.transaction() as session:
        for key, _, at in open_:
            row = get_followup(session, key, account=runtime.account)
            if row is not None:
                set_status(row, "done", at=at)
    log.info("mail.asks_sent", count=len(open_))


def _from_them(runtime: Runtime, thread: AskThread, event: MessageReceived) -> bool:
    with runtime.db.read() as session:
        addresses = session.execute(
            sa.select(PersonEmail.email)
            .join(Person, Person.id == PersonEmail.person_id)
            .where(Person.account == runtime.account, Person.airtable_record_id == thread.record_id)
        ).scalars()
        return fold_email(event.sender) in set(addresses)


def _person_ids(runtime: Runtime, record_ids: set[str]) -> list[int]:
    with runtime.db.read() as session:
        return list(
            session.execute(
                sa.select(Person.id).where(
                    Person.account == runtime.account,
                    Person.airtable_record_id.in_(sorted(record_ids)),
                )
            ).scalars()
        )
