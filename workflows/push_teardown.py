"""Stopping an account's push when it is removed or disabled, so nothing keeps pinging for it.

Its Calendar watch channels are stopped at Google (channels.stop) and its Airtable webhooks
deleted at Airtable; then their rows (and each webhook's payload cursor) are forgotten.
What cannot be stopped (the service unreachable, the credentials revoked or never opened)
is forgotten all the same, since nobody will renew it: it ends by itself (a Calendar
channel at its expiration, an Airtable webhook seven days after its last refresh), and a
`Leftover` says so. Until then the web app answers its pushes 404: their channel is unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from connectors.airtable.webhooks import delete_webhook
from connectors.errors import AuthorizationError, FollowthroughError
from workflows.channels import CALENDAR_PROVIDER
from workflows.runtime import Runtime
from workflows.store.cursors import clear_cursor
from workflows.store.models import WebhookChannel
from workflows.store.webhooks import channels, delete_channel
from workflows.sync.airtable import PROVIDER as AIRTABLE_PROVIDER
from workflows.sync.airtable_lifetime import cursor_name

log = structlog.get_logger(__name__)

WEBHOOK_LIFETIME = dt.timedelta(days=7)
"""An Airtable webhook nobody refreshes lapses this long after its last refresh."""


@dataclass(frozen=True)
class Leftover:
    """A channel that could not be stopped: what it is, why, and when it ends by itself."""

    what: str
    reason: str
    ends: dt.datetime | None

    def line(self) -> str:
        """One line for the operator."""
        ends = f"by {self.ends:%Y-%m-%d %H:%M} UTC" if self.ends else "within 7 days"
        return f"{self.what} could not be stopped ({self.reason}); it ends by itself {ends}"


def has_push(runtime: Runtime) -> bool:
    """True when the account holds a Calendar channel or an Airtable webhook."""
    with runtime.db.read() as session:
        return any(channels(session, p, account=runtime.account) for p in _PROVIDERS)


def stop_push(runtime: Runtime, unopened: str | None = None) -> list[Leftover]:
    """Stop and forget every push channel of the account; what could not be stopped.

    `unopened`: why the account's clients could not be built (its channels are then only
    forgotten)."""
    with runtime.db.read() as session:
        held = [c for p in _PROVIDERS for c in channels(session, p, account=runtime.account)]
    leftovers = []
    for channel in held:
        failure = unopened or _stop(runtime, channel)
        if failure:
            leftovers.append(_leftover(channel, failure))
        _forget(runtime, channel)
    log.info("account.push_stopped", account=runtime.account, channels=len(held))
    return leftovers


def _stop(runtime: Runtime, channel: WebhookChannel) -> str | None:
    """Stop the channel at its service; why not, when it could not be."""
    try:
        if channel.provider == CALENDAR_PROVIDER:
            if channel.resource_id:  # None: the watch call never answered, no channel opened
                calendar = runtime.need_google().calendar
                calendar.stop_channel(channel.channel_id, channel.resource_id)
        else:
            delete_webhook(runtime.need_airtable(), channel.channel_id)
    except FollowthroughError as error:
        log.warning("account.push_stop_failed", channel=channel.channel_id, error=str(error))
        if isinstance(error, AuthorizationError):  # its advice (authorize again) is moot here
            service = "Google" if channel.provider == CALENDAR_PROVIDER else "Airtable"
            return f"{service} refused the account's credentials: revoked or expired"
        return str(error).split(";")[0]
    return None


def _leftover(channel: WebhookChannel, reason: str) -> Leftover:
    if channel.provider == CALENDAR_PROVIDER:
        return Leftover("its Calendar channel at Google", reason, channel.expires_at)
    return Leftover(
        f"its Airtable webhook {channel.channel_id} on {channel.target or 'its base'}",
        reason,
        _webhook_end(channel),
    )


def _webhook_end(channel: WebhookChannel) -> dt.datetime | None:
    """When the webhook lapses: its stored expiry, else seven days from when it was made."""
    if channel.expires_at is not None:
        return channel.expires_at
    return channel.created_at + WEBHOOK_LIFETIME if channel.created_at else None


def _forget(runtime: Runtime, channel: WebhookChannel) -> None:
    with runtime.db.transaction() as session:
        delete_channel(session, channel.provider, channel.channel_id, account=runtime.account)
        if channel.provider == AIRTABLE_PROVIDER:
            clear_cursor(session, cursor_name(channel.channel_id), account=runtime.account)


_PROVIDERS = (CALENDAR_PROVIDER, AIRTABLE_PROVIDER)
