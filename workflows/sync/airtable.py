"""The Airtable base into the store: contacts, meeting notes and follow-up statuses.

The base's webhook is the change feed (DESIGN.md, "Change feeds"): the first pass creates
it, then reads the three tables in full; every later pass reads the webhook's payloads from
the stored cursor and fetches only the records they name. Deletions come with the payloads.
Work that a change causes (a regenerated draft, a progress update marked Done) becomes due
work, so it is done by the sweep with the same guarantees as everything else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.client import AirtableClient
from connectors.airtable.readers import read_contacts, read_follow_ups, read_meetings
from connectors.airtable.schema import Contacts, FollowUps, Meetings
from connectors.airtable.webhooks import (
    PAYLOADS_PER_REQUEST,
    WebhookRegistration,
    create_webhook,
    delete_webhook,
    list_webhooks,
    needs_refresh,
    read_changes,
    refresh_webhook,
)
from connectors.errors import ResyncRequired
from connectors.records import (
    AirtableChange,
    AirtableContact,
    AirtableFollowUp,
    AirtableMeeting,
    Page,
    Skipped,
)
from workflows.facts import get_fact, set_fact
from workflows.rules.people import merge_person
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.cursors import clear_cursor, get_cursor, set_cursor
from workflows.store.followups import followup_by_airtable_id, set_status
from workflows.store.meetings import meeting_by_airtable_id
from workflows.store.models import Person, WebhookChannel
from workflows.store.people import PeopleBatch, forget_airtable_record
from workflows.store.webhooks import channels, delete_channel, find_channel, save_channel
from workflows.sync.report import SyncReport
from workflows.work import NOTES_CHANGED, PROGRESS_DONE

log = structlog.get_logger(__name__)

SOURCE = "airtable"
PROVIDER = "airtable"
_STATUS_CODES = {"Open": "open", "Done": "done", "Snoozed": "snoozed"}
WEBHOOKS_BEFORE = "fact:airtable_webhooks_before_create"
USER_ID = "fact:airtable_user_id"
"""The id of the Airtable user a token acts for, by token fingerprint: its own writes are
told apart in the feed without a `whoami` request in every process."""


def sync_airtable(runtime: Runtime) -> SyncReport:
    """One pass: read the webhook's changes, or create it and read everything the first time."""
    client = runtime.need_airtable()
    report = SyncReport(SOURCE, progress=runtime.on_sync_page)
    channel = _channel(runtime)
    if channel is not None:
        try:
            if _notifies_elsewhere(runtime, client, channel):
                _move(runtime, client, channel, report)
            else:
                _incremental(runtime, client, channel, report)
            return report
        except ResyncRequired as exc:
            log.warning("airtable.resync", reason=str(exc))
            _forget_channel(runtime, client, channel)
    _full(runtime, client, report)
    return report


def read_back_own_writes(runtime: Runtime, writes: int) -> SyncReport | None:
    """After a pass that sent `writes` write requests, read the change feed past them.

    Each write the pass made is a payload in the webhook's feed. Left there, they would make
    the next pass (usually the one a person's edit triggers) read them first, a request per
    fifty; read now, the next pass costs one request again. Fewer than a page's worth are
    left to the next pass, whose one request reads them anyway. The payloads read are
    applied like any others: a person's edit among them is not lost. None when nothing was
    read (no feed yet, or too few writes).
    """
    channel = _channel(runtime)
    if channel is None or writes < PAYLOADS_PER_REQUEST:
        return None
    report = SyncReport(SOURCE)
    _incremental(runtime, runtime.need_airtable(), channel, report)
    log.info("airtable.read_back", writes=writes, changes=report.records)
    return report


def webhook_url(runtime: Runtime) -> str | None:
    """Where Airtable should ping, when a public URL is configured (else the feed is polled)."""
    base = runtime.config.public_url
    return f"{base.rstrip('/')}/webhooks/airtable" if base else None


def _channel(runtime: Runtime) -> WebhookChannel | None:
    with runtime.db.read() as session:
        rows = channels(session, PROVIDER, account=runtime.account)
    return rows[0] if rows else None


def _cursor_name(webhook_id: str) -> str:
    return f"{SOURCE}:{webhook_id}"


