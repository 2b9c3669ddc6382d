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

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import structlog

from connectors.airtable.client import AirtableClient
from connectors.airtable.schema import Contacts, FollowUps, Meetings
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


MAX_TEXT_LENGTH = 100_000
"""Airtable refuses a text cell longer than this (characters): longer text is cut to it."""


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_TEXT_LENGTH]
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _to_fields(row: Any, names: Mapping[str, str]) -> dict[str, Any]:
    values = {names[f.name]: getattr(row, f.name) for f in fields(row) if f.name in names}
    return {name: _cell(value) for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class ContactWrite:
    """A Contacts row, known by its Email: created, or updated by `record_id` when known."""

    TABLE = Contacts.TABLE

    email: str
    name: str | None = None
    company: str | None = None
    role: str | None = None
    stage: str | None = None
    last_met: dt.date | None = None
    next_update_due: dt.date | None = None
    update_every_days: int | None = None
    google_contact: str | None = None
    notes: str | None = None
    record_id: str | None = None
    """The row itself when it is known: updated by id, its Email cell left as the user typed
    it (with spaces, other capitals, `mailto:`)."""

    @property
    def key(self) -> str:
        """The Email this row is reported under."""
        return self.email

    def to_fields(self) -> dict[str, Any]:
        """The fields to send (Email only when the row is created)."""
        return _to_fields(
            self,
            {
                **({} if self.record_id else {"email": Contacts.EMAIL}),
                "name": Contacts.NAME,
                "company": Contacts.COMPANY,
                "role": Contacts.ROLE,
                "stage": Contacts.STAGE,
                "last_met": Contacts.LAST_MET,
                "next_update_due": Contacts.NEXT_UPDATE_DUE,
                "update_every_days": Contacts.UPDATE_EVERY_DAYS,
                "google_contact": Contacts.GOOGLE_CONTACT,
                "notes": Contacts.NOTES,
            },
        )


@dataclass(frozen=True)
class MeetingWrite:
    """A Meetings row keyed on Event ID; `contact_ids` are Contacts record ids."""

    TABLE = Meetings.TABLE
    KEY_FIELD = Meetings.EVENT_ID

    event_id: str
    title: str | None = None
    contact_ids: tuple[str, ...] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str | None = None
    notes: str | None = None
    thank_you_draft: str | None = None

    @property
    def key(self) -> str:
        """The Event ID this row is matched on."""
        return self.event_id

    def to_fields(self) -> dict[str, Any]:
        """The fields to send."""
        return _to_fields(
            self,
            {
                "event_id": Meetings.EVENT_ID,
                "title": Meetings.TITLE,
                "contact_ids": Meetings.CONTACT,
                "start": Meetings.START,
                "end": Meetings.END,
                "status": Meetings.STATUS,
                "notes": Meetings.NOTES,
                "thank_you_draft": Meetings.THANK_YOU_DRAFT,
            },
        )


@dataclass(frozen=True)
class FollowUpWrite:
    """A Follow-ups row keyed on its idempotency Key; links are record ids."""

    TABLE = FollowUps.TABLE
    KEY_FIELD = FollowUps.KEY

    key: str
    title: str | None = None
    contact_ids: tuple[str, ...] | None = None
    meeting_ids: tuple[str, ...] | None = None
    kind: str | None = None
    due: dt.date | None = None
    status: str | None = None

    def to_fields(self) -> dict[str, Any]:
        """The fields to send."""
        return _to_fields(
            self,
            {
                "key": FollowUps.KEY,
                "title": FollowUps.TITLE,
                "contact_ids": FollowUps.CONTACT,
                "meeting_ids": FollowUps.MEETING,
                "kind": FollowUps.KIND,
                "due": FollowUps.DUE,
                "status": FollowUps.STATUS,
            },
        )


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
