"""Accounts in the store: removing one deletes everything it owns and nothing of another's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from cryptography.fernet import Fernet

from connectors.records import GoogleCredentials
from workflows.accounts import AccountBook, AccountCredentials, account_revision, active_accounts
from workflows.sealing import Sealer
from workflows.store import due
from workflows.store.base import Base
from workflows.store.cursors import set_cursor
from workflows.store.db import Database
from workflows.store.followups import add_followup
from workflows.store.meetings import upsert_meeting
from workflows.store.webhooks import channel_accounts, save_channel

START = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
CREDENTIALS = GoogleCredentials(
    token="ya29.alice-access",
    refresh_token="1//alice-refresh-token-000000000000",
    token_uri="https://oauth2.googleapis.com/token",
    client_id="client.apps.googleusercontent.com",
    client_secret="GOCSPX-alice-client-secret",
    scopes=("https://www.googleapis.com/auth/calendar.events.readonly",),
    expiry=START,
)


def fill(db: Database, account: str) -> None:
    """Rows of `account` in the tables a sync and a completion write."""
    with db.transaction() as s:
        set_cursor(s, "google_calendar", "token-1", account=account)
        due.schedule(s, "complete_meeting", "evt@1", START, account=account)
        save_channel(
            s, provider="airtable", channel_id="ach1", mac_secret="c2VjcmV0", account=account
        )
        meeting = upsert_meeting(
            s, event_id="evt", original_start=START, title="Coffee chat", start=START,
            end=START + dt.timedelta(minutes=30), account=account,
        )  # fmt: skip
        add_followup(
            s, key=f"{account}-thanks", kind="thank_you", title="Thank Ada", due=START.date(),
            meeting_id=meeting.id, account=account,
        )  # fmt: skip


def counts(db: Database, account: str) -> dict[str, int]:
    """How many rows `account` has in each table that has any."""
    found = {}
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            if "account" in table.c:
                query = sa.select(sa.func.count()).where(table.c.account == account)
                found[table.name] = s.execute(query.select_from(table)).scalar_one()
    return {name: n for name, n in found.items() if n}


def test_removing_an_account_deletes_its_rows_in_every_table_and_no_one_elses(db: Database) -> None:
    book = AccountBook(db, Sealer([Fernet.generate_key().decode()]))
    book.add("alice", google=CREDENTIALS, airtable_token="patAlice.0000", airtable_base_id="appA1")
    for account in ("alice", "default"):
        fill(db, account)
    kept = counts(db, "default")
    assert counts(db, "alice") == kept and len(kept) >= 5

    deleted = book.remove("alice")

    assert deleted == sum(kept.values())
    assert counts(db, "alice") == {}
    assert counts(db, "default") == kept
    assert book.list() == [] and book.remove("alice") is None
    with db.read() as s:
        assert channel_accounts(s, "airtable", "ach1") == ["default"]


def test_a_disabled_account_keeps_its_rows_and_is_no_longer_served(db: Database) -> None:
    book = AccountBook(db, Sealer([Fernet.generate_key().decode()]))
    book.add("alice", airtable_base_id="appA1")
    book.add("bob")
    fill(db, "alice")
    revision = account_revision(db, "alice")

    assert book.disable("alice") and not book.disable("carol")

    assert active_accounts(db) == ["bob"]
    assert account_revision(db, "alice") is None
    assert counts(db, "alice")
    [alice, bob] = book.list()
    assert (alice.state, alice.airtable_base_id, bob.state) == ("disabled", "appA1", "active")
    book.add("alice")  # enabled again, a new revision: a worker builds its runtime anew
    assert (account_revision(db, "alice") or 0) > (revision or 0)


def test_a_refreshed_token_is_sealed_into_the_row_without_a_new_revision(db: Database) -> None:
    sealer = Sealer([Fernet.generate_key().decode()])
    AccountBook(db, sealer).add("alice", google=CREDENTIALS)
    revision = account_revision(db, "alice")
    keeper = AccountCredentials(db, sealer, "alice")

    keeper.save(dataclasses.replace(CREDENTIALS, token="ya29.refreshed"))

    assert keeper.load().token == "ya29.refreshed"
    assert account_revision(db, "alice") == revision  # the runtime in use is still right
    with db.read() as s:
        raw = s.execute(sa.text("SELECT google_credentials FROM accounts")).scalar_one()
    assert b"ya29" not in bytes(raw) and b"refresh" not in bytes(raw)
