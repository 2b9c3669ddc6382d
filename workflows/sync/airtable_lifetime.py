"""The life of the base's webhook: kept alive, checked after a long gap, forgotten when gone.

Airtable disables a webhook 7 days after its last refresh or payload listing, and a disabled
one records nothing, silently; after a gap (the service down for a week, a laptop closed over
a holiday) the webhook is checked before its feed is trusted, and a lapsed one is replaced
and the base read in full, so every edit made during the gap is applied.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from connectors.airtable.client import AirtableClient
from connectors.airtable.webhooks import (
    check_enabled,
    delete_webhook,
    needs_refresh,
    refresh_webhook,
)
from workflows.runtime import Runtime
from workflows.store.cursors import clear_cursor
from workflows.store.models import WebhookChannel
from workflows.store.webhooks import AIRTABLE_PROVIDER, delete_channel, find_channel

PROVIDER = AIRTABLE_PROVIDER
LAPSE_CHECK_AFTER = dt.timedelta(days=6)
"""A webhook unread this long is checked before its feed is trusted: Airtable disables one
7 days after its last refresh or payload listing, and a disabled one records nothing."""
MARK_READ_EVERY = dt.timedelta(hours=1)
"""How stale the stored last read may be: far within LAPSE_CHECK_AFTER, so a webhook read
every minute is never checked, while a pass with nothing new writes nothing."""


def may_have_lapsed(runtime: Runtime, channel: WebhookChannel) -> bool:
    """True when nothing read or refreshed the webhook for long enough that it may have lapsed
    (the service was down for a week): a lapsed webhook records nothing, silently."""
    now = runtime.now()
    unread = channel.read_at is not None and now - channel.read_at >= LAPSE_CHECK_AFTER
    return unread or (channel.expires_at is not None and now >= channel.expires_at)


def read_mark_due(runtime: Runtime, channel: WebhookChannel) -> bool:
    """True when the feed's last read is stored as older than `MARK_READ_EVERY` (or never):
    a pass that read nothing new writes its read no more often than that."""
    return channel.read_at is None or runtime.now() - channel.read_at >= MARK_READ_EVERY


def mark_read(runtime: Runtime, session: Session, channel: WebhookChannel) -> None:
    """Note, in the caller's transaction, that the webhook's feed was read now (when the
    stored read is older than `MARK_READ_EVERY`)."""
    if not read_mark_due(runtime, channel):
        return
    row = find_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
    if row is not None:
        row.read_at = runtime.now()


def still_enabled(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> None:
    """ResyncRequired when the webhook lapsed while nothing read it; else its expiry is stored."""
    hook = check_enabled(client, channel.channel_id)
    with runtime.db.transaction() as session:
        row = find_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        if row is not None:
            row.expires_at = hook.expiration_time


def keep_alive(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> None:
    """Refresh the webhook before its seven days run out."""
    if not needs_refresh(channel.expires_at, runtime.now()):
        return
    expiry = refresh_webhook(client, channel.channel_id)
    with runtime.db.transaction() as session:
        row = find_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        if row is not None:
            row.expires_at = expiry


def forget_channel(runtime: Runtime, client: AirtableClient, channel: WebhookChannel) -> None:
    """Delete the webhook (gone already is fine) and forget it and its cursor."""
    delete_webhook(client, channel.channel_id)
    with runtime.db.transaction() as session:
        delete_channel(session, PROVIDER, channel.channel_id, account=runtime.account)
        clear_cursor(session, cursor_name(channel.channel_id), account=runtime.account)


def cursor_name(webhook_id: str) -> str:
    """Where the webhook's payload cursor is stored (it advances with what it covers)."""
    return f"{PROVIDER}:{webhook_id}"
