"""Each Airtable table declared once: its fields, their types and options, how a cell is read.

A table is a frozen dataclass of its cells in field order (the first is the primary field), each
attribute declared with `cell(name, field_type)`. `airtable init`, the readers, the writers and the
sandbox's fixture are derived from it, and the typed rows read (`AirtableContact`, ...) and
written (`connectors.airtable.writes`) inherit its attributes: adding a field is one line in its
table's class (plus a migration where the store keeps it). Names, types and choices are a user
contract: users build views on them (DESIGN.md, "External contract").
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from connectors.airtable.field_types import (
    CHECKBOX,
    DATE,
    DATETIME,
    EMAIL,
    LINKS,
    LONG_TEXT,
    SELECT,
    TEXT,
    URL,
    WHOLE_NUMBER,
    FieldType,
)
from connectors.errors import SkipRecord

# --- Fields and tables --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of the contract: its name, type, and choices or link target."""

    name: str
    field_type: FieldType
    choices: tuple[str, ...] = ()
    link_table: str | None = None

    @property
    def type(self) -> str:
        """Airtable's type name for the field."""
        return self.field_type.type

    def to_api(self, table_ids: Mapping[str, str]) -> dict[str, Any]:
        """The Airtable field model to create this field (links need their target's table id)."""
        body: dict[str, Any] = {"name": self.name, "type": self.type}
        options = copy.deepcopy(dict(self.field_type.options))
        if self.choices:
            options["choices"] = [{"name": choice} for choice in self.choices]
        if self.link_table is not None:
            options["linkedTableId"] = table_ids[self.link_table]
        if options:
            body["options"] = options
        return body


_SPEC = "airtable_field"


def cell(
    name: str,
    field_type: FieldType,
    *,
    choices: tuple[str, ...] = (),
    link_table: str | None = None,
) -> Any:
    """Declare a table attribute as the Airtable field `name` of `field_type` (None when empty)."""
    spec = FieldSpec(name, field_type, choices, link_table)
    return field(default=None, metadata={_SPEC: spec})


