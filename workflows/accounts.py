"""Accounts beyond the default one: added, listed, disabled and removed; their secrets sealed.

The default account is the service's own settings and has no row. Every other account is a
row of the store holding its state, the settings it overrides (`ACCOUNT_SETTINGS`), its
Google authorized-user credentials and its Airtable token (both sealed with
workflows.sealing) and its Airtable base.

- disable: its data stays; no message of its is run any more (each is dropped with one log
  line) until `add` is run for it again.
- remove: its row, its sealed credentials and every row it owns in every table (people,
  meetings, due work, the effects ledger, cursors, push channels with their secrets) are
  deleted; its messages are dropped. Its Gmail drafts and Airtable rows stay where they
  are: they are the user's.

Before either, `accounts remove|disable` stops the account's push channels
(workflows.push_teardown).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConfigurationError
from connectors.google.auth import credentials_json, parse_credentials
from connectors.records import GoogleCredentials
from workflows.page_keys import issue_page_key
from workflows.sealing import NO_KEY, NoKey, Sealer
from workflows.store import accounts as rows
from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.db import Database
from workflows.store.models import Account

ACCOUNT_SETTINGS = {
    "calendar_id": "the Google Calendar to watch",
    "timezone": "IANA time zone for dates (empty: the calendar's)",
    "sender_name": "the name that signs drafts",
    "about_me": "a sentence or two on who the person is, for ask drafts",
    "tasks_sink": "where follow-up tasks go: airtable, google or both",
    "update_every_days": "the default progress-update cadence, in days",
    "digest": "when the weekly digest is drafted, e.g. 'mon 08:00' (empty: none)",
    "google_api_endpoint": "a stand-in for Google's APIs (a sandbox); empty: Google",
    "airtable_endpoint": "a stand-in for Airtable's API (a sandbox); empty: Airtable",
}
"""What an account may set for itself (the FOLLOWTHROUGH_ setting of the same name otherwise)."""
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def name_problem(name: str, default: str = DEFAULT_ACCOUNT) -> str | None:
    """Why `name` cannot name an account (None: it can); `default` is the settings' account."""
    if name == default:
        return f"{name!r} is the account the settings define; choose another name"
    if not NAME_PATTERN.fullmatch(name):
        return (
            "use 1 to 64 lowercase letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    return None


@dataclass(frozen=True)
class AccountSummary:
    """What `accounts list` shows: never a secret."""

    name: str
    state: str
    google_linked: bool
    airtable_linked: bool
    airtable_base_id: str | None
    settings: dict[str, Any]
    revision: int


@dataclass(frozen=True)
class OpenedAccount:
    """An active account with its secrets in clear, for building its clients."""

    name: str
    settings: dict[str, Any]
    airtable_base_id: str | None
    revision: int
    google: GoogleCredentials | None = field(repr=False)
    airtable_token: str | None = field(repr=False)


def _summary(row: Account) -> AccountSummary:
    return AccountSummary(
        name=row.name,
        state=row.state,
        google_linked=row.google_credentials is not None,
        airtable_linked=row.airtable_token is not None,
        airtable_base_id=row.airtable_base_id,
        settings=dict(row.settings),
        revision=row.revision,
    )


def add_account(
    db: Database,
    sealer: Sealer,
    name: str,
    *,
    google: GoogleCredentials | None = None,
    airtable_token: str | None = None,
    airtable_base_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> tuple[AccountSummary, bool]:
    """Add the account, or update it (what is not given is kept, sealed anew with the first
    key) and make it active again. True when it was created.
    """
    changes: dict[str, Any] = {"settings": settings}
    if google is not None:
        changes["google_credentials"] = _seal_google(sealer, google)
    if airtable_token is not None:
        changes["airtable_token"] = sealer.seal(airtable_token)
    if airtable_base_id is not None:
        changes["airtable_base_id"] = airtable_base_id
    with db.transaction() as session:
        row, created = rows.save_account(session, name, **changes)
        if google is None and row.google_credentials is not None:
            what = f"account {name}'s Google credentials"
            row.google_credentials = sealer.reseal(row.google_credentials, what)
        if airtable_token is None and row.airtable_token is not None:
            what = f"account {name}'s Airtable token"
            row.airtable_token = sealer.reseal(row.airtable_token, what)
        return _summary(row), created


def list_accounts(db: Database) -> list[AccountSummary]:
    """Every account, by name (no key needed: nothing is opened)."""
    with db.read() as session:
        return [_summary(row) for row in rows.all_accounts(session)]


def active_accounts(db: Database) -> list[str]:
    """The names of the active accounts."""
    with db.read() as session:
        return rows.active_names(session)


def account_settings(db: Database, name: str) -> dict[str, Any] | None:
    """The active account's own settings (no key needed); None when removed or disabled."""
    with db.read() as session:
        row = rows.get_account(session, name)
        return dict(row.settings) if row is not None and row.state == "active" else None


def account_revision(db: Database, name: str) -> int | None:
    """The active account's revision; None when it is removed or disabled."""
    with db.read() as session:
        row = rows.get_account(session, name)
        return row.revision if row is not None and row.state == "active" else None


def disable_account(db: Database, name: str) -> bool:
    """Stop the account's work, keeping its data; False when there is no such account."""
    with db.transaction() as session:
        return rows.set_state(session, name, "disabled")


def remove_account(db: Database, name: str) -> int | None:
    """Delete the account, its credentials and every row it owns; the number of rows deleted
    besides its own (None: no such account)."""
    with db.transaction() as session:
        return rows.delete_account(session, name)


def open_account(db: Database, sealer: Sealer, name: str) -> OpenedAccount | None:
    """The active account with its secrets opened; None when it is removed or disabled."""
    with db.read() as session:
        row = rows.get_account(session, name)
    if row is None or row.state != "active":
        return None
    google = None
    if row.google_credentials is not None:
        google = _open_google(sealer, row.google_credentials, name)
    token = row.airtable_token
    return OpenedAccount(
        name=row.name,
        settings=dict(row.settings),
        airtable_base_id=row.airtable_base_id,
        revision=row.revision,
        google=google,
        airtable_token=sealer.open(token, f"account {name}'s Airtable token") if token else None,
    )


def _seal_google(sealer: Sealer, credentials: GoogleCredentials) -> bytes:
    return sealer.seal(json.dumps(credentials_json(credentials)))


def _open_google(sealer: Sealer, sealed: bytes, name: str) -> GoogleCredentials:
    what = f"account {name}'s Google credentials"
    return parse_credentials(json.loads(sealer.open(sealed, what)), what)


class AccountCredentials:
    """An account's Google credentials as a connectors.google.auth.CredentialsKeeper: a
    refreshed token is sealed into its row, and other workers read it from there."""

    def __init__(self, db: Database, sealer: Sealer, name: str) -> None:
        self._db, self._sealer, self._name = db, sealer, name
        self.where = f"account {name}"

    def __repr__(self) -> str:
        return f"AccountCredentials({self._name!r})"

    def load(self) -> GoogleCredentials:
        """The account's stored credentials; an error saying what to do when there are none."""
        with self._db.read() as session:
            row = rows.get_account(session, self._name)
        if row is None or row.google_credentials is None:
            raise ConfigurationError(
                f"account {self._name} has no Google credentials: run `followthrough accounts "
                f"add {self._name}` with --client-secrets or --google-credentials"
            )
        return _open_google(self._sealer, row.google_credentials, self._name)

    def save(self, credentials: GoogleCredentials) -> None:
        """Seal the refreshed credentials into the account's row."""
        sealed = _seal_google(self._sealer, credentials)
        with self._db.transaction() as session:
            rows.store_google_credentials(session, self._name, sealed)


class AccountBook:
    """The accounts of one store, for the `accounts` commands (the key is needed to add only)."""

    def __init__(self, db: Database, sealer: Sealer | None) -> None:
        self.db, self._sealer = db, sealer

    def need_key(self) -> Sealer:
        """The sealer; NoKey, saying how to make a key, when none is set."""
        if self._sealer is None:
            raise NoKey(NO_KEY)
        return self._sealer

    def add(self, name: str, **parts: Any) -> tuple[AccountSummary, bool]:
        """`add_account` with this store and key."""
        return add_account(self.db, self.need_key(), name, **parts)

    def list(self) -> list[AccountSummary]:
        """Every account, by name."""
        return list_accounts(self.db)

    def disable(self, name: str) -> bool:
        """Stop the account's work, keeping its data."""
        return disable_account(self.db, name)

    def remove(self, name: str) -> int | None:
        """Delete the account and what it owns."""
        return remove_account(self.db, name)

    def page_key(self, name: str) -> str | None:
        """A new status page key for the account (the last one is void); None: no account."""
        return issue_page_key(self.db, name)

    def close(self) -> None:
        """Close the store's connections."""
        self.db.dispose()
