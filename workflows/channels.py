"""Push channels: the Calendar watch channel's life, and the secrets the web app verifies with.

A Calendar watch channel exists only when a public URL is configured (otherwise the calendar
is polled). `ensure_calendar_channel` opens one, renews it before it expires (or when the
public URL changed) by opening a new one, and stops the old one once the new one is stored.
The channel's row is stored before the watch call, so the channel's first notification can
already be verified.

The Airtable webhook (and its MAC secret) is created by the Airtable sync
(workflows.sync.airtable); this module only looks its secret up for the web app.

Channel expiries are Google's, on the wall clock: the domain clock (FOLLOWTHROUGH_NOW) does
not apply to them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from collections.abc import Callable
from typing import TypeVar

import structlog

from connectors.errors import FollowthroughError
from connectors.google.calendar import new_channel_id
from workflows.runtime import Runtime
from workflows.store.base import utcnow
from workflows.store.db import Database
from workflows.store.models import WebhookChannel
from workflows.store.webhooks import (
    channel_accounts,
    channels,
    delete_channel,
    find_channel,
    save_channel,
)
from workflows.sync.airtable import PROVIDER as AIRTABLE_PROVIDER

log = structlog.get_logger(__name__)
S = TypeVar("S", str, bytes)

CALENDAR_PROVIDER = "google_calendar"
CALENDAR_WEBHOOK_PATH = "/webhooks/google/calendar"
CHANNEL_TTL = dt.timedelta(days=7)
RENEW_BEFORE = dt.timedelta(days=1)
"""Replace a channel when less than this is left of its life (renewal runs at least hourly)."""


def calendar_webhook_url(public_url: str) -> str:
    """Where Google should POST the calendar's push notifications."""
    return public_url.rstrip("/") + CALENDAR_WEBHOOK_PATH


def ensure_calendar_channel(runtime: Runtime, *, now: dt.datetime | None = None) -> str | None:
    """Make sure a live Calendar channel exists; returns its id (None without a public URL).

    A channel on the configured calendar, notifying the configured public URL, with more
    than RENEW_BEFORE left is kept; otherwise a new one is opened and the older ones are
    stopped and forgotten.
    """
    public_url = runtime.config.public_url
    if not public_url:
        return None
    wall, address = now or utcnow(), calendar_webhook_url(public_url)
    with runtime.db.read() as session:
        existing = channels(session, CALENDAR_PROVIDER, account=runtime.account)
    live = [c for c in existing if _serves(c, runtime.config.calendar_id, address, wall)]
    if live:
        return live[0].channel_id
    channel_id = _open(runtime, address)
    for old in existing:
        _stop(runtime, old)
    return channel_id


def _serves(channel: WebhookChannel, calendar_id: str, address: str, wall: dt.datetime) -> bool:
    """True for a channel on the calendar, notifying `address`, with RENEW_BEFORE to live."""
    expires_at = channel.expires_at
    young = expires_at is not None and expires_at - wall > RENEW_BEFORE
    return young and channel.target == calendar_id and channel.address == address


def _open(runtime: Runtime, address: str) -> str:
    calendar_id = runtime.config.calendar_id
    channel_id, token = new_channel_id(), secrets.token_urlsafe(32)
    with runtime.db.transaction() as session:
        save_channel(
            session,
            provider=CALENDAR_PROVIDER,
            channel_id=channel_id,
            target=calendar_id,
            token=token,
            address=address,
            account=runtime.account,
        )
    try:
        opened = runtime.need_google().calendar.watch(
            calendar_id, address, channel_id, token, CHANNEL_TTL
        )
    except Exception:
        with runtime.db.transaction() as session:
            delete_channel(session, CALENDAR_PROVIDER, channel_id, account=runtime.account)
        raise
    with runtime.db.transaction() as session:
        save_channel(
            session,
            provider=CALENDAR_PROVIDER,
            channel_id=channel_id,
            target=calendar_id,
            token=token,
            resource_id=opened.resource_id,
            expires_at=opened.expiration or utcnow() + CHANNEL_TTL,
            address=address,
            account=runtime.account,
        )
    log.info("calendar.channel_opened", channel_id=channel_id, expires_at=opened.expiration)
    return channel_id


def _stop(runtime: Runtime, channel: WebhookChannel) -> None:
    """Stop a replaced channel at Google, then forget it; a failed stop only lets it expire."""
    if channel.resource_id:
        try:
            runtime.need_google().calendar.stop_channel(channel.channel_id, channel.resource_id)
        except FollowthroughError as exc:
            log.warning(
                "calendar.channel_stop_failed",
                channel_id=channel.channel_id,
                error=type(exc).__name__,
                reason=str(exc),
            )
    with runtime.db.transaction() as session:
        delete_channel(session, CALENDAR_PROVIDER, channel.channel_id, account=runtime.account)
    log.info("calendar.channel_stopped", channel_id=channel.channel_id)


def calendar_channel_owners(db: Database, channel_id: str) -> list[tuple[str, str]]:
    """Each account holding Calendar channel `channel_id`, with its own token for it."""
    return _owners(db, CALENDAR_PROVIDER, channel_id, calendar_channel_token)


def airtable_webhook_owners(db: Database, webhook_id: str) -> list[tuple[str, bytes]]:
    """Each account holding Airtable webhook `webhook_id`, with its own decoded MAC secret."""
    return _owners(db, AIRTABLE_PROVIDER, webhook_id, airtable_mac_secret)


def _owners(
    db: Database, provider: str, channel_id: str, secret_of: Callable[..., S | None]
) -> list[tuple[str, S]]:
    """The accounts holding the channel, each with the secret `secret_of` reads in its name."""
    owners = []
    for account in _holders(db, provider, channel_id):
        secret = secret_of(db, channel_id, account=account)
        if secret:
            owners.append((account, secret))
    return owners


def _holders(db: Database, provider: str, channel_id: str) -> list[str]:
    if not channel_id:
        return []
    with db.read() as session:
        return channel_accounts(session, provider, channel_id)


def calendar_channel_token(db: Database, channel_id: str, *, account: str) -> str | None:
    """The token of the account's Calendar channel `channel_id` (None: not one of its own)."""
    if not channel_id:
        return None
    with db.read() as session:
        row = find_channel(session, CALENDAR_PROVIDER, channel_id, account=account)
        return row.token if row is not None and row.token else None


def airtable_mac_secret(db: Database, webhook_id: str, *, account: str) -> bytes | None:
    """The decoded MAC secret of the account's Airtable webhook `webhook_id` (None: unknown)."""
    if not webhook_id:
        return None
    with db.read() as session:
        row = find_channel(session, AIRTABLE_PROVIDER, webhook_id, account=account)
        secret = row.mac_secret if row is not None else None
    if not secret:
        return None
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        log.warning("airtable.webhook_secret_unreadable", webhook_id=webhook_id)
        return None
