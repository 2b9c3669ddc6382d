"""`init_schema` (`airtable init`): adds to a base what the contract (`tables`) lacks.

Users build views on the contract's names (DESIGN.md, "External contract"). `init_schema` only
adds: it never deletes, renames or retypes a field of the user's, and reports what it did and
what it could not do (a field of another type, select choices the API cannot add to an
existing field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.airtable.client import AirtableClient
from connectors.airtable.tables import SCHEMA, FieldSpec, TableSpec

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SchemaProblem:
    """Something `init_schema` found but may not fix; `message` says what the user should do."""

    table: str
    field: str
    message: str


@dataclass(frozen=True)
class SchemaReport:
    """What `init_schema` did: tables and fields created, and problems left for the user."""

    created_tables: tuple[str, ...] = ()
    created_fields: tuple[tuple[str, str], ...] = ()  # (table, field)
    problems: tuple[SchemaProblem, ...] = ()
    table_ids: Mapping[str, str] = field(default_factory=dict)
    gaps: frozenset[str] = frozenset()
    """What the base lacked before: "Table.Field" (missing or of another type) and
    "Table.Field=Choice" (a select choice missing), the names `contract_gaps` reports."""

    @property
    def changed(self) -> bool:
        """True when anything was created."""
        return bool(self.created_tables or self.created_fields)

    def lines(self) -> list[str]:
        """A human-readable account, one line per action or problem."""
        out = [f"created table {name}" for name in self.created_tables]
        out += [f"created field {table}.{name}" for table, name in self.created_fields]
        out += [f"{p.table}.{p.field}: {p.message}" for p in self.problems]
        return out or ["the base already matches the Followthrough schema; nothing to do"]


@dataclass
class _Plan:
    created_tables: list[str] = field(default_factory=list)
    created_fields: list[tuple[str, str]] = field(default_factory=list)
    problems: list[SchemaProblem] = field(default_factory=list)
    table_ids: dict[str, str] = field(default_factory=dict)
    gaps: set[str] = field(default_factory=set)
    dry_run: bool = False


def init_schema(
    client: AirtableClient, schema: tuple[TableSpec, ...] = SCHEMA, *, dry_run: bool = False
) -> SchemaReport:
    """Create the missing tables and fields of `schema` in the base; report what was done.

    `dry_run`: create nothing, and report what would be created (one schema read).
    """
    base_schema = client.call("read the base schema", lambda: client.base.schema(force=True))
    existing = {table.name: table for table in base_schema.tables}
    plan = _Plan(table_ids={name: table.id for name, table in existing.items()}, dry_run=dry_run)
    for spec in schema:
        if spec.name in existing:
            _complete_table(client, spec, existing[spec.name], plan)
        else:
            _create_table(client, spec, plan)
    report = SchemaReport(
        created_tables=tuple(plan.created_tables),
        created_fields=tuple(plan.created_fields),
        problems=tuple(plan.problems),
        table_ids=dict(plan.table_ids),
        gaps=frozenset(plan.gaps),
    )
    log.info(
        "airtable.schema.init",
        tables=len(report.created_tables),
        fields=len(report.created_fields),
        problems=len(report.problems),
    )
    return report


def contract_gaps(client: AirtableClient) -> frozenset[str]:
    """What the base lacks of the contract (one schema read, nothing created): "Table.Field"
    for a field missing or of another type, "Table.Field=Choice" for a missing select choice."""
    return init_schema(client, dry_run=True).gaps


def _create_table(client: AirtableClient, spec: TableSpec, plan: _Plan) -> None:
    """The table with its fields; a link to the table itself (Referred By) follows it, as a
    field of its own, since a table's id exists only once it is made."""
    plan.gaps.update(f"{spec.name}.{each.name}" for each in spec.fields)
    if plan.dry_run:
        plan.created_tables.append(spec.name)
        return
    own_links = [each for each in spec.fields if each.link_table == spec.name]
    payload = {
        "name": spec.name,
        "fields": [each.to_api(plan.table_ids) for each in spec.fields if each not in own_links],
    }
    created = client.call(
        "create a table",
        lambda: client.api.post(client.base.urls.tables, json=payload),
        table=spec.name,
        write=True,
    )
    plan.table_ids[spec.name] = created["id"]
    plan.created_tables.append(spec.name)
    for link in own_links:
        _create_field(client, spec.name, created["id"], link, plan)


def _complete_table(client: AirtableClient, spec: TableSpec, table: Any, plan: _Plan) -> None:
    have = {f.name: f for f in table.fields}
    for wanted in spec.fields:
        current = have.get(wanted.name)
        if current is None:
            plan.gaps.add(f"{spec.name}.{wanted.name}")
            _create_field(client, spec.name, table.id, wanted, plan)
        elif current.type != wanted.type:
            plan.gaps.add(f"{spec.name}.{wanted.name}")
            plan.problems.append(
                SchemaProblem(
                    spec.name,
                    wanted.name,
                    (
                        f"is a {current.type} field, Followthrough expects {wanted.type}; "
                        "it was left as it is: "
                        "change its type in Airtable (or rename it) and run init again"
                    ),
                )
            )
        elif wanted.choices:
            _check_choices(spec.name, wanted, current, plan)


def _create_field(
    client: AirtableClient, table_name: str, table_id: str, spec: FieldSpec, plan: _Plan
) -> None:
    url = client.base.urls.tables / table_id / "fields"
    body = spec.to_api(plan.table_ids)
    if not plan.dry_run:
        client.call(
            "create a field", lambda: client.api.post(url, json=body), table=table_name, write=True
        )
    plan.created_fields.append((table_name, spec.name))


def _check_choices(table_name: str, spec: FieldSpec, current: Any, plan: _Plan) -> None:
    options = getattr(current, "options", None)
    have = {choice.name for choice in getattr(options, "choices", None) or []}
    missing = [choice for choice in spec.choices if choice not in have]
    plan.gaps.update(f"{table_name}.{spec.name}={choice}" for choice in missing)
    if missing:
        plan.problems.append(
            SchemaProblem(
                table_name,
                spec.name,
                (
                    "lacks the choices "
                    + ", ".join(repr(c) for c in missing)
                    + " (Airtable's API cannot add choices to an existing field): "
                    + "add them in Airtable"
                ),
            )
        )
