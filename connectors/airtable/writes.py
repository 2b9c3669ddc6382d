"""The rows Followthrough writes, and batch upserts into Meetings and Follow-ups.

Meetings and Follow-ups are upserted, merged on Event ID and Key (single line text fields).
An upsert (PATCH with `performUpsert.fieldsToMergeOn`) is idempotent, so the transport may
repeat it after a dropped connection and it still applies once. At most 10 records go in one
request. A field left `None` in a write is not sent, so what the user typed stays as it is.
A batch Airtable refuses for one record's sake (e.g. two records with the same Key) is
retried a record at a time, and only the refused record is skipped, with the reason.

Contacts are not upserted: Airtable merges only on number, text, long text, select and date
fields, and Email is an `email` field. They are created and updated by record id
(`connectors.airtable.contact_writes`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from connectors.airtable.client import AirtableClient
from connectors.airtable.tables import (
    CONTACTS_SPEC,
    FOLLOW_UPS_SPEC,
    MEETINGS_SPEC,
    ContactCells,
    Contacts,
    FollowUpCells,
    FollowUps,
    MeetingCells,
    Meetings,
)
from connectors.errors import SkipRecord
from connectors.records import Skipped

log = structlog.get_logger(__name__)

BATCH_SIZE = 10
"""Airtable's limit on records per write request."""


class Row(Protocol):
    """A row to write: its table and key, and its fields in Airtable's terms."""

    TABLE: str

    @property
    def key(self) -> str:
        """What the row is known and reported by (its merge field's value, or its Email)."""

    def to_fields(self) -> dict[str, Any]:
        """The fields to send (None values left out)."""


class Write(Row, Protocol):
    """A row to upsert: a `Row` with the field it is merged on (which `key` is the value of)."""

    KEY_FIELD: str


@dataclass(frozen=True, kw_only=True)
class ContactWrite(ContactCells):
    """A Contacts row, known by its Email: created, or updated by `record_id` when known."""

    TABLE = CONTACTS_SPEC.name

    email: str
    record_id: str | None = None
    """The row itself when it is known: updated by id, its Email cell left as the user typed
    it (with spaces, other capitals, `mailto:`)."""

    @property
    def key(self) -> str:
        """The Email this row is reported under."""
        return self.email

    def to_fields(self) -> dict[str, Any]:
        """The fields to send (Email only when the row is created)."""
        leave_out = (Contacts.EMAIL,) if self.record_id else ()
        return CONTACTS_SPEC.to_fields(self, leave_out=leave_out)


@dataclass(frozen=True, kw_only=True)
class MeetingWrite(MeetingCells):
    """A Meetings row keyed on Event ID; `contact_ids` are Contacts record ids."""

    TABLE = MEETINGS_SPEC.name
    KEY_FIELD = Meetings.EVENT_ID

    event_id: str

    @property
    def key(self) -> str:
        """The Event ID this row is matched on."""
        return self.event_id

    def to_fields(self) -> dict[str, Any]:
        """The fields to send."""
        return MEETINGS_SPEC.to_fields(self)


@dataclass(frozen=True, kw_only=True)
class FollowUpWrite(FollowUpCells):
    """A Follow-ups row keyed on its idempotency Key; links are record ids."""

    TABLE = FOLLOW_UPS_SPEC.name
    KEY_FIELD = FollowUps.KEY

    key: str

    def to_fields(self) -> dict[str, Any]:
        """The fields to send."""
        return FOLLOW_UPS_SPEC.to_fields(self)


@dataclass(frozen=True)
class UpsertResult:
    """Record ids by key for every row applied, which keys were new, and rows Airtable refused."""

    record_ids: Mapping[str, str]
    created: frozenset[str] = frozenset()
    skipped: tuple[Skipped, ...] = ()


def upsert(client: AirtableClient, rows: Sequence[Write]) -> UpsertResult:
    """Upsert rows of one table in batches of 10; the last row wins when a key repeats."""
    if not rows:
        return UpsertResult(record_ids={})
    table, key_field = rows[0].TABLE, rows[0].KEY_FIELD
    if any(table != row.TABLE for row in rows):
        raise ValueError("upsert takes rows of one table at a time")
    unique = list({row.key: row for row in rows}.values())
    ids: dict[str, str] = {}
    created: set[str] = set()
    skipped: list[Skipped] = []
    for batch in _batches(unique):
        _apply(client, table, key_field, batch, ids, created, skipped)
    log.info(
        "airtable.upsert", table=table, rows=len(unique), created=len(created), skipped=len(skipped)
    )
    return UpsertResult(record_ids=ids, created=frozenset(created), skipped=tuple(skipped))


def _batches(rows: Sequence[Write]) -> Iterator[Sequence[Write]]:
    for start in range(0, len(rows), BATCH_SIZE):
        yield rows[start : start + BATCH_SIZE]


def _apply(
    client: AirtableClient,
    table: str,
    key_field: str,
    batch: Sequence[Write],
    ids: dict[str, str],
    created: set[str],
    skipped: list[Skipped],
) -> None:
    try:
        response = _send(client, table, key_field, batch)
    except SkipRecord as exc:
        if len(batch) == 1:
            skipped.append(
                Skipped(source=f"airtable.{table}", record_id=batch[0].key, reason=str(exc))
            )
            log.warning("airtable.upsert.skipped", table=table, key=batch[0].key, reason=str(exc))
            return
        for row in batch:
            _apply(client, table, key_field, [row], ids, created, skipped)
        return
    client.remember_written(response["records"], [row.to_fields() for row in batch])
    new_ids = set(response.get("createdRecords", []))
    for row, record in zip(batch, response["records"], strict=True):
        ids[row.key] = record["id"]
        if record["id"] in new_ids:
            created.add(row.key)


def _send(
    client: AirtableClient, table: str, key_field: str, batch: Sequence[Write]
) -> dict[str, Any]:
    body = {
        "records": [{"fields": row.to_fields()} for row in batch],
        "typecast": False,
        "performUpsert": {"fieldsToMergeOn": [key_field]},
    }
    url = client.table(table).urls.records
    result: dict[str, Any] = client.call(
        "upsert records",
        lambda: client.api.request("PATCH", url, json=body),
        table=table,
        write=True,
    )
    return result
