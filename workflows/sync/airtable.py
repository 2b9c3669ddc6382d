"""The Airtable base into the store: contacts, meeting notes and follow-up statuses.

The base's webhook is the change feed (DESIGN.md, "Change feeds"): the first pass creates
it, then reads the tables in full; every later pass reads the webhook's payloads from
the stored cursor and fetches only the records they name. Deletions come with the payloads.
Work that a change causes (a regenerated draft, a progress update marked Done) becomes due
work, so it is done by the sweep with the same guarantees as everything else.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.client import AirtableClient, IdNames
from connectors.airtable.formula import modified_since
from connectors.airtable.tables import AirtableMeeting
from connectors.airtable.webhooks import (
    PAYLOADS_PER_REQUEST,
    WebhookRegistration,
    create_webhook,
    delete_webhook,
    list_webhooks,
    read_changes,
)
from connectors.errors import NotPermitted, ResyncRequired
from workflows.facts import (
    clear_fact,
    first_sync_at,
    get_fact,
    remember_completed_in_airtable,
    set_fact,
)
from workflows.rules.lifecycle import MeetingStatus
from workflows.runtime import Runtime
from workflows.steps import MILESTONES, step_off
from workflows.store.base import utcnow
from workflows.store.cursors import AIRTABLE_POLLING, clear_cursor, get_cursor, set_cursor
from workflows.store.models import WebhookChannel
from workflows.store.people import forget_airtable_records_except
from workflows.store.webhooks import channels, delete_channel, find_channel, save_channel
from workflows.sync.airtable_apply import apply_read, read_base
from workflows.sync.airtable_lifetime import (
    PROVIDER,
    cursor_name,
    forget_channel,
    keep_alive,
    mark_read,
    may_have_lapsed,
    read_mark_due,
    still_enabled,
)
from workflows.sync.report import SyncReport
from workflows.sync.stream import Stream

log = structlog.get_logger(__name__)

SOURCE = "airtable"
WEBHOOKS_BEFORE = "fact:airtable_webhooks_before_create"
POLLING = AIRTABLE_POLLING
"""The cursor while the base has no webhook (the token's user is an Editor): when it was
last read, and last read in full (`Polling`)."""
POLL_OVERLAP = dt.timedelta(minutes=5)
FULL_READ_EVERY = dt.timedelta(days=1)
"""Without a webhook, deletions are found by reading the tables in full, at most this often
(a webhook is tried again then, in case the user was made the base's creator)."""
NO_WEBHOOK = (
    "no change feed: the token's user is an Editor of this base, and creating Airtable "
    "webhooks needs the Base creator permission; syncing by reading the tables by "
    "last-modified time (a request per table a pass) and in full once a day. Ask the base's "
    "creator to give you Creator access to sync with one request a pass."
)
ID_NAMES = "fact:airtable_id_names"
"""The base's table and field names by id (JSON): the feed's payloads name fields by id, and
telling Followthrough's own writes from the user's compares them by name, so a new process
needs no schema request for it."""


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
            forget_channel(runtime, client, channel)
    polled = _polling(runtime)
    if polled is not None and runtime.now() - polled.full_at < FULL_READ_EVERY:
        _poll(runtime, client, polled, report)
    else:
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
    channel = _channel(runtime) if writes >= PAYLOADS_PER_REQUEST else None
    if channel is None:
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


def _incremental(
    runtime: Runtime,
    client: AirtableClient,
    channel: WebhookChannel,
    report: SyncReport,
) -> None:
    webhook_id = channel.channel_id
    if may_have_lapsed(runtime, channel):
        still_enabled(runtime, client, channel)
    stored_names = _adopt_id_names(runtime, client)
    stream = Stream(runtime, cursor_name(webhook_id))
    batch = read_changes(client, webhook_id, stream.cursor())
    read = read_base(client, changes=batch.changes)  # a Milestones change: the table exists
    names = client.known_id_names
    learned = names.to_json() if names is not None else stored_names

    def apply(session: Session) -> None:
        apply_read(runtime, session, read, report)
        mark_read(runtime, session, channel)
        if learned is not None and learned != stored_names:
            set_fact(session, ID_NAMES, learned, account=runtime.account)

    changes = bool(batch.changes) or learned != stored_names or read_mark_due(runtime, channel)
    stream.commit(batch.next_cursor, apply, changes)
    report.records = len(batch.changes)
    keep_alive(runtime, client, channel)


def _adopt_id_names(runtime: Runtime, client: AirtableClient) -> str | None:
    """The base's names by id as stored (JSON), adopted by a client that does not know them
    yet (no schema request per process); once it does, as it knows them (no read per pass)."""
    if client.known_id_names is not None:
        return client.known_id_names.to_json()
    with runtime.db.read() as session:
        stored = get_fact(session, ID_NAMES, account=runtime.account)
    if stored:
        client.adopt_id_names(IdNames.from_json(stored))
    return stored


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

    def swap(session: Session) -> None:
        _save(runtime, session, registration, client.base_id)
        delete_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        clear_cursor(session, cursor_name(channel.channel_id), account=runtime.account)
        clear_cursor(session, WEBHOOKS_BEFORE, account=runtime.account)

    Stream(runtime, cursor_name(registration.webhook_id)).commit(registration.cursor, swap)
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
    """Store a webhook just made; the caller commits the cursor its feed starts at with it."""
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


def _full(runtime: Runtime, client: AirtableClient, report: SyncReport) -> None:
    """Create the webhook first, so that changes made while reading are read again later.

    On a base where the token's user is an Editor no webhook can be made: the tables are
    then read in full now and by last-modified time on the next passes (`_poll`).
    """
    started = utcnow()
    registration = _webhook_if_permitted(runtime, client, report)
    read = read_base(client, milestones=step_off(runtime, MILESTONES) is None)
    if registration is None:  # the polling cursor starts instead
        stream = Stream(runtime, POLLING)
        start = Polling(since=started, full_at=runtime.now()).as_cursor()
    else:
        stream = Stream(runtime, cursor_name(registration.webhook_id))
        start = registration.cursor

    def apply(session: Session) -> None:
        if registration is not None:
            _save(runtime, session, registration, client.base_id)
            clear_fact(session, POLLING, account=runtime.account)
        apply_read(runtime, session, read, report)
        kept = {contact.record_id for page in read.contacts for contact in page.records}
        forget_airtable_records_except(session, kept, account=runtime.account)
        held = any(page.records for page in read.meetings)
        if held and first_sync_at(session, account=runtime.account) is None:  # a new store
            meetings = [m for page in read.meetings for m in page.records]
            completed = [str(m.event_id) for m in meetings if _completed(m)]
            remember_completed_in_airtable(session, completed, account=runtime.account)
        clear_cursor(session, WEBHOOKS_BEFORE, account=runtime.account)

    stream.commit(start, apply)
    report.full = True
    report.records = read.records


@dataclass(frozen=True)
class Polling:
    """Syncing without a webhook: when the last read started (Airtable's clock, give or take
    `POLL_OVERLAP`: the wall clock), and when the last full read was (the domain clock)."""

    since: dt.datetime
    full_at: dt.datetime

    def as_cursor(self) -> str:
        """The state as stored, under `POLLING`."""
        return json.dumps({"since": self.since.isoformat(), "full_at": self.full_at.isoformat()})


def _polling(runtime: Runtime) -> Polling | None:
    stored = Stream(runtime, POLLING).cursor()
    if not stored:
        return None
    data = json.loads(stored)
    return Polling(
        dt.datetime.fromisoformat(data["since"]), dt.datetime.fromisoformat(data["full_at"])
    )


def _webhook_if_permitted(
    runtime: Runtime, client: AirtableClient, report: SyncReport
) -> WebhookRegistration | None:
    try:
        return _create_webhook(runtime, client)
    except NotPermitted as exc:
        log.warning("airtable.no_webhook", reason=str(exc))
        report.notes.append(NO_WEBHOOK)
        return None


def _poll(runtime: Runtime, client: AirtableClient, polled: Polling, report: SyncReport) -> None:
    """The rows changed since the last read, by last-modified time (a request per table).

    Reads overlap by `POLL_OVERLAP` so that a row saved while the last read ran, or a
    clock a little off Airtable's, is read again rather than missed; applying is idempotent.
    """
    started = utcnow()
    read = read_base(
        client,
        formula=modified_since(polled.since - POLL_OVERLAP),
        milestones=step_off(runtime, MILESTONES) is None,
    )
    next_cursor = replace(polled, since=started).as_cursor()
    Stream(runtime, POLLING).commit(
        next_cursor, lambda session: apply_read(runtime, session, read, report)
    )
    report.records = read.records


def _completed(row: AirtableMeeting) -> bool:
    return row.status == MeetingStatus.COMPLETED.value and bool(row.event_id)


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
