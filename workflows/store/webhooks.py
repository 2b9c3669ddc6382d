"""Push channels: Calendar watch channels and Airtable webhooks, with their secrets.

Every lookup of a channel names its account, and a channel id that another account also
holds is never taken for its own, so one account can neither read nor overwrite another's
channel. Only `channel_accounts` looks across accounts, and it returns names, no secret.
Secrets (`token`, `mac_secret`) are stored here and must never be logged. The Airtable
payload cursor lives in `cursors` (source `airtable:<webhook id>`), so it advances with
what it covers.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import Account, WebhookChannel

AIRTABLE_PROVIDER = "airtable"
"""The provider of an Airtable webhook's row (the Calendar's is workflows.channels')."""


def save_channel(
    session: Session,
    *,
    provider: str,
    channel_id: str,
    target: str | None = None,
    token: str | None = None,
    resource_id: str | None = None,
    mac_secret: str | None = None,
    expires_at: dt.datetime | None = None,
    address: str | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> WebhookChannel:
    """Record a channel just registered (or update its expiry after a renewal); flushed.

    `address` is where it sends its notifications (None: none, its feed is polled).
    """
    row = find_channel(session, provider, channel_id, account=account)
    if row is None:
        row = WebhookChannel(
            account=account, provider=provider, channel_id=channel_id, created_at=utcnow()
        )
        session.add(row)
    row.target, row.token, row.resource_id = target, token, resource_id
    row.mac_secret, row.expires_at, row.address = mac_secret, expires_at, address
    session.flush()
    return row


def find_channel(
    session: Session, provider: str, channel_id: str, *, account: str = DEFAULT_ACCOUNT
) -> WebhookChannel | None:
    """The account's channel a notification names (None: not a channel of this account)."""
    query = sa.select(WebhookChannel).where(
        WebhookChannel.account == account,
        WebhookChannel.provider == provider,
        WebhookChannel.channel_id == channel_id,
    )
    return session.execute(query).scalar_one_or_none()


def channel_accounts(session: Session, provider: str, channel_id: str) -> list[str]:
    """The served accounts that hold a channel with this id (a notification names no account:
    the web app then verifies it against each one's own secret, read with `find_channel`).
    A disabled account's channel is nobody's: its pushes are answered as unknown."""
    disabled = sa.select(Account.name).where(Account.state != "active")
    query = sa.select(WebhookChannel.account).where(
        WebhookChannel.provider == provider,
        WebhookChannel.channel_id == channel_id,
        WebhookChannel.account.not_in(disabled),
    )
    return list(session.execute(query.order_by(WebhookChannel.account)).scalars())


def channels(
    session: Session, provider: str, *, account: str = DEFAULT_ACCOUNT
) -> list[WebhookChannel]:
    """The account's channels with `provider`, newest first."""
    query = sa.select(WebhookChannel).where(
        WebhookChannel.account == account, WebhookChannel.provider == provider
    )
    return list(session.execute(query.order_by(WebhookChannel.id.desc())).scalars())


def delete_channel(
    session: Session, provider: str, channel_id: str, *, account: str = DEFAULT_ACCOUNT
) -> bool:
    """Forget the account's channel (after stopping it or when it expired); True if it existed."""
    row = find_channel(session, provider, channel_id, account=account)
    if row is None:
        return False
    session.delete(row)
    return True


def accounts_notified_by(
    session: Session, providers: tuple[str, ...], wall_now: dt.datetime
) -> set[str]:
    """The accounts (any) holding, for every one of `providers`, a channel that notifies an
    address and has not expired by the wall clock."""
    query = sa.select(WebhookChannel.account, WebhookChannel.provider).where(
        WebhookChannel.provider.in_(providers),
        WebhookChannel.address.is_not(None),
        sa.or_(WebhookChannel.expires_at.is_(None), WebhookChannel.expires_at > wall_now),
    )
    held: dict[str, set[str]] = {}
    for account, provider in session.execute(query.distinct()):
        held.setdefault(account, set()).add(provider)
    return {account for account, kinds in held.items() if kinds >= set(providers)}
