"""The state of the sandbox's one Airtable base, and record writes recorded as transactions.

A `Transaction` is what one API call (or one control edit) changed; the webhook registry
turns it into payloads. Writes in a batch are checked in full before any is applied, as
Airtable does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.airtable_formula import Value, to_text
from connectors.sandbox.airtable_schema import (
    KNOWN_TYPES,
    REQUIRED_OPTIONS,
    CellError,
    CellWriter,
    Field,
    IdMaker,
    Record,
    Table,
    complete_options,
    now_iso,
)


@dataclass
class Transaction:
    """The record changes of one write, by table id, in webhook-payload terms."""

    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    destroyed: dict[str, list[str]] = field(default_factory=dict)
    created_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(
            (self.created, self.changed, self.destroyed, self.created_fields, self.created_tables)
        )

    def absorb(self, other: Transaction) -> None:
        """Add another transaction's changes to this one."""
        for table_id, created in other.created.items():
            self.created.setdefault(table_id, {}).update(created)
        for table_id, changed in other.changed.items():
            self.changed.setdefault(table_id, {}).update(changed)
        for table_id, destroyed in other.destroyed.items():
            self.destroyed.setdefault(table_id, []).extend(destroyed)
        for table_id, fields in other.created_fields.items():
            self.created_fields.setdefault(table_id, {}).update(fields)
        self.created_tables.update(other.created_tables)


