"""The scale benchmark's world: many small accounts, one sandbox tenant each.

Each account is a job seeker with three Google contacts, the same three in Airtable's
Contacts, a coffee chat long past (history: no draft), and later one coffee chat ending at the
burst's minute, the same for every account. Its base is set up as `followthrough airtable
init` sets one up; the account is added to the accounts book as `followthrough accounts add`
adds it.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.airtable.client import AirtableClient
from connectors.airtable.schema import init_schema
from connectors.google.auth import parse_credentials
from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.remote import RemoteSandbox, RemoteTenant
from workflows.accounts import AccountBook
from workflows.sealing import Sealer
from workflows.store.db import Database

CONTACTS = 3
INIT_THREADS = 16  # bases set up at once (each at Airtable's five requests a second)
ADD_BATCH = 100  # tenants per control call


def account_name(index: int) -> str:
    """The account (and sandbox tenant) name of account `index`."""
    return f"seeker{index:04d}"


def user_email(index: int) -> str:
    """The job seeker's own Google address."""
    return f"{account_name(index)}@bench.example"


def contact_email(index: int, contact: int) -> str:
    """The address of one of the account's contacts."""
    return f"c{contact}.of.{account_name(index)}@people.example"


def tenant_fixture(index: int, now: dt.datetime) -> dict[str, Any]:
    """One account's world (see the module's docstring)."""
    names = [f"Contact {contact} of {index}" for contact in range(CONTACTS)]
    emails = [contact_email(index, contact) for contact in range(CONTACTS)]
    past = now - dt.timedelta(days=10)
    return {
        "google": {
            "user": {"email": user_email(index), "name": f"Seeker {index}", "timeZone": "UTC"},
            "calendars": {
                "primary": {"timeZone": "UTC", "events": [_chat(index, "past", past, 0)]}
            },
            "contacts": [
                {
                    "resourceName": f"people/c{index:06d}{contact:04d}",
                    "names": [{"displayName": names[contact]}],
                    "emailAddresses": [{"value": emails[contact], "metadata": {"primary": True}}],
                }
                for contact in range(CONTACTS)
            ],
            "tasklists": [],
        },
        "airtable": {
            "tables": [
                {
                    "name": "Contacts",
                    "fields": [dict(f) for f in CONTACT_FIELDS],
                    "records": [
                        {"fields": {"Name": names[c], "Email": emails[c], "Stage": "Scheduled"}}
                        for c in range(CONTACTS)
                    ],
                }
            ]
        },
    }


def burst_meeting(index: int, end: dt.datetime) -> dict[str, Any]:
    """The coffee chat of account `index` that ends at the burst's minute."""
    return _chat(index, "burst", end - dt.timedelta(minutes=30), 1)


def _chat(index: int, label: str, start: dt.datetime, contact: int) -> dict[str, Any]:
    end = start + dt.timedelta(minutes=30)
    return {
        "id": f"{label}{index:06d}",
        "summary": f"Coffee chat with Contact {contact} of {index}",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        "attendees": [
            {"email": user_email(index), "self": True, "responseStatus": "accepted"},
            {"email": contact_email(index, contact), "responseStatus": "accepted"},
        ],
    }


def add_tenants(box: RemoteSandbox, count: int, now: dt.datetime) -> list[RemoteTenant]:
    """One sandbox tenant per account, added a batch per control call."""
    tenants: list[RemoteTenant] = []
    for first in range(0, count, ADD_BATCH):
        indexes = range(first, min(count, first + ADD_BATCH))
        tenants += box.add_tenants(
            [tenant_fixture(i, now) for i in indexes], [account_name(i) for i in indexes]
        )
    return tenants


def init_bases(tenants: list[RemoteTenant]) -> None:
    """What `followthrough airtable init` does, for every tenant's base, several at once."""

    def init(tenant: RemoteTenant) -> None:
        init_schema(
            AirtableClient(tenant.airtable_token, tenant.airtable_base_id, endpoint=tenant.url)
        )

    with ThreadPoolExecutor(INIT_THREADS) as pool:
        list(pool.map(init, tenants))


def add_accounts(database_url: str, key: str, tenants: list[RemoteTenant]) -> None:
    """Each tenant as an account in the book, as `followthrough accounts add` stores it."""
    db = Database(database_url)
    try:
        book = AccountBook(db, Sealer([key]))
        for tenant in tenants:
            book.add(
                tenant.name,
                google=parse_credentials(tenant.google_credentials, f"{tenant.name}'s Google"),
                airtable_token=tenant.airtable_token,
                airtable_base_id=tenant.airtable_base_id,
                settings={"sender_name": f"Seeker {tenant.name}"},
            )
    finally:
        db.dispose()
