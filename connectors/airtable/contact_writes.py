"""Contacts rows without a merge field: created, updated by record id, found by Email.

Airtable merges an upsert only on number, text, long text, select and date fields, and
`Contacts.Email` is an `email` field (as `airtable init` creates it), so contacts are never
upserted. A new row is created (POST, which the transport never sends twice); a known row is
updated by its record id (PATCH, idempotent). When a create's outcome is unknown (its
response was lost), the caller passes its addresses in `look_up`: they are looked for by
Email first, in one request, and only the missing ones are created again. Addresses match as
the reader reads an Email cell: trimmed, in any case, a `mailto:` link counting as its address.

Each function takes at most `BATCH_SIZE` rows (one request each on the normal path); the
caller batches, and keeps the bookkeeping that says which creates are unconfirmed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.airtable.client import AirtableClient
from connectors.airtable.formula import field as field_ref
from connectors.airtable.formula import literal
from connectors.airtable.readers import read_contacts
from connectors.airtable.tables import Contacts
from connectors.airtable.writes import BATCH_SIZE, ContactWrite
from connectors.errors import NotFound, SkipRecord

log = structlog.get_logger(__name__)


def address_key(email: str) -> str:
    """An address as Email cells are compared here: trimmed, lowercased, without `mailto:`."""
    text = email.strip().lower()
    return text[7:].strip() if text.startswith("mailto:") else text


@dataclass(frozen=True)
class Written:
    """Record ids by Email for the rows written, which were created, and which were refused."""

    record_ids: dict[str, str] = field(default_factory=dict)
    created: frozenset[str] = frozenset()
    refused: dict[str, str] = field(default_factory=dict)  # Email -> Airtable's reason


def find_contacts(client: AirtableClient, emails: Iterable[str]) -> dict[str, str]:
    """Record ids of the Contacts rows with these addresses, by `address_key` (one request).

    When several rows share an address, the first Airtable lists is taken.
    """
    wanted = sorted({address_key(email) for email in emails} - {""})
    if not wanted:
        return {}
    cell = f"LOWER(TRIM({field_ref(Contacts.EMAIL)}))"
    terms = [f"{cell}={literal(text)}" for email in wanted for text in (email, "mailto:" + email)]
    found: dict[str, str] = {}
    for page in read_contacts(client, formula="OR(" + ",".join(terms) + ")"):
        for contact in page.records:
            if contact.email and address_key(contact.email) in wanted:
                found.setdefault(address_key(contact.email), contact.record_id)
    log.info("airtable.contacts.found", wanted=len(wanted), found=len(found))
    return found


def create_contacts(
    client: AirtableClient, rows: Sequence[ContactWrite], *, look_up: Collection[str] = ()
) -> Written:
    """Create the rows (one request); rows whose Email is in `look_up` are created only if
    no row has that address already (one more request, made first).

    Raises `AmbiguousWrite` when the response is lost (look those addresses up next time),
    `SkipRecord` when Airtable refused the batch (nothing was created).
    """
    _check(rows)
    unknown = {address_key(email) for email in look_up}
    found = find_contacts(client, [r.email for r in rows if address_key(r.email) in unknown])
    ids = {r.email: found[address_key(r.email)] for r in rows if address_key(r.email) in found}
    missing = [row for row in rows if row.email not in ids]
    if not missing:
        return Written(record_ids=ids)
    body = {"records": [{"fields": row.to_fields()} for row in missing], "typecast": False}
    url = client.table(Contacts.TABLE).urls.records
    response: dict[str, Any] = client.call(
        "create records",
        lambda: client.api.request("POST", url, json=body),
        table=Contacts.TABLE,
        write=True,
    )
    client.remember_written(response["records"], [row.to_fields() for row in missing])
    for row, record in zip(missing, response["records"], strict=True):
        ids[row.email] = record["id"]
    return Written(record_ids=ids, created=frozenset(row.email for row in missing))


def update_contacts(client: AirtableClient, rows: Sequence[ContactWrite]) -> Written:
    """Update rows by record id (one request); a refused batch is retried a row at a time.

    A row Airtable refuses (its record deleted, or a value it will not take) is reported in
    `refused` with the reason: look it up by Email to tell which.
    """
    _check(rows)
    if any(row.record_id is None for row in rows):
        raise ValueError("update_contacts takes rows that name their record_id")
    try:
        response = _patch(client, rows)
    except (SkipRecord, NotFound) as exc:
        if len(rows) == 1:
            log.info("airtable.contacts.refused", record_id=rows[0].record_id, reason=str(exc))
            return Written(refused={rows[0].email: str(exc)})
        return _one_at_a_time(client, rows)
    ids = {row.email: record["id"] for row, record in zip(rows, response["records"], strict=True)}
    return Written(record_ids=ids)


def _one_at_a_time(client: AirtableClient, rows: Sequence[ContactWrite]) -> Written:
    ids: dict[str, str] = {}
    refused: dict[str, str] = {}
    for row in rows:
        written = update_contacts(client, [row])
        ids.update(written.record_ids)
        refused.update(written.refused)
    return Written(record_ids=ids, refused=refused)


def _patch(client: AirtableClient, rows: Sequence[ContactWrite]) -> dict[str, Any]:
    records = [{"id": row.record_id, "fields": row.to_fields()} for row in rows]
    url = client.table(Contacts.TABLE).urls.records
    result: dict[str, Any] = client.call(
        "update records",
        lambda: client.api.request("PATCH", url, json={"records": records, "typecast": False}),
        table=Contacts.TABLE,
        write=True,
    )
    client.remember_written(result["records"], [row.to_fields() for row in rows])
    return result


def _check(rows: Sequence[ContactWrite]) -> None:
    if len(rows) > BATCH_SIZE:
        raise ValueError(f"at most {BATCH_SIZE} rows go in one request, not {len(rows)}")