def _incremental(
    runtime: Runtime,
    client: AirtableClient,
    channel: WebhookChannel,
    report: SyncReport,
) -> None:
    webhook_id = channel.channel_id
    user_fact = f"{USER_ID}:{client.token_fingerprint}"
    with runtime.db.read() as session:
        cursor = get_cursor(session, _cursor_name(webhook_id), account=runtime.account)
        user_id = get_fact(session, user_fact, account=runtime.account)
    if user_id and client.known_user_id is None:
        client.adopt_user_id(user_id)  # no `whoami` request in every new process
    batch = read_changes(client, webhook_id, cursor)
    by_table: dict[str, list[AirtableChange]] = defaultdict(list)
    for change in batch.changes:
        by_table[change.table].append(change)
    contacts = list(read_contacts(client, record_ids=_live_ids(by_table[Contacts.TABLE])))
    meetings = list(read_meetings(client, record_ids=_live_ids(by_table[Meetings.TABLE])))
    follow_ups = list(read_follow_ups(client, record_ids=_live_ids(by_table[FollowUps.TABLE])))
    changed_at = {c.record_id: c.changed_at for c in batch.changes if c.changed_at}
    with runtime.db.transaction() as session:
        _apply(runtime, session, contacts, meetings, follow_ups, report, changed_at)
        for change in by_table[Contacts.TABLE]:
            if change.kind == "destroyed":
                forget_airtable_record(session, change.record_id, account=runtime.account)
        set_cursor(session, _cursor_name(webhook_id), batch.next_cursor, account=runtime.account)
        if client.known_user_id and client.known_user_id != user_id:
            set_fact(session, user_fact, client.known_user_id, account=runtime.account)
    report.records = len(batch.changes)
    _keep_alive(runtime, client, channel)


