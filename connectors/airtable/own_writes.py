"""Followthrough's own writes, told apart in the change feed by what was written.

Edits by the user's other tools (their scripts, Zapier, Make) come through the API as the
same Airtable user as Followthrough's token, so who wrote a change says nothing about whose
it is. Instead each write's cells are remembered as digests, per record and field; a payload
whose every record change carries only values Followthrough wrote to that record is its own
and is not read again. Anything else, a deletion included, is the user's.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol

Digests = Mapping[str, Mapping[str, frozenset[str]]]
"""Record id -> field name -> the digests of the values Followthrough wrote there."""


class OwnWrites(Protocol):
    """Where the digests of Followthrough's writes are kept until the feed has shown them."""

    def remember(self, cells: Mapping[str, Mapping[str, str]]) -> None:
        """Keep the digest of each written cell (record id -> field name -> digest)."""

    def recall(self, record_ids: Collection[str]) -> Digests:
        """The digests kept for those records (records never written are left out)."""


class MemoryOwnWrites:
    """Own writes kept in this process only (a store-backed one outlives the process)."""

    def __init__(self) -> None:
        self._cells: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._lock = threading.Lock()

    def remember(self, cells: Mapping[str, Mapping[str, str]]) -> None:
        """Keep the digest of each written cell."""
        with self._lock:
            for record_id, fields in cells.items():
                for name, digest in fields.items():
                    self._cells[record_id][name].add(digest)

    def recall(self, record_ids: Collection[str]) -> Digests:
        """The digests kept for those records."""
        with self._lock:
            return {
                r: {name: frozenset(d) for name, d in self._cells[r].items()}
                for r in record_ids
                if r in self._cells
            }


def cell_digest(value: Any) -> str:
    """A short digest of a cell's value, the same in a write's response and in a payload.

    Responses give a select as its name and links as record ids; payloads give a select as
    `{id, name, color}` and links as `[{id, name}]`. Empty, unticked and absent are one value.
    """
    plain = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(plain.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if value is None or value is False or (isinstance(value, str | list) and not value):
        return None
    if isinstance(value, dict):
        record_id = value.get("id")
        is_link = isinstance(record_id, str) and record_id.startswith("rec")
        return record_id if is_link else value.get("name", value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def written_cells(
    records: Sequence[Mapping[str, Any]], sent: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, str]]:
    """The digests of the cells one write set: each sent field, as Airtable stored it.

    `records` is the write's response (in request order), `sent` the fields each record
    sent. A field sent but absent from the response was stored empty.
    """
    out: dict[str, dict[str, str]] = {}
    for record, fields in zip(records, sent, strict=False):
        stored = record.get("fields") or {}
        out[str(record["id"])] = {name: cell_digest(stored.get(name)) for name in fields}
    return out


def changed_records(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]] | None:
    """Each record a payload created or changed, with its new cells by field id.

    None when the payload also deletes records or has a shape this does not know: those
    are never taken for Followthrough's own.
    """
    out: dict[str, Mapping[str, Any]] = {}
    tables = payload.get("changedTablesById")
    if not isinstance(tables, dict):
        return None
    for table in tables.values():
        if not isinstance(table, dict) or table.get("destroyedRecordIds"):
            return None
        for record_id, created in (table.get("createdRecordsById") or {}).items():
            out[record_id] = _cells(created)
        for record_id, changed in (table.get("changedRecordsById") or {}).items():
            out[record_id] = _cells(changed.get("current") if isinstance(changed, dict) else None)
    return out


def _cells(part: Any) -> Mapping[str, Any]:
    cells = part.get("cellValuesByFieldId") if isinstance(part, dict) else None
    return cells if isinstance(cells, dict) else {}


def is_own(
    records: Mapping[str, Mapping[str, Any]], digests: Digests, field_names: Mapping[str, str]
) -> bool:
    """True when every cell the payload sets is a value Followthrough wrote to that record."""
    if not records:
        return False
    for record_id, cells in records.items():
        written = digests.get(record_id)
        if written is None:
            return False
        for field_id, value in cells.items():
            name = field_names.get(field_id)
            if name is None or cell_digest(value) not in written.get(name, ()):
                return False
    return True


def record_ids(payloads: Iterable[Mapping[str, Any] | None]) -> set[str]:
    """Every record id the parsed payloads name."""
    return {record_id for records in payloads if records for record_id in records}
