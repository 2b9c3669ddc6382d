"""Reading the Contacts, Meetings and Follow-ups tables page by page into typed records.

A record with unusable data (a field of an unexpected type, a date that does not parse) is
skipped with a reason, never a crash; everything else on the page still comes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import structlog
from pyairtable.api.types import RecordDict

from connectors.airtable.client import AirtableClient
from connectors.airtable.formula import record_id_in
from connectors.airtable.schema import Contacts, FollowUps, Meetings
from connectors.errors import SkipRecord
from connectors.records import AirtableContact, AirtableFollowUp, AirtableMeeting, Page, Skipped

log = structlog.get_logger(__name__)

T = TypeVar("T")
V = TypeVar("V")

PAGE_SIZE = 100
"""The largest page Airtable's list-records allows."""


def read_contacts(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableContact]]:
    """Every Contacts record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, Contacts.TABLE, parse_contact, formula, record_ids)


def read_meetings(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableMeeting]]:
    """Every Meetings record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, Meetings.TABLE, parse_meeting, formula, record_ids)


def read_follow_ups(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableFollowUp]]:
    """Every Follow-ups record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, FollowUps.TABLE, parse_follow_up, formula, record_ids)


def _read_some(
    client: AirtableClient,
    table: str,
    parse: Callable[[RecordDict], T],
    formula: str | None,
    record_ids: Sequence[str] | None,
) -> Iterator[Page[T]]:
    if record_ids is None:
        return _read(client, table, parse, formula)
    return _read_ids(client, table, parse, record_ids)


def _read_ids(
    client: AirtableClient, table: str, parse: Callable[[RecordDict], T], record_ids: Sequence[str]
) -> Iterator[Page[T]]:
    """No request for no ids; otherwise one query per 100 ids, the last page marked last."""
    if not record_ids:
        yield Page(records=(), last=True)
        return
    starts = range(0, len(record_ids), PAGE_SIZE)
    for start in starts:
        final = start == starts[-1]
        formula = record_id_in(record_ids[start : start + PAGE_SIZE])
        for page in _read(client, table, parse, formula):
            yield page if final else replace(page, last=False)


def _read(
    client: AirtableClient, table: str, parse: Callable[[RecordDict], T], formula: str | None
) -> Iterator[Page[T]]:
    options: dict[str, Any] = {"page_size": PAGE_SIZE}
    if formula:
        options["formula"] = formula
    full = formula is None
    previous: Page[T] | None = None
    for raw_page in client.pages(table, **options):
        if previous is not None:
            yield previous
        previous = _parse_page(table, raw_page, parse, full)
    last = previous or Page(records=(), full_sync=full)
    yield Page(records=last.records, skipped=last.skipped, full_sync=full, last=True)


def _parse_page(
    table: str, raw_page: list[RecordDict], parse: Callable[[RecordDict], T], full: bool
) -> Page[T]:
    records: list[T] = []
    skipped: list[Skipped] = []
    for raw in raw_page:
        try:
            records.append(parse(raw))
        except SkipRecord as exc:
            skipped.append(
                Skipped(source=f"airtable.{table}", record_id=raw.get("id"), reason=str(exc))
            )
            log.warning(
                "airtable.record.skipped", table=table, record_id=raw.get("id"), reason=str(exc)
            )
    return Page(records=tuple(records), skipped=tuple(skipped), full_sync=full)


def _address(text: str | None) -> str | None:
    """The address in an Email cell: a pasted `mailto:` link counts as its address."""
    if text and text[:7].lower() == "mailto:":
        return text[7:].strip() or None
    return text


def parse_contact(raw: RecordDict) -> AirtableContact:
    """A Contacts record as an `AirtableContact`; SkipRecord when it cannot be used."""
    f = _Fields(raw)
    name, email = f.text(Contacts.NAME), _address(f.text(Contacts.EMAIL))
    if not name and not email:
        raise SkipRecord("a contact needs a Name or an Email; this record has neither")
    # The rest is optional: an unreadable cell is ignored, not the person (skipping the whole
    # row would let a later write by email overwrite the user's Name with an address).
    optional = f.optional(raw.get("id"))
    return AirtableContact(
        record_id=raw["id"],
        name=name or "",
        email=email,
        company=optional(f.text, Contacts.COMPANY),
        role=optional(f.text, Contacts.ROLE),
        stage=optional(f.text, Contacts.STAGE),
        last_met=optional(f.date, Contacts.LAST_MET),
        next_update_due=optional(f.date, Contacts.NEXT_UPDATE_DUE),
        update_every_days=optional(f.integer, Contacts.UPDATE_EVERY_DAYS),
        google_contact=optional(f.text, Contacts.GOOGLE_CONTACT),
        notes=optional(f.text, Contacts.NOTES),
    )


def parse_meeting(raw: RecordDict) -> AirtableMeeting:
    """A Meetings record as an `AirtableMeeting`; SkipRecord when it cannot be used."""
    f = _Fields(raw)
    return AirtableMeeting(
        record_id=raw["id"],
        title=f.text(Meetings.TITLE) or "",
        contact_ids=f.links(Meetings.CONTACT),
        start=f.datetime(Meetings.START),
        end=f.datetime(Meetings.END),
        event_id=f.text(Meetings.EVENT_ID),
        status=f.text(Meetings.STATUS),
        notes=f.text(Meetings.NOTES),
        thank_you_draft=f.text(Meetings.THANK_YOU_DRAFT),
    )


def parse_follow_up(raw: RecordDict) -> AirtableFollowUp:
    """A Follow-ups record as an `AirtableFollowUp`; SkipRecord when it cannot be used."""
    f = _Fields(raw)
    return AirtableFollowUp(
        record_id=raw["id"],
        title=f.text(FollowUps.TITLE) or "",
        contact_ids=f.links(FollowUps.CONTACT),
        meeting_ids=f.links(FollowUps.MEETING),
        kind=f.text(FollowUps.KIND),
        due=f.date(FollowUps.DUE),
        status=f.text(FollowUps.STATUS),
        key=f.text(FollowUps.KEY),
    )


class _Fields:
    """Typed access to a record's fields; a value of the wrong type raises SkipRecord."""

    def __init__(self, raw: RecordDict) -> None:
        fields = raw.get("fields")
        self.fields: dict[str, Any] = fields if isinstance(fields, dict) else {}

    def _get(self, name: str, kinds: tuple[type, ...], expected: str) -> Any:
        value = self.fields.get(name)
        if value is None or (isinstance(value, kinds) and not isinstance(value, bool)):
            return value
        raise SkipRecord(
            f"field {name!r} holds a {type(value).__name__} where {expected} was expected"
        )

    def optional(self, record_id: Any) -> Callable[[Callable[[str], V], str], V | None]:
        """A reader that turns an unreadable cell into None, logging why (`read(name)`)."""

        def read_or_none(read: Callable[[str], V], name: str) -> V | None:
            try:
                return read(name)
            except SkipRecord as exc:
                log.warning(
                    "airtable.field_ignored", record_id=record_id, field=name, reason=str(exc)
                )
                return None

        return read_or_none

    def text(self, name: str) -> str | None:
        """A text field, stripped; None when empty."""
        value = self._get(name, (str,), "text")
        return value.strip() or None if value is not None else None

    def integer(self, name: str) -> int | None:
        """A whole number (Airtable may send 30.0)."""
        value = self._get(name, (int, float), "a number")
        if value is None:
            return None
        if value != int(value):
            raise SkipRecord(f"field {name!r} holds {value}, where a whole number was expected")
        return int(value)

    def date(self, name: str) -> dt.date | None:
        """A date field (YYYY-MM-DD)."""
        value = self._get(name, (str,), "a date")
        try:
            return dt.date.fromisoformat(value[:10]) if value else None
        except ValueError as exc:
            raise SkipRecord(f"field {name!r} holds {value!r}, which is not a date") from exc

    def datetime(self, name: str) -> dt.datetime | None:
        """A dateTime field as an aware datetime (Airtable sends UTC with a Z)."""
        value = self._get(name, (str,), "a date and time")
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SkipRecord(
                f"field {name!r} holds {value!r}, which is not a date and time"
            ) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def links(self, name: str) -> tuple[str, ...]:
        """A linked-record field: record ids."""
        value = self._get(name, (list,), "a list of linked records")
        if value is None:
            return ()
        if not all(isinstance(item, str) for item in value):
            raise SkipRecord(f"field {name!r} holds something other than record ids")
        return tuple(value)