def _notifies_elsewhere(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> bool:
    """True when the webhook pings another address than the public URL now configured.

    A webhook stored before addresses were (address None) is looked up once to tell.
    """
    url = webhook_url(runtime)
    if channel.address == url:
        return False
    if channel.address is None:
        found = [h for h in list_webhooks(client) if h.webhook_id == channel.channel_id]
        if found and found[0].notification_url == url:
            with runtime.db.transaction() as session:
                row = find_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
                if row is not None:
                    row.address = url
            return False
    return True


def _move(
    runtime: Runtime, client: AirtableClient, channel: WebhookChannel, report: SyncReport
) -> None:
    """Replace the webhook by one that pings the configured public URL, reading nothing twice.

    The new webhook's feed starts when it is made; the old one's is read up to then (and a
    little past: changes made meanwhile are read from both, which applying allows). No full
    read of the base is needed.
    """
    registration = _create_webhook(runtime, client)
    _incremental(runtime, client, channel, report)
    with runtime.db.transaction() as session:
        _save(runtime, session, registration, client.base_id)
        delete_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        clear_cursor(session, _cursor_name(channel.channel_id), account=runtime.account)
        clear_cursor(session, WEBHOOKS_BEFORE, account=runtime.account)
    delete_webhook(client, channel.channel_id)
    log.info(
        "airtable.webhook.moved",
        old=channel.channel_id,
        new=registration.webhook_id,
        notifications=bool(registration.notification_url),
    )


def _save(
    runtime: Runtime, session: Session, registration: WebhookRegistration, base_id: str
) -> None:
    """Store a webhook just made, and the cursor its feed starts at."""
    save_channel(
        session,
        provider=PROVIDER,
        channel_id=registration.webhook_id,
        target=base_id,
        mac_secret=registration.mac_secret_base64,
        expires_at=registration.expiration_time,
        address=registration.notification_url,
        account=runtime.account,
    )
    set_cursor(
        session,
        _cursor_name(registration.webhook_id),
        registration.cursor,
        account=runtime.account,
    )


def _full(runtime: Runtime, client: AirtableClient, report: SyncReport) -> None:
    """Create the webhook first, so that changes made while reading are read again later."""
    registration = _create_webhook(runtime, client)
    contacts = list(read_contacts(client))
    meetings = list(read_meetings(client))
    follow_ups = list(read_follow_ups(client))
    with runtime.db.transaction() as session:
        _save(runtime, session, registration, client.base_id)
        _apply(runtime, session, contacts, meetings, follow_ups, report)
        clear_cursor(session, WEBHOOKS_BEFORE, account=runtime.account)
    report.full = True
    pages: list[Page[Any]] = [*contacts, *meetings, *follow_ups]
    report.records = sum(len(page.records) for page in pages)


def _create_webhook(runtime: Runtime, client: AirtableClient) -> WebhookRegistration:
    """Create the base's webhook, first deleting any an unfinished earlier full sync left.

    A full sync that failed after its create (or whose create reply was lost) leaves a
    webhook nobody reads, and a base holds at most ten. The ids present before the first
    attempt are remembered until a full sync completes; a webhook made since then with our
    notification URL (none when polling) is such a leftover.
    """
    url = webhook_url(runtime)
    existing = list_webhooks(client)
    with runtime.db.read() as session:
        remembered = get_cursor(session, WEBHOOKS_BEFORE, account=runtime.account)
    before = set(json.loads(remembered)) if remembered else {h.webhook_id for h in existing}
    for hook in existing:
        if hook.webhook_id not in before and hook.notification_url == url:
            delete_webhook(client, hook.webhook_id)
            log.warning("airtable.webhook.leftover_deleted", webhook_id=hook.webhook_id)
    with runtime.db.transaction() as session:
        set_cursor(session, WEBHOOKS_BEFORE, json.dumps(sorted(before)), account=runtime.account)
    return create_webhook(client, url)


def _live_ids(changes: Iterable[AirtableChange]) -> list[str]:
    return [c.record_id for c in changes if c.kind != "destroyed"]


def _apply(
    runtime: Runtime,
    session: Session,
    contacts: list[Page[AirtableContact]],
    meetings: list[Page[AirtableMeeting]],
    follow_ups: list[Page[AirtableFollowUp]],
    report: SyncReport,
    changed_at: Mapping[str, dt.datetime] | None = None,
) -> None:
    pages: list[Page[Any]] = [*contacts, *meetings, *follow_ups]
    for page in pages:
        report.pages += 1
        report.skipped.extend(page.skipped)
    rows = [(contact, merge_person(contact, None)) for page in contacts for contact in page.records]
    people = PeopleBatch.load(session, [view for _, view in rows], account=runtime.account)
    for contact, view in rows:
        duplicate = _duplicate(people.find(contact.email), contact)
        if duplicate is not None:
            report.skipped.append(duplicate)
            log.warning("airtable.contact.duplicate", record_id=contact.record_id)
            continue
        people.save(view)
    session.flush()
    for page in meetings:
        for meeting in page.records:
            _meeting_notes(runtime, session, meeting)
    for page in follow_ups:
        for follow_up in page.records:
            when = (changed_at or {}).get(follow_up.record_id)
            _follow_up_status(runtime, session, follow_up, when)


def _duplicate(holder: Person | None, contact: AirtableContact) -> Skipped | None:
    """A reason to skip a Contacts record whose email another record (`holder`) already has."""
    kept = holder.live_airtable_id if holder else None
    if kept is None or kept == contact.record_id:
        return None
    reason = (
        f"Contacts record {contact.record_id} has the same email as {kept}; using {kept}. "
        "Merge or correct the duplicate in Airtable."
    )
    return Skipped(source=f"airtable.{Contacts.TABLE}", record_id=contact.record_id, reason=reason)


def _meeting_notes(runtime: Runtime, session: Session, record: AirtableMeeting) -> None:
    """Notes the user edited on a meeting that already has its draft: regenerate it."""
    meeting = meeting_by_airtable_id(session, record.record_id, account=runtime.account)
    if meeting is None or (record.notes or "") == (meeting.notes or ""):
        return
    meeting.notes = record.notes
    if meeting.status == "completed" and meeting.draft_id:
        # One due item per version of the notes: a second edit is new work, not a done one.
        version = hashlib.sha256((record.notes or "").encode()).hexdigest()[:16]
        due.schedule(
            session,
            NOTES_CHANGED,
            f"{meeting.id}:{version}",
            runtime.now(),
            payload={"meeting_id": meeting.id},
            account=runtime.account,
        )


def _follow_up_status(
    runtime: Runtime, session: Session, record: AirtableFollowUp, when: dt.datetime | None
) -> None:
    """A follow-up the user marked Done (or reopened) in Airtable, at `when` if known.

    The change's own time counts (a Done progress update moves Next Update Due from the day
    it was done, however late this pass sees it), never later than the clock's now.
    """
    follow_up = followup_by_airtable_id(session, record.record_id, account=runtime.account)
    status = _STATUS_CODES.get(record.status or "")
    if follow_up is None or status is None:
        return
    at = min(when, runtime.now()) if when is not None else runtime.now()
    changed = set_status(follow_up, status, at=at)
    if changed and status == "done" and follow_up.kind == "progress_update":
        due.schedule(
            session,
            PROGRESS_DONE,
            follow_up.key,
            runtime.now(),
            payload={"followup_id": follow_up.id},
            account=runtime.account,
        )


def _keep_alive(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> None:
    """Refresh the webhook before its seven days run out."""
    if not needs_refresh(channel.expires_at, runtime.now()):
        return
    expiry = refresh_webhook(client, channel.channel_id)
    with runtime.db.transaction() as session:
        row = find_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        if row is not None:
            row.expires_at = expiry


def _forget_channel(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> None:
    delete_webhook(client, channel.channel_id)
    with runtime.db.transaction() as session:
        delete_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        clear_cursor(session, _cursor_name(channel.channel_id), account=runtime.account)
