"""The Airtable contract (tables, fields, select choices) and `init_schema`, which adds what lacks.

Users build views on these names (DESIGN.md, "External contract"). `init_schema` only adds: it
never deletes, renames or retypes a field of the user's, and reports what it did and what it
could not do (a field of another type, select choices the API cannot add to an existing field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.airtable.client import AirtableClient

log = structlog.get_logger(__name__)


class Contacts:
    """Field names of the Contacts table."""

    TABLE = "Contacts"
    NAME = "Name"
    EMAIL = "Email"
    COMPANY = "Company"
    ROLE = "Role"
    STAGE = "Stage"
    LAST_MET = "Last Met"
    NEXT_UPDATE_DUE = "Next Update Due"
    UPDATE_EVERY_DAYS = "Update Every (days)"
    GOOGLE_CONTACT = "Google Contact"
    NOTES = "Notes"


class Meetings:
    """Field names of the Meetings table."""

    TABLE = "Meetings"
    TITLE = "Title"
    CONTACT = "Contact"
    START = "Start"
    END = "End"
    EVENT_ID = "Event ID"
    STATUS = "Status"
    NOTES = "Notes"
    THANK_YOU_DRAFT = "Thank-you Draft"


class FollowUps:
    """Field names of the Follow-ups table."""

    TABLE = "Follow-ups"
    TITLE = "Title"
    CONTACT = "Contact"
    MEETING = "Meeting"
    KIND = "Kind"
    DUE = "Due"
    STATUS = "Status"
    KEY = "Key"


STAGES = ("To contact", "Requested", "Scheduled", "Met", "Keeping in touch", "Inactive")
MEETING_STATUSES = ("Scheduled", "Completed", "Cancelled")
FOLLOW_UP_KINDS = ("Thank-you", "Action item", "Progress update")
FOLLOW_UP_STATUSES = ("Open", "Done", "Snoozed")

_DATE_OPTIONS = {"dateFormat": {"name": "iso"}}
_DATETIME_OPTIONS = {
    "dateFormat": {"name": "iso"},
    "timeFormat": {"name": "24hour"},
    "timeZone": "utc",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of the contract: its name, Airtable type, and options (choices, link target)."""

    name: str
    type: str
    choices: tuple[str, ...] = ()
    link_table: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_api(self, table_ids: Mapping[str, str]) -> dict[str, Any]:
        """The Airtable field model to create this field (links need their target's table id)."""
        body: dict[str, Any] = {"name": self.name, "type": self.type}
        options = dict(self.options)
        if self.choices:
            options["choices"] = [{"name": choice} for choice in self.choices]
        if self.link_table is not None:
            options["linkedTableId"] = table_ids[self.link_table]
        if options:
            body["options"] = options
        return body


@dataclass(frozen=True)
class TableSpec:
    """One table of the contract; its first field is the primary field."""

    name: str
    fields: tuple[FieldSpec, ...]


def _text(name: str) -> FieldSpec:
    return FieldSpec(name, "singleLineText")


def _select(name: str, choices: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(name, "singleSelect", choices=choices)


def _link(name: str, table: str) -> FieldSpec:
    return FieldSpec(name, "multipleRecordLinks", link_table=table)


CONTACTS_SPEC = TableSpec(
    Contacts.TABLE,
    (
        _text(Contacts.NAME),
        FieldSpec(Contacts.EMAIL, "email"),
        _text(Contacts.COMPANY),
        _text(Contacts.ROLE),
        _select(Contacts.STAGE, STAGES),
        FieldSpec(Contacts.LAST_MET, "date", options=_DATE_OPTIONS),
        FieldSpec(Contacts.NEXT_UPDATE_DUE, "date", options=_DATE_OPTIONS),
        FieldSpec(Contacts.UPDATE_EVERY_DAYS, "number", options={"precision": 0}),
        _text(Contacts.GOOGLE_CONTACT),
        FieldSpec(Contacts.NOTES, "multilineText"),
    ),
)
MEETINGS_SPEC = TableSpec(
    Meetings.TABLE,
    (
        _text(Meetings.TITLE),
        _link(Meetings.CONTACT, Contacts.TABLE),
        FieldSpec(Meetings.START, "dateTime", options=_DATETIME_OPTIONS),
        FieldSpec(Meetings.END, "dateTime", options=_DATETIME_OPTIONS),
        _text(Meetings.EVENT_ID),
        _select(Meetings.STATUS, MEETING_STATUSES),
        FieldSpec(Meetings.NOTES, "multilineText"),
        FieldSpec(Meetings.THANK_YOU_DRAFT, "url"),
    ),
)
FOLLOW_UPS_SPEC = TableSpec(
    FollowUps.TABLE,
    (
        _text(FollowUps.TITLE),
        _link(FollowUps.CONTACT, Contacts.TABLE),
        _link(FollowUps.MEETING, Meetings.TABLE),
        _select(FollowUps.KIND, FOLLOW_UP_KINDS),
        FieldSpec(FollowUps.DUE, "date", options=_DATE_OPTIONS),
        _select(FollowUps.STATUS, FOLLOW_UP_STATUSES),
        _text(FollowUps.KEY),
    ),
)
SCHEMA: tuple[TableSpec, ...] = (CONTACTS_SPEC, MEETINGS_SPEC, FOLLOW_UPS_SPEC)
"""The whole contract, in creation order (a link's target comes before the link)."""


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
    )
    log.info(
        "airtable.schema.init",
        tables=len(report.created_tables),
        fields=len(report.created_fields),
        problems=len(report.problems),
    )
    return report


def _create_table(client: AirtableClient, spec: TableSpec, plan: _Plan) -> None:
    if plan.dry_run:
        plan.created_tables.append(spec.name)
        return
    fields = [f.to_api(plan.table_ids) for f in spec.fields]
    payload = {"name": spec.name, "fields": fields}
    created = client.call(
        "create a table",
        lambda: client.api.post(client.base.urls.tables, json=payload),
        table=spec.name,
        write=True,
    )
    plan.table_ids[spec.name] = created["id"]
    plan.created_tables.append(spec.name)


def _complete_table(client: AirtableClient, spec: TableSpec, table: Any, plan: _Plan) -> None:
    have = {f.name: f for f in table.fields}
    for wanted in spec.fields:
        current = have.get(wanted.name)
        if current is None:
            _create_field(client, spec.name, table.id, wanted, plan)
        elif current.type != wanted.type:
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
