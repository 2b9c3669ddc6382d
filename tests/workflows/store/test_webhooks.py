"""Push channels are found by the id a notification carries, within their own account."""

from __future__ import annotations

import datetime as dt

from workflows.store.db import Database
from workflows.store.webhooks import (
    channels,
    delete_channel,
    find_channel,
    save_channel,
)

EXPIRY = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)


def test_a_notification_finds_its_channel_in_its_account(db: Database) -> None:
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
        channel = find_channel(s, "google_calendar", "chan-1", account="alice")
        assert channel is not None
        assert (channel.account, channel.token) == ("alice", "secret-token")
        assert find_channel(s, "google_calendar", "unknown", account="alice") is None
        assert find_channel(s, "google_calendar", "chan-1") is None  # another account's
        assert channels(s, "google_calendar") == []


def test_an_account_storing_another_accounts_channel_id_never_touches_its_row(
    db: Database,
) -> None:
    # Given Alice's calendar channel
    with db.transaction() as s:
        save_channel(
            s, provider="google_calendar", channel_id="chan-1", token="alice", account="alice"
        )
    # When Bob's account stores a channel with the same id, then forgets it
    with db.transaction() as s:
        save_channel(s, provider="google_calendar", channel_id="chan-1", token="bob", account="bob")
    with db.read() as s:
        bobs = find_channel(s, "google_calendar", "chan-1", account="bob")
        assert bobs is not None and bobs.token == "bob"
    with db.transaction() as s:
        assert delete_channel(s, "google_calendar", "chan-1", account="bob")
        assert not delete_channel(s, "google_calendar", "chan-1", account="bob")
    # Then Alice's channel is still hers, token and all
    with db.read() as s:
        alices = find_channel(s, "google_calendar", "chan-1", account="alice")
        assert alices is not None
        assert (alices.account, alices.token) == ("alice", "alice")
        assert find_channel(s, "google_calendar", "chan-1", account="bob") is None


def test_a_channel_saved_again_is_renewed_until_deleted(db: Database) -> None:
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
        [saved] = channels(s, "airtable")
        assert saved.expires_at == EXPIRY + dt.timedelta(days=7)  # saved again: renewed, one row
        assert delete_channel(s, "airtable", "ach1")
    with db.read() as s:
        assert channels(s, "airtable") == []
