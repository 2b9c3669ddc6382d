"""Push channels are found by the id a notification carries, and tell their account."""

from __future__ import annotations

import datetime as dt

from workflows.store.db import Database
from workflows.store.webhooks import (
    channels,
    delete_channel,
    expiring_channels,
    find_channel,
    save_channel,
)

EXPIRY = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)


def test_a_notification_finds_its_channel_and_account(db: Database) -> None:
    with db.transaction() as s:
        save_channel(
            s,
            provider="google_calendar",
            channel_id="chan-1",
            target="primary",
            token="secret-token",
            resource_id="res-1",
            expires_at=EXPIRY,
            account="alice",
        )
    with db.read() as s:
        channel = find_channel(s, "google_calendar", "chan-1")
        assert channel is not None
        assert (channel.account, channel.token) == ("alice", "secret-token")
        assert find_channel(s, "google_calendar", "unknown") is None
        assert channels(s, "google_calendar") == []


def test_channels_due_for_renewal_and_deletion(db: Database) -> None:
    with db.transaction() as s:
        save_channel(
            s, provider="airtable", channel_id="ach1", mac_secret="bWFj", expires_at=EXPIRY
        )
        save_channel(
            s,
            provider="airtable",
            channel_id="ach1",
            mac_secret="bWFj",
            expires_at=EXPIRY + dt.timedelta(days=7),
        )
    with db.transaction() as s:
        assert expiring_channels(s, EXPIRY + dt.timedelta(days=1)) == []
        assert [c.channel_id for c in expiring_channels(s, EXPIRY + dt.timedelta(days=8))] == [
            "ach1"
        ]
        assert delete_channel(s, "airtable", "ach1")
    with db.read() as s:
        assert channels(s, "airtable") == []