@dataclass(frozen=True)
class TableSpec:
    """One table of the contract: its name and its cells class (attributes in field order)."""

    name: str
    cells: type

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        """The fields in order; the first is the primary field."""
        return tuple(spec for _, spec in self.attributes)

    @cached_property
    def attributes(self) -> tuple[tuple[str, FieldSpec], ...]:
        """Each attribute of the cells class with the field it holds, in field order."""
        return tuple((each.name, each.metadata[_SPEC]) for each in fields(self.cells))

    def to_api(self, table_ids: Mapping[str, str]) -> dict[str, Any]:
        """The Airtable table model to create this table (links need their targets' table ids)."""
        return {"name": self.name, "fields": [spec.to_api(table_ids) for spec in self.fields]}

    def __getitem__(self, attribute: str) -> str:
        """The Airtable name of the field an attribute holds."""
        return self._spec(attribute).name

    def _spec(self, attribute: str) -> FieldSpec:
        return next(spec for name, spec in self.attributes if name == attribute)

    def read_cell(self, cells: Mapping[str, Any], attribute: str) -> Any:
        """One attribute's value from a record's cells; SkipRecord when it cannot be used."""
        spec = self._spec(attribute)
        return spec.field_type.read(spec.name, cells.get(spec.name))

    def to_fields(self, row: Any, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
        """A row's cells by field name as Airtable takes them; None values are not sent."""
        values = ((spec, getattr(row, name)) for name, spec in self.attributes)
        return {
            spec.name: spec.field_type.write(value)
            for spec, value in values
            if value is not None and spec.name not in leave_out
        }

    def read(
        self,
        cells: Mapping[str, Any],
        lenient: Callable[[FieldSpec, SkipRecord], Any] | None = None,
    ) -> dict[str, Any]:
        """Each attribute's value from a record's cells; SkipRecord for a cell it cannot use.

        `lenient(spec, error)`, when given, decides an unusable cell's value instead.
        """
        values: dict[str, Any] = {}
        for name, spec in self.attributes:
            try:
                values[name] = spec.field_type.read(spec.name, cells.get(spec.name))
            except SkipRecord as exc:
                if lenient is None:
                    raise
                values[name] = lenient(spec, exc)
        return values


STAGES = ("To contact", "Requested", "Scheduled", "Met", "Keeping in touch", "Inactive")
MEETING_STATUSES = ("Scheduled", "Completed", "Cancelled")
FOLLOW_UP_KINDS = (
    "Thank-you",
    "Action item",
    "Progress update",
    "Ask",
    "Nudge",
    "Prepare",
    "Reschedule",
    "Thank introducer",
)
FOLLOW_UP_STATUSES = ("Open", "Done", "Snoozed")


@dataclass(frozen=True, kw_only=True)
class ContactCells:
    """The Contacts table: one row per person (the user's CRM)."""

    name: str | None = cell("Name", TEXT)
    email: str | None = cell("Email", EMAIL)
    company: str | None = cell("Company", TEXT)
    role: str | None = cell("Role", TEXT)
    stage: str | None = cell("Stage", SELECT, choices=STAGES)
    last_met: dt.date | None = cell("Last Met", DATE)
    next_update_due: dt.date | None = cell("Next Update Due", DATE)
    update_every_days: int | None = cell("Update Every (days)", WHOLE_NUMBER)
    google_contact: str | None = cell("Google Contact", TEXT)
    notes: str | None = cell("Notes", LONG_TEXT)
    last_contacted: dt.date | None = cell("Last Contacted", DATE)
    last_reply: dt.date | None = cell("Last Reply", DATE)
    draft_ask: bool | None = cell("Draft Ask", CHECKBOX)
    why_them: str | None = cell("Why Them", LONG_TEXT)
    referred_by: tuple[str, ...] | None = cell("Referred By", LINKS, link_table="Contacts")


CONTACTS_SPEC = TableSpec("Contacts", ContactCells)


@dataclass(frozen=True, kw_only=True)
class MeetingCells:
    """The Meetings table: one row per meeting with a contact, known by its Event ID."""

    title: str | None = cell("Title", TEXT)
    contact_ids: tuple[str, ...] | None = cell("Contact", LINKS, link_table=CONTACTS_SPEC.name)
    start: dt.datetime | None = cell("Start", DATETIME)
    end: dt.datetime | None = cell("End", DATETIME)
    event_id: str | None = cell("Event ID", TEXT)
    status: str | None = cell("Status", SELECT, choices=MEETING_STATUSES)
    notes: str | None = cell("Notes", LONG_TEXT)
    thank_you_draft: str | None = cell("Thank-you Draft", URL)
    thank_you_sent: dt.date | None = cell("Thank-you Sent", DATE)
    brief: str | None = cell("Brief", LONG_TEXT)


MEETINGS_SPEC = TableSpec("Meetings", MeetingCells)


@dataclass(frozen=True, kw_only=True)
class FollowUpCells:
    """The Follow-ups table: one row per thing owed to a contact, known by its Key."""

    title: str | None = cell("Title", TEXT)
    contact_ids: tuple[str, ...] | None = cell("Contact", LINKS, link_table=CONTACTS_SPEC.name)
    meeting_ids: tuple[str, ...] | None = cell("Meeting", LINKS, link_table=MEETINGS_SPEC.name)
    kind: str | None = cell("Kind", SELECT, choices=FOLLOW_UP_KINDS)
    due: dt.date | None = cell("Due", DATE)
    status: str | None = cell("Status", SELECT, choices=FOLLOW_UP_STATUSES)
    key: str | None = cell("Key", TEXT)
    notes: str | None = cell("Notes", LONG_TEXT)
    draft: str | None = cell("Draft", URL)


FOLLOW_UPS_SPEC = TableSpec("Follow-ups", FollowUpCells)


@dataclass(frozen=True, kw_only=True)
class MilestoneCells:
    """The Milestones table: the user's news (an offer, a course finished), linked to the
    contacts whose advice it came from or who would want to hear it."""

    what: str | None = cell("What", TEXT)
    date: dt.date | None = cell("Date", DATE)
    contact_ids: tuple[str, ...] | None = cell("Contacts", LINKS, link_table=CONTACTS_SPEC.name)
    notes: str | None = cell("Notes", LONG_TEXT)


MILESTONES_SPEC = TableSpec("Milestones", MilestoneCells)

SCHEMA: tuple[TableSpec, ...] = (CONTACTS_SPEC, MEETINGS_SPEC, FOLLOW_UPS_SPEC, MILESTONES_SPEC)
"""The whole contract, in creation order (a link's target comes before the link)."""


class Contacts:
    """The Contacts table's name, and the fields code names (formulas, the demo)."""

    TABLE = CONTACTS_SPEC.name
    NAME = CONTACTS_SPEC["name"]
    EMAIL = CONTACTS_SPEC["email"]
    LAST_CONTACTED = CONTACTS_SPEC["last_contacted"]
    LAST_REPLY = CONTACTS_SPEC["last_reply"]
    DRAFT_ASK = CONTACTS_SPEC["draft_ask"]
    WHY_THEM = CONTACTS_SPEC["why_them"]
    REFERRED_BY = CONTACTS_SPEC["referred_by"]


class Meetings:
    """The Meetings table's name, and the fields code names (the demo)."""

    TABLE = MEETINGS_SPEC.name
    TITLE = MEETINGS_SPEC["title"]
    EVENT_ID = MEETINGS_SPEC["event_id"]
    NOTES = MEETINGS_SPEC["notes"]
    THANK_YOU_DRAFT = MEETINGS_SPEC["thank_you_draft"]
    THANK_YOU_SENT = MEETINGS_SPEC["thank_you_sent"]
    BRIEF = MEETINGS_SPEC["brief"]


class FollowUps:
    """The Follow-ups table's name, and the fields code names (the demo)."""

    TABLE = FOLLOW_UPS_SPEC.name
    TITLE = FOLLOW_UPS_SPEC["title"]
    MEETING = FOLLOW_UPS_SPEC["meeting_ids"]
    KIND = FOLLOW_UPS_SPEC["kind"]
    STATUS = FOLLOW_UPS_SPEC["status"]
    KEY = FOLLOW_UPS_SPEC["key"]
    NOTES = FOLLOW_UPS_SPEC["notes"]
    DRAFT = FOLLOW_UPS_SPEC["draft"]


class Milestones:
    """The Milestones table's name, and the fields code names (formulas, the demo)."""

    TABLE = MILESTONES_SPEC.name
    WHAT = MILESTONES_SPEC["what"]
    DATE = MILESTONES_SPEC["date"]
    CONTACTS = MILESTONES_SPEC["contact_ids"]


# --- Rows as read ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AirtableContact(ContactCells):
    """A row of the Contacts table as read."""

    record_id: str
    name: str = ""
    draft_ask: bool = False
    referred_by: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AirtableMeeting(MeetingCells):
    """A row of the Meetings table as read."""

    record_id: str
    title: str = ""
    contact_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AirtableFollowUp(FollowUpCells):
    """A row of the Follow-ups table as read."""

    record_id: str
    title: str = ""
    contact_ids: tuple[str, ...] = ()
    meeting_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AirtableMilestone(MilestoneCells):
    """A row of the Milestones table as read."""

    record_id: str
    what: str = ""
    contact_ids: tuple[str, ...] = ()
