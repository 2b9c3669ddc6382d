"""What the mailbox says about the thank-yous: sent (Done, and the dates), answered, or late.

Fed by the Gmail pass (`workflows.sync.gmail`) with the messages sent or received in each
thank-you draft's thread. A thank-you sent makes its Thank-you follow-up Done with the day it
was sent, as a user's Done would (store, Airtable, Google Task), and sets the meeting's
`Thank-you Sent` (once) and the contact's `Last Contacted`; a reply from the contact sets
the contact's `Last Reply`. Every write is by value, so applying the same messages again
changes nothing. A base made before these date fields existed keeps working: the dates are
left out, with a warning saying to run `airtable init`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import structlog

from connectors.airtable.writes import ContactWrite, FollowUpWrite, MeetingWrite, Write, upsert
from connectors.errors import UserActionRequired
from connectors.google.gmail_mailbox import MailEvent, MessageReceived, MessageSent
from workflows.contact_rows import ContactRow, write_contacts
from workflows.facts import get_fact, set_fact
from workflows.followup_sync import complete_task
from workflows.owed import user_zone_of
from workflows.rules.emails import fold_email
from workflows.rules.followups import FollowUpStatus, late_title, owed_since, thank_you_late
from workflows.runtime import Runtime
from workflows.store.followups import get_followup, set_status
from workflows.store.threads import ThankYouThread

log = structlog.get_logger(__name__)

SENT_FACT = "fact:thank_you_sent:"
NO_DATE_FIELDS = "the base has no date fields for it yet: run `followthrough airtable init`"


@dataclass
class _Changes:
    """What the messages of one pass change, gathered before anything is written."""

    done: dict[str, tuple[ThankYouThread, dt.datetime]] = field(default_factory=dict)
    sent_on: dict[int, tuple[ThankYouThread, dt.date]] = field(default_factory=dict)
    contacted: dict[str, tuple[ThankYouThread, dt.date]] = field(default_factory=dict)
    replied: dict[str, tuple[ThankYouThread, dt.date]] = field(default_factory=dict)


def apply_mail(
    runtime: Runtime, threads: Sequence[ThankYouThread], events: Iterable[MailEvent]
) -> list[str]:
    """Apply the messages of the thank-you threads; returns notes for the pass's report."""
    by_thread = {thread.thread_id: thread for thread in threads}
    zone = user_zone_of(runtime)
    changes = _Changes()
    for event in sorted(events, key=lambda e: e.at):
        thread = by_thread.get(event.thread_id)
        if thread is None:
            continue
        day = event.at.astimezone(zone).date()
        if isinstance(event, MessageSent):
            _sent(runtime, changes, thread, event, day)
        elif (
            isinstance(event, MessageReceived)
            and fold_email(event.sender) in thread.contact_addresses
        ):
            _latest(changes.replied, thread, day)
    _mark_done(runtime, list(changes.done.values()))
    return _write_dates(runtime, changes)


def _sent(
    runtime: Runtime, changes: _Changes, thread: ThankYouThread, event: MessageSent, day: dt.date
) -> None:
    if thread.followup_open and thread.followup_key not in changes.done:
        changes.done[thread.followup_key] = (thread, event.at)
    if thread.meeting_id not in changes.sent_on and not _sent_before(runtime, thread):
        changes.sent_on[thread.meeting_id] = (thread, day)
    _latest(changes.contacted, thread, day)


def _latest(
    dates: dict[str, tuple[ThankYouThread, dt.date]], thread: ThankYouThread, day: dt.date
) -> None:
    if thread.contact_email and thread.contact_record_id:
        dates[thread.contact_email] = (thread, day)


def _sent_before(runtime: Runtime, thread: ThankYouThread) -> bool:
    with runtime.db.read() as session:
        return (
            get_fact(session, f"{SENT_FACT}{thread.meeting_id}", account=runtime.account)
            is not None
        )


def _mark_done(runtime: Runtime, done: Sequence[tuple[ThankYouThread, dt.datetime]]) -> None:
    """The sent thank-yous' follow-ups Done in Airtable, Google Tasks and the store."""
    if not done:
        return
    rows: list[Write] = [
        FollowUpWrite(key=t.followup_key, status=FollowUpStatus.DONE.value)
        for t, _ in done
        if t.followup_record_id
    ]
    if rows:
        upsert(runtime.need_airtable(), rows)
    if runtime.config.mirror_to_google:
        for thread, _ in done:
            if thread.task_id:
                complete_task(runtime, thread.task_id)
    with runtime.db.transaction() as session:
        for thread, at in done:
            followup = get_followup(session, thread.followup_key, account=runtime.account)
            if followup is not None:
                set_status(followup, "done", at=at)
    log.info("mail.thank_yous_sent", count=len(done))


def _write_dates(runtime: Runtime, changes: _Changes) -> list[str]:
    """Thank-you Sent on the meetings, Last Contacted and Last Reply on the contacts."""
    meetings: list[Write] = [
        MeetingWrite(event_id=thread.event_id, thank_you_sent=day)
        for thread, day in changes.sent_on.values()
    ]
    contacts: dict[str, ContactWrite] = {}
    for email, (thread, day) in changes.contacted.items():
        contacts[email] = ContactWrite(
            email=email, record_id=thread.contact_record_id, last_contacted=day
        )
    for email, (thread, day) in changes.replied.items():
        base = contacts.get(email) or ContactWrite(email=email, record_id=thread.contact_record_id)
        contacts[email] = replace(base, last_reply=day)
    try:
        if meetings:
            upsert(runtime.need_airtable(), meetings)
        if contacts:
            rows = [ContactRow(write, write.record_id) for write in contacts.values()]
            write_contacts(runtime, rows)
    except UserActionRequired as exc:
        log.warning("mail.dates_skipped", reason=str(exc))
        return [f"Thank-you dates not written to Airtable: {NO_DATE_FIELDS}"]
    with runtime.db.transaction() as session:
        for meeting_id, (_, day) in changes.sent_on.items():
            set_fact(session, f"{SENT_FACT}{meeting_id}", day.isoformat(), account=runtime.account)
    return []


def flag_late(runtime: Runtime, threads: Sequence[ThankYouThread]) -> int:
    """Flag each thank-you still unsent 20 hours after its meeting (after Followthrough saw the
    meeting, when that was later), in its follow-up's Title (Airtable and the store), once;
    returns how many were flagged now."""
    now = runtime.now()
    late = [
        (thread, late_title(thread.followup_title))
        for thread in threads
        if thread.followup_open
        and thank_you_late(owed_since(thread.meeting_end, thread.completed_at), now)
    ]
    late = [(thread, title) for thread, title in late if title != thread.followup_title]
    if not late:
        return 0
    rows: list[Write] = [
        FollowUpWrite(key=thread.followup_key, title=title)
        for thread, title in late
        if thread.followup_record_id
    ]
    if rows:
        upsert(runtime.need_airtable(), rows)
    with runtime.db.transaction() as session:
        for thread, title in late:
            followup = get_followup(session, thread.followup_key, account=runtime.account)
            if followup is not None:
                followup.title = title
    log.info("mail.thank_yous_late", count=len(late))
    return len(late)
