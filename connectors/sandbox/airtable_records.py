"""Airtable's record endpoints in the sandbox: list (GET and POST listRecords), get, create,
update and upsert (PATCH/PUT, at most 10 records), and delete.

Handlers return a `Response` plus the `Transaction` they applied; the caller records the
transaction for webhooks. Errors are `CellError`s (422) or `HttpError`s in Airtable's shape.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

from connectors.sandbox.airtable_base import AirtableBase, Transaction
from connectors.sandbox.airtable_formula import Context, FormulaError, compile_formula, to_text
from connectors.sandbox.airtable_schema import CellError, IdMaker, Record, Table, is_empty
from connectors.sandbox.http import HttpError, Request, Response, airtable_error

MAX_PAGE_SIZE = 100
MAX_RECORDS_PER_REQUEST = 10
MAX_ITERATORS = 500
_SORT_PARAM = re.compile(r"^sort\[(\d+)\]\[(field|direction)\]$")
BAD_PARAMS = "Invalid request: parameter validation failed. Check your request data."
MERGEABLE_TYPES = frozenset(
    {"number", "singleLineText", "multilineText", "singleSelect", "multipleSelects", "date"}
)
"""The field types `performUpsert.fieldsToMergeOn` may name (Airtable's update-records docs)."""


def not_found() -> HttpError:
    """Airtable's 404 for a record or path that does not exist."""
    return HttpError(airtable_error(404, "NOT_FOUND", "Could not find what you are looking for"))


def body_of(request: Request) -> Any:
    """The JSON body; a malformed one is answered 422 as Airtable's parameter validation does."""
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CellError("INVALID_REQUEST_UNKNOWN", BAD_PARAMS) from exc


def object_body(request: Request) -> dict[str, Any]:
    """The JSON body, which must be an object (422 otherwise, as Airtable answers)."""
    body = body_of(request)
    if not isinstance(body, dict):
        raise CellError("INVALID_REQUEST_UNKNOWN", BAD_PARAMS)
    return body


def _flag(value: Any) -> bool:
    return value in (True, 1, "true", "1", "True")


class RecordsApi:
    """The record endpoints over one base; keeps list iterators so `offset` pages are stable."""

    def __init__(self, base: AirtableBase) -> None:
        self.base = base
        self.iterators: OrderedDict[str, list[str]] = OrderedDict()
        self._iterator_ids = IdMaker(f"{base.id}/iterators")  # apart, so record ids stay stable

    # --- reading --------------------------------------------------------------------------

    def list_get(self, table: Table, request: Request) -> Response:
        """GET /v0/{base}/{table}: options from the query string."""
        options: dict[str, Any] = {k: v[0] for k, v in request.query.items() if v}
        options["fields"] = request.query.get("fields[]", request.query.get("fields", []))
        sort: dict[int, dict[str, str]] = {}
        for key, values in request.query.items():
            if found := _SORT_PARAM.match(key):
                sort.setdefault(int(found.group(1)), {})[found.group(2)] = values[0]
        options["sort"] = [sort[i] for i in sorted(sort)]
        return self._list(table, options)

    def list_post(self, table: Table, request: Request) -> Response:
        """POST /v0/{base}/{table}/listRecords: the same options in a JSON body."""
        return self._list(table, object_body(request))

    def _list(self, table: Table, options: dict[str, Any]) -> Response:
        page_size = self._int(options.get("pageSize", MAX_PAGE_SIZE), 1, MAX_PAGE_SIZE)
        offset = options.get("offset")
        if offset:
            iterator, ids, start = self._resume(str(offset))
        else:
            iterator, ids, start = None, self._matching(table, options), 0
        page = [table.records[r] for r in ids[start : start + page_size] if r in table.records]
        fields = self._field_names(table, options)
        by_id = _flag(options.get("returnFieldsByFieldId"))
        out: dict[str, Any] = {
            "records": [self.base.render(table, r, by_field_id=by_id, only=fields) for r in page]
        }
        if start + page_size < len(ids):
            out["offset"] = self._remember(iterator, ids, start + page_size)
        return Response(200, out)

    def _field_names(self, table: Table, options: dict[str, Any]) -> list[str] | None:
        """The `fields` option, checked; cellFormat other than json fails loudly (not modelled)."""
        if options.get("cellFormat", "json") != "json":
            raise CellError("INVALID_REQUEST_UNKNOWN", "The sandbox serves cellFormat=json only")
        names = options.get("fields") or None
        for name in names or []:
            if table.field(name) is None:
                raise CellError("UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')
        return names

    def _int(self, value: Any, low: int, high: int) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise CellError("INVALID_REQUEST_UNKNOWN", BAD_PARAMS) from exc
        if not low <= number <= high:
            raise CellError("INVALID_REQUEST_UNKNOWN", BAD_PARAMS)
        return number

    def _matching(self, table: Table, options: dict[str, Any]) -> list[str]:
        view = options.get("view")
        if view and view not in (table.view_id, "Grid view"):
            raise CellError(
                "VIEW_NAME_NOT_FOUND", f'Could not find view "{view}" in table {table.name}'
            )
        records = list(table.records.values())
        formula = options.get("filterByFormula")
        if formula:
            records = self._filter(table, records, str(formula))
        for rule in reversed(options.get("sort") or []):
            records = self._sorted(table, records, rule)
        if options.get("maxRecords") is not None:
            records = records[: self._int(options["maxRecords"], 1, 10**9)]
        return [r.id for r in records]

    def _filter(self, table: Table, records: list[Record], formula: str) -> list[Record]:
        try:
            matches = compile_formula(formula, lambda name: table.field(name) is not None)
            return [r for r in records if matches(self._context(table, r))]
        except FormulaError as exc:
            raise CellError(
                "INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {exc}"
            ) from exc

    def _context(self, table: Table, record: Record) -> Context:
        return Context(
            record.id, lambda name: self.base.display(table, record, name), record.modified_time
        )

    def _sorted(self, table: Table, records: list[Record], rule: Any) -> list[Record]:
        name = rule.get("field") if isinstance(rule, dict) else None
        if not isinstance(name, str) or table.field(name) is None:
            raise CellError("UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')
        descending = rule.get("direction", "asc") == "desc"

        def key(record: Record) -> tuple[bool, Any]:
            value = self.base.display(table, record, name)
            return (
                not is_empty(value),
                value if isinstance(value, float) else to_text(value).lower(),
            )

        return sorted(records, key=key, reverse=descending)

    def _remember(self, iterator: str | None, ids: list[str], position: int) -> str:
        """The offset of `ids[position]`: one iterator id serves every page of one listing."""
        if iterator is None:
            iterator = self._iterator_ids("itr")
            self.iterators[iterator] = ids
            while len(self.iterators) > MAX_ITERATORS:
                self.iterators.popitem(last=False)
        return f"{iterator}/{ids[position]}"

    def _resume(self, offset: str) -> tuple[str, list[str], int]:
        iterator, _, record_id = offset.partition("/")
        ids = self.iterators.get(iterator)
        if ids is None or record_id not in ids:
            raise CellError(
                "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
                "The offset is unknown or has expired; list again from the start",
            )
        return iterator, ids, ids.index(record_id)

    def get(self, table: Table, record_id: str, request: Request) -> Response:
        """GET /v0/{base}/{table}/{recordId}."""
        record = table.records.get(record_id)
        if record is None:
            raise not_found()
        by_id = _flag(request.arg("returnFieldsByFieldId"))
        return Response(200, self.base.render(table, record, by_field_id=by_id))

    # --- writing --------------------------------------------------------------------------

    def create(self, table: Table, request: Request) -> tuple[Response, Transaction]:
        """POST /v0/{base}/{table}: one record ({"fields"}) or up to 10 ({"records": [...]})."""
        body = body_of(request)
        typecast = _flag(body.get("typecast")) if isinstance(body, dict) else False
        single = isinstance(body, dict) and "fields" in body and "records" not in body
        specs = [body] if single else self._batch(body)
        converted = [
            self.base.convert_cells(table, spec.get("fields", {}), typecast=typecast)
            for spec in specs
        ]
        txn = Transaction()
        records = [self.base.create(table, cells, txn) for cells in converted]
        by_id = _flag(body.get("returnFieldsByFieldId"))
        rendered = [self.base.render(table, r, by_field_id=by_id) for r in records]
        return Response(200, rendered[0] if single else {"records": rendered}), txn

    def _batch(self, body: Any) -> list[dict[str, Any]]:
        specs = body.get("records") if isinstance(body, dict) else None
        if not isinstance(specs, list) or not specs or len(specs) > MAX_RECORDS_PER_REQUEST:
            raise CellError(
                "INVALID_RECORDS",
                f"You must provide an array of up to {MAX_RECORDS_PER_REQUEST} record objects,"
                " each with a fields object",
            )
        if not all(isinstance(spec, dict) for spec in specs):
            raise CellError(
                "INVALID_RECORDS", "Every record must be an object with a fields object"
            )
        return specs

    def update_one(
        self, table: Table, record_id: str, request: Request
    ) -> tuple[Response, Transaction]:
        """PATCH/PUT /v0/{base}/{table}/{recordId}: PUT clears the fields it does not name."""
        body = object_body(request)
        record = table.records.get(record_id)
        if record is None:
            raise not_found()
        typecast = _flag(body.get("typecast"))
        cells = self.base.convert_cells(table, body.get("fields", {}), typecast=typecast)
        txn = Transaction()
        self.base.update(table, record, cells, request.method == "PUT", txn)
        return Response(
            200,
            self.base.render(table, record, by_field_id=_flag(body.get("returnFieldsByFieldId"))),
        ), txn

    def update_many(self, table: Table, request: Request) -> tuple[Response, Transaction]:
        """PATCH/PUT /v0/{base}/{table}: update up to 10 records, or upsert (performUpsert)."""
        body = body_of(request)
        specs = self._batch(body)
        typecast = _flag(body.get("typecast"))
        merge_on = self._merge_fields(table, body.get("performUpsert"))
        plan: list[tuple[Record | None, dict[str, Any]]] = []
        for spec in specs:
            cells = self.base.convert_cells(table, spec.get("fields", {}), typecast=typecast)
            plan.append((self._target(table, spec, cells, merge_on), cells))
        txn = Transaction()
        records, created, updated = [], [], []
        for target, cells in plan:
            if target is None:
                target = self.base.create(table, cells, txn)
                created.append(target.id)
            else:
                self.base.update(table, target, cells, request.method == "PUT", txn)
                updated.append(target.id)
            records.append(target)
        by_id = _flag(body.get("returnFieldsByFieldId"))
        out: dict[str, Any] = {
            "records": [self.base.render(table, r, by_field_id=by_id) for r in records]
        }
        if merge_on is not None:
            out.update(createdRecords=created, updatedRecords=updated)
        return Response(200, out), txn

    def _merge_fields(self, table: Table, upsert: Any) -> list[str] | None:
        if upsert is None:
            return None
        names = upsert.get("fieldsToMergeOn") if isinstance(upsert, dict) else None
        if not isinstance(names, list) or not 1 <= len(names) <= 3:
            raise CellError(
                "INVALID_REQUEST_UNKNOWN", "performUpsert.fieldsToMergeOn must list 1 to 3 fields"
            )
        ids = []
        for name in names:
            column = table.field(name) if isinstance(name, str) else None
            if column is None:
                raise CellError("UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')
            if column.type not in MERGEABLE_TYPES:
                raise CellError(
                    "INVALID_VALUE_FOR_COLUMN",
                    f'Field "{name}" of type {column.type} cannot be used in fieldsToMergeOn:'
                    " only number, single line text, long text, single select, multiple"
                    " select and date fields can be merged on",
                )
            ids.append(column.id)
        return ids

    def _target(
        self, table: Table, spec: dict[str, Any], cells: dict[str, Any], merge_on: list[str] | None
    ) -> Record | None:
        if "id" in spec:
            record = table.records.get(spec["id"])
            if record is None:
                raise CellError(
                    "ROW_DOES_NOT_EXIST", f"Record ID {spec['id']} does not exist in this table"
                )
            return record
        if merge_on is None:
            raise CellError(
                "INVALID_RECORDS", "Every record to update needs an id (or set performUpsert)"
            )
        missing = [f for f in merge_on if cells.get(f) is None]
        if missing:
            raise CellError(
                "INVALID_VALUE_FOR_COLUMN",
                "Every upserted record needs a value for each of fieldsToMergeOn",
            )
        found = [
            r for r in table.records.values() if all(r.cells.get(f) == cells[f] for f in merge_on)
        ]
        if len(found) > 1:
            raise CellError(
                "INVALID_VALUE_FOR_COLUMN",
                f"Cannot upsert: {len(found)} records match fieldsToMergeOn;"
                " the merge fields must identify one record",
            )
        return found[0] if found else None

    def delete_one(self, table: Table, record_id: str) -> tuple[Response, Transaction]:
        """DELETE /v0/{base}/{table}/{recordId}."""
        record = table.records.get(record_id)
        if record is None:
            raise not_found()
        txn = Transaction()
        self.base.delete(table, record, txn)
        return Response(200, {"id": record_id, "deleted": True}), txn

    def delete_many(self, table: Table, request: Request) -> tuple[Response, Transaction]:
        """DELETE /v0/{base}/{table}?records[]=...: up to 10 records, all or none."""
        ids = request.query.get("records[]", request.query.get("records", []))
        if not ids or len(ids) > MAX_RECORDS_PER_REQUEST:
            raise CellError(
                "INVALID_RECORDS",
                f"Name 1 to {MAX_RECORDS_PER_REQUEST} records to delete with records[]",
            )
        unknown = [r for r in ids if r not in table.records]
        if unknown:
            raise not_found()
        txn = Transaction()
        for record_id in ids:
            self.base.delete(table, table.records[record_id], txn)
        return Response(200, {"records": [{"id": r, "deleted": True} for r in ids]}), txn