class AirtableBase:
    """Tables and records of one base, addressed by table id or name and field id or name."""

    def __init__(self, base_id: str, tables: list[dict[str, Any]] | None) -> None:
        self.id = base_id
        self.make_id = IdMaker(base_id)
        self.side_effects = Transaction()  # records made by typecast links, reported with the write
        self.tables: list[Table] = []
        specs = tables or []
        for spec in specs:
            self._add_table_shell(spec)
        for spec, table in zip(specs, self.tables, strict=True):
            for field_spec in spec.get("fields", []):
                self.add_field(table, field_spec, strict=False)
        for spec, table in zip(specs, self.tables, strict=True):
            for record in spec.get("records", []):
                self._seed_record(table, record)
        self.take_side_effects()  # the starting state is no change

    # --- schema ---------------------------------------------------------------------------

    def table(self, id_or_name: str) -> Table | None:
        """The table with this id or exact name, or None."""
        for table in self.tables:
            if id_or_name in (table.id, table.name):
                return table
        return None

    def _add_table_shell(self, spec: Mapping[str, Any]) -> Table:
        table = Table(
            id=spec.get("id") or self.make_id("tbl"),
            name=spec["name"],
            fields=[],
            view_id=self.make_id("viw"),
            description=spec.get("description"),
        )
        self.tables.append(table)
        return table

    def create_table(self, spec: Mapping[str, Any]) -> Table:
        """Create a table from a metadata-API body; CellError on a bad name or field."""
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or self.table(name):
            raise CellError(
                "DUPLICATE_OR_EMPTY_TABLE_NAME", f"Table name {name!r} is empty or already used"
            )
        fields = spec.get("fields")
        if not isinstance(fields, list) or not fields:
            raise CellError(
                "INVALID_REQUEST_UNKNOWN", "A table needs at least one field; the first is primary"
            )
        for field_spec in fields:
            self.check_field(None, field_spec)
        table = self._add_table_shell(spec)
        for field_spec in fields:
            self.add_field(table, field_spec, strict=True)
        return table

    def check_field(self, table: Table | None, spec: Any) -> None:
        """Refuse a field spec as Airtable would: duplicate name, unknown type, bad options."""
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise CellError(
                "INVALID_REQUEST_UNKNOWN", "Every field needs a non-empty name and a type"
            )
        if table is not None and table.field(name):
            raise CellError(
                "DUPLICATE_OR_EMPTY_FIELD_NAME", f'A field named "{name}" already exists'
            )
        kind = spec.get("type")
        if not isinstance(kind, str) or kind not in KNOWN_TYPES:
            raise CellError("INVALID_FIELD_TYPE", f"Unsupported field type {kind!r}")
        self._check_options(name, kind, spec.get("options") or {})

    def _check_options(self, name: str, kind: str, options: Any) -> None:
        def refuse(problem: str) -> CellError:
            return CellError(
                "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE", f'Field "{name}" of type {kind}: {problem}'
            )

        if not isinstance(options, dict):
            raise refuse("options must be an object")
        missing = [o for o in REQUIRED_OPTIONS.get(kind, ()) if o not in options]
        if missing:
            raise refuse("needs options " + ", ".join(missing))
        choices = options.get("choices", [])
        if not isinstance(choices, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) for c in choices
        ):
            raise refuse("choices must be a list of objects with a name")
        linked = options.get("linkedTableId")
        if linked is not None and (not isinstance(linked, str) or self.table(linked) is None):
            raise refuse(f"no table {linked!r} to link to")

    def add_field(self, table: Table, spec: Mapping[str, Any], *, strict: bool) -> Field:
        """Add a field (checked first when `strict`, i.e. through the API; fixtures are trusted)."""
        if strict:
            self.check_field(table, spec)
        options = complete_options(spec["type"], spec.get("options"), self.make_id)
        if spec["type"] == "multipleRecordLinks":
            linked = self.table((options or {}).get("linkedTableId", ""))
            if linked is None:
                raise ValueError(
                    f"field {spec['name']!r} links to an unknown table; set options.linkedTableId"
                )
            assert options is not None
            options["linkedTableId"] = linked.id
        created = Field(
            id=spec.get("id") or self.make_id("fld"),
            name=spec["name"],
            type=spec["type"],
            options=options,
            description=spec.get("description"),
        )
        table.fields.append(created)
        return created

    def _seed_record(self, table: Table, spec: Mapping[str, Any]) -> None:
        record = Record(
            id=spec.get("id") or self.make_id("rec"),
            created_time=spec.get("createdTime") or now_iso(),
        )
        self.make_id._used.add(record.id)
        table.records[record.id] = record
        record.cells = self.convert_cells(table, spec.get("fields", {}), typecast=True)

    # --- records --------------------------------------------------------------------------

    def convert_cells(self, table: Table, fields: Any, *, typecast: bool) -> dict[str, Any]:
        """Cells by field id for a request's `fields` object; None marks a cell being cleared."""
        if not isinstance(fields, dict):
            raise CellError("INVALID_REQUEST_UNKNOWN", "Invalid request: fields must be an object")
        writer = CellWriter(self, typecast)
        cells: dict[str, Any] = {}
        for key, value in fields.items():
            target = table.field(key)
            if target is None:
                raise CellError("UNKNOWN_FIELD_NAME", f'Unknown field name: "{key}"')
            cells[target.id] = writer.convert(target, value)
        return cells

    def create(self, table: Table, cells: dict[str, Any], txn: Transaction) -> Record:
        """Add a record with already converted cells, and note it in `txn`."""
        record = Record(id=self.make_id("rec"), created_time=now_iso())
        record.cells = {k: v for k, v in cells.items() if v is not None}
        table.records[record.id] = record
        txn.created.setdefault(table.id, {})[record.id] = {
            "createdTime": record.created_time,
            "cellValuesByFieldId": dict(record.cells),
        }
        return record

    def update(
        self, table: Table, record: Record, cells: dict[str, Any], replace: bool, txn: Transaction
    ) -> None:
        """Apply converted cells (others cleared when `replace`), noting what changed in `txn`."""
        new = {} if replace else dict(record.cells)
        new.update(cells)
        new = {k: v for k, v in new.items() if v is not None}
        current = {
            k: new.get(k) for k in set(new) | set(record.cells) if new.get(k) != record.cells.get(k)
        }
        if not current:
            return
        previous = {k: record.cells.get(k) for k in current}
        record.cells = new
        record.modified_time = now_iso()
        created = txn.created.get(table.id, {}).get(record.id)
        if created is not None:
            created["cellValuesByFieldId"] = dict(new)
            return
        entry = txn.changed.setdefault(table.id, {}).setdefault(
            record.id, {"current": {}, "previous": {}}
        )
        entry["current"].update(current)
        for key, value in previous.items():
            entry["previous"].setdefault(key, value)

    def delete(self, table: Table, record: Record, txn: Transaction) -> None:
        """Remove a record (and links to it), noting it in `txn`."""
        del table.records[record.id]
        txn.destroyed.setdefault(table.id, []).append(record.id)
        for other in self.tables:
            for link in (f for f in other.fields if f.type == "multipleRecordLinks"):
                if (link.options or {}).get("linkedTableId") != table.id:
                    continue
                for holder in list(other.records.values()):
                    if record.id in holder.cells.get(link.id, []):
                        kept = [r for r in holder.cells[link.id] if r != record.id]
                        self.update(other, holder, {link.id: kept or None}, False, txn)

    def find_or_create_by_primary(self, table: Table, name: str) -> str:
        """The record whose primary field is `name`, or a new one."""
        primary = table.fields[0].id
        for record in table.records.values():
            if to_text(record.cells.get(primary)) == name:
                return record.id
        return self.create(table, {primary: name}, self.side_effects).id

    def take_side_effects(self) -> Transaction:
        """The changes made on the side since the last call (for webhooks), and forget them."""
        taken, self.side_effects = self.side_effects, Transaction()
        return taken

    # --- reading --------------------------------------------------------------------------

    def render(
        self,
        table: Table,
        record: Record,
        *,
        by_field_id: bool = False,
        only: list[str] | None = None,
    ) -> dict[str, Any]:
        """A record as the API returns it: empty cells left out; `only` limits the fields."""
        wanted = None if only is None else {f.id for name in only if (f := table.field(name))}
        fields: dict[str, Any] = {}
        for column in table.fields:
            value = record.cells.get(column.id)
            if value is None or (wanted is not None and column.id not in wanted):
                continue
            fields[column.id if by_field_id else column.name] = value
        return {"id": record.id, "createdTime": record.created_time, "fields": fields}

    def display(self, table: Table, record: Record, name: str) -> Value:
        """A cell as a formula sees it: linked records by their primary values, lists joined."""
        column = table.field(name)
        value = record.cells.get(column.id) if column else None
        if column is not None and column.type == "multipleRecordLinks" and value:
            linked = self.table((column.options or {})["linkedTableId"])
            assert linked is not None
            primary = linked.fields[0].id
            value = [
                to_text(linked.records[r].cells.get(primary)) for r in value if r in linked.records
            ]
        if isinstance(value, list):
            return ", ".join(to_text(v) for v in value)
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value  # type: ignore[no-any-return]
