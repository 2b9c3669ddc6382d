"""Reading the Contacts, Meetings, Follow-ups and Milestones tables page by page into typed records.

A record with unusable data (a field of an unexpected type, a date that does not parse) is
skipped with a reason, never a crash; everything else on the page still comes through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import structlog
from pyairtable.api.types import RecordDict

from connectors.airtable.client import AirtableClient
from connectors.airtable.formula import record_id_in
from connectors.airtable.tables import (
    CONTACTS_SPEC,
    FOLLOW_UPS_SPEC,
    MEETINGS_SPEC,
    MILESTONES_SPEC,
    AirtableContact,
    AirtableFollowUp,
    AirtableMeeting,
    AirtableMilestone,
    FieldSpec,
)
from connectors.errors import SkipRecord
from connectors.records import Page, Skipped

log = structlog.get_logger(__name__)

T = TypeVar("T")

PAGE_SIZE = 100
"""The largest page Airtable's list-records allows."""


def read_contacts(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableContact]]:
    """Every Contacts record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, CONTACTS_SPEC.name, parse_contact, formula, record_ids)


def read_meetings(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableMeeting]]:
    """Every Meetings record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, MEETINGS_SPEC.name, parse_meeting, formula, record_ids)


def read_follow_ups(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableFollowUp]]:
    """Every Follow-ups record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, FOLLOW_UPS_SPEC.name, parse_follow_up, formula, record_ids)


def read_milestones(
    client: AirtableClient,
    *,
    formula: str | None = None,
    record_ids: Sequence[str] | None = None,
) -> Iterator[Page[AirtableMilestone]]:
    """Every Milestones record (or those matching `formula`, or with `record_ids`), by page."""
    return _read_some(client, MILESTONES_SPEC.name, parse_milestone, formula, record_ids)


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
    cells = _cells(raw)
    name = CONTACTS_SPEC.read_cell(cells, "name")
    email = _address(CONTACTS_SPEC.read_cell(cells, "email"))
    if not name and not email:
        raise SkipRecord("a contact needs a Name or an Email; this record has neither")
    # The rest is optional: an unreadable cell is ignored, not the person (skipping the whole
    # row would let a later write by email overwrite the user's Name with an address).
    values = CONTACTS_SPEC.read(cells, lenient=_ignored(raw.get("id")))
    return AirtableContact(**{**values, "record_id": raw["id"], "name": name or "", "email": email})


def parse_meeting(raw: RecordDict) -> AirtableMeeting:
    """A Meetings record as an `AirtableMeeting`; SkipRecord when it cannot be used."""
    values = MEETINGS_SPEC.read(_cells(raw))
    return AirtableMeeting(**{**values, "record_id": raw["id"], "title": values["title"] or ""})


def parse_follow_up(raw: RecordDict) -> AirtableFollowUp:
    """A Follow-ups record as an `AirtableFollowUp`; SkipRecord when it cannot be used."""
    values = FOLLOW_UPS_SPEC.read(_cells(raw))
    return AirtableFollowUp(**{**values, "record_id": raw["id"], "title": values["title"] or ""})


def parse_milestone(raw: RecordDict) -> AirtableMilestone:
    """A Milestones record as an `AirtableMilestone`; SkipRecord when it cannot be used."""
    values = MILESTONES_SPEC.read(_cells(raw))
    if not values["what"]:
        raise SkipRecord("a milestone needs its What; this record has none")
    return AirtableMilestone(**{**values, "record_id": raw["id"]})


def _cells(raw: RecordDict) -> dict[str, Any]:
    cells = raw.get("fields")
    return cells if isinstance(cells, dict) else {}


def _ignored(record_id: Any) -> Callable[[FieldSpec, SkipRecord], None]:
    """A cell reader's fallback that turns an unreadable cell into None, logging why."""

    def ignore(spec: FieldSpec, error: SkipRecord) -> None:
        log.warning(
            "airtable.field_ignored", record_id=record_id, field=spec.name, reason=str(error)
        )

    return ignore
