"""Webhook payloads in Airtable's format: what one change looks like to one specification.

A specification's filters pick what a webhook sees (dataTypes, recordChangeScope, changeTypes,
fromSources, watchDataInFieldIds) and its includes add previous and unchanged cell values.
Cells use Airtable's webhook (V2) format: selects as {id, name, color}, links as [{id, name}].
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.airtable_base import AirtableBase, Transaction
from connectors.sandbox.airtable_schema import CellError, Field

DATA_TYPES = ("tableData", "tableFields", "tableMetadata")


class PayloadBuilder:
    """Builds the change part of a payload (changedTablesById, createdTablesById)."""

    def __init__(self, base: AirtableBase) -> None:
        self.base = base

    def changes(self, spec: dict[str, Any], txn: Transaction, source: str) -> dict[str, Any]:
        """What of `txn` the specification lets through; empty when nothing is."""
        filters, includes = spec["options"]["filters"], spec["options"].get("includes") or {}
        if filters.get("fromSources") and source not in filters["fromSources"]:
            return {}
        out: dict[str, Any] = {}
        if tables := self._changed_tables(filters, includes, txn):
            out["changedTablesById"] = tables
        if txn.created_tables and {"tableFields", "tableMetadata"} & set(filters["dataTypes"]):
            out["createdTablesById"] = dict(txn.created_tables)
        return out

    def _changed_tables(
        self, filters: dict[str, Any], includes: dict[str, Any], txn: Transaction
    ) -> dict[str, Any]:
        scope = filters.get("recordChangeScope")
        out: dict[str, Any] = {}
        for table_id in {*txn.created, *txn.changed, *txn.destroyed, *txn.created_fields}:
            if scope and scope != table_id:
                continue
            section: dict[str, Any] = {}
            if "tableData" in filters["dataTypes"]:
                section.update(self._records(filters, includes, txn, table_id))
            if "tableFields" in filters["dataTypes"] and txn.created_fields.get(table_id):
                section["createdFieldsById"] = dict(txn.created_fields[table_id])
            if section:
                out[table_id] = section
        return out

    def _records(
        self, filters: dict[str, Any], includes: dict[str, Any], txn: Transaction, table_id: str
    ) -> dict[str, Any]:
        kinds = set(filters.get("changeTypes") or ["add", "remove", "update"])
        section: dict[str, Any] = {}
        if "add" in kinds and txn.created.get(table_id):
            section["createdRecordsById"] = {
                record_id: {
                    "createdTime": created["createdTime"],
                    "cellValuesByFieldId": self._cells(table_id, created["cellValuesByFieldId"]),
                }
                for record_id, created in txn.created[table_id].items()
            }
        if "update" in kinds and txn.changed.get(table_id):
            watched = set(filters.get("watchDataInFieldIds") or [])
            if changed := self._changed(includes, table_id, txn.changed[table_id], watched):
                section["changedRecordsById"] = changed
        if "remove" in kinds and txn.destroyed.get(table_id):
            section["destroyedRecordIds"] = list(txn.destroyed[table_id])
        return section

    def _changed(
        self, includes: dict[str, Any], table_id: str, changes: dict[str, Any], watched: set[str]
    ) -> dict[str, Any]:
        extra = includes.get("includeCellValuesInFieldIds")
        out: dict[str, Any] = {}
        for record_id, change in changes.items():
            if watched and not watched & set(change["current"]):
                continue
            entry: dict[str, Any] = {"current": self._values(table_id, change["current"])}
            if includes.get("includePreviousCellValues"):
                entry["previous"] = self._values(table_id, change["previous"])
            if extra:
                entry["unchanged"] = self._values(
                    table_id, self._unchanged(table_id, record_id, change, extra)
                )
            out[record_id] = entry
        return out

    def _values(self, table_id: str, cells: dict[str, Any]) -> dict[str, Any]:
        return {"cellValuesByFieldId": self._cells(table_id, cells)}

    def _unchanged(
        self, table_id: str, record_id: str, change: dict[str, Any], extra: Any
    ) -> dict[str, Any]:
        table = self.base.table(table_id)
        record = table.records.get(record_id) if table else None
        if record is None:
            return {}
        return {
            k: v
            for k, v in record.cells.items()
            if k not in change["current"] and (extra == "all" or k in extra)
        }

    def _cells(self, table_id: str, cells: dict[str, Any]) -> dict[str, Any]:
        table = self.base.table(table_id)
        if table is None:
            return dict(cells)
        out: dict[str, Any] = {}
        for field_id, value in cells.items():
            column = table.field(field_id)
            out[field_id] = value if column is None or value is None else self._cell(column, value)
        return out

    def _cell(self, column: Field, value: Any) -> Any:
        choices = {c["name"]: c for c in (column.options or {}).get("choices", [])}
        if column.type == "singleSelect":
            return dict(choices.get(value, {"name": value}))
        if column.type == "multipleSelects":
            return [dict(choices.get(v, {"name": v})) for v in value]
        if column.type == "multipleRecordLinks":
            linked = self.base.table((column.options or {}).get("linkedTableId", ""))
            primary = linked.fields[0].id if linked else ""
            records = linked.records if linked else {}
            return [
                {"id": r, "name": records[r].cells.get(primary) if r in records else None}
                for r in value
            ]
        return value


def check_specification(spec: Any) -> None:
    """Refuse a specification Airtable would refuse (and that the payload code cannot read)."""
    options = spec.get("options") if isinstance(spec, dict) else None
    filters = options.get("filters") if isinstance(options, dict) else None
    data_types = filters.get("dataTypes") if isinstance(filters, dict) else None
    if not isinstance(data_types, list) or not data_types:
        raise _bad_spec(
            "options.filters.dataTypes must list tableData, tableFields or tableMetadata"
        )
    if any(d not in DATA_TYPES for d in data_types):
        raise _bad_spec(f"unknown dataTypes in {data_types!r}")
    assert isinstance(options, dict) and isinstance(filters, dict)
    for key in ("changeTypes", "fromSources", "watchDataInFieldIds", "watchSchemasOfFieldIds"):
        if not isinstance(filters.get(key, []), list):
            raise _bad_spec(f"options.filters.{key} must be a list")
    if not isinstance(filters.get("recordChangeScope", ""), str):
        raise _bad_spec("options.filters.recordChangeScope must be a table or view id")
    if not isinstance(options.get("includes") or {}, dict):
        raise _bad_spec("options.includes must be an object")


def _bad_spec(message: str) -> CellError:
    return CellError("INVALID_WEBHOOK_SPECIFICATION", f"Invalid webhook specification: {message}")
