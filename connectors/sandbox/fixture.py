"""Sandbox fixtures: load a JSON world (Google and Airtable data), validate it, or make a small one.

Format: {"now": ISO datetime, "google": {"user": {"email", "name", "timeZone"},
"calendars": {"primary": {"timeZone", "events": [event resources]}}, "contacts": [person
resources], "tasklists": [{"id"?, "title", "tasks"?: [...]}]}, "airtable": {"base_id": "app...",
"token": "pat...", "tables": [{"name", "fields": [{"name", "type", "options"?}], "records":
[{"id", "fields"}]}]}}.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from connectors.airtable.tables import CONTACTS_SPEC, SCHEMA, ContactCells, TableSpec
from connectors.errors import ConfigurationError
from connectors.sandbox.recurrence import parse_rule
from connectors.sandbox.values import clone

FIXTURES_DIR = Path(__file__).parent / "fixtures"
DEMO_FIXTURE = FIXTURES_DIR / "demo.json"


def contract_table(spec: TableSpec, records: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A fixture table with the contract's fields (links name their target table) and records."""
    table = spec.to_api({other.name: other.name for other in SCHEMA})
    return {**table, "records": list(records)}


CONTACT_FIELDS: list[dict[str, Any]] = contract_table(CONTACTS_SPEC)["fields"]
"""The Contacts table of the external contract (DESIGN.md), in Airtable's metadata shape."""


class FixtureError(ConfigurationError):
    """A sandbox fixture is malformed; the message names the offending part."""


def load_fixture(source: dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """A validated deep copy of a fixture: a dict, a JSON file path, or None (the small one)."""
    if source is None:
        data = small_fixture()
    elif isinstance(source, dict):
        data = clone(source)
    else:
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FixtureError(
                f"cannot read sandbox fixture {path}: {exc}; pass a readable JSON file"
            ) from exc
    validate_fixture(data)
    return data


def validate_fixture(data: Any) -> None:
    """Raise FixtureError naming the first part of `data` that does not fit the fixture format."""
    _require(isinstance(data, dict), "the fixture must be a JSON object")
    if "now" in data:
        _parse_time(data["now"], "now")
    google = data.get("google", {})
    _require(isinstance(google, dict), "`google` must be an object")
    _require(
        isinstance(google.get("user", {}).get("email", ""), str),
        "`google.user.email` must be a string",
    )
    for cal_id, calendar in google.get("calendars", {}).items():
        for index, event in enumerate(calendar.get("events", [])):
            where = f"google.calendars.{cal_id}.events[{index}]"
            _require(isinstance(event, dict), f"{where} must be an object")
            _require("start" in event and "end" in event, f"{where} needs `start` and `end`")
            if "recurrence" in event:
                parse_rule(event["recurrence"])
    for index, person in enumerate(google.get("contacts", [])):
        _require(
            isinstance(person, dict)
            and str(person.get("resourceName", "people/")).startswith("people/"),
            f"google.contacts[{index}]: a `resourceName` looks like people/c123",
        )
    for index, tasklist in enumerate(google.get("tasklists", [])):
        _require(
            isinstance(tasklist, dict) and "title" in tasklist,
            f"google.tasklists[{index}] needs a `title`",
        )
    _validate_airtable(data.get("airtable", {}))


def _validate_airtable(airtable: Any) -> None:
    _require(isinstance(airtable, dict), "`airtable` must be an object")
    if "base_id" in airtable:
        _require(
            str(airtable["base_id"]).startswith("app"), "`airtable.base_id` must start with `app`"
        )
    for index, table in enumerate(airtable.get("tables", [])):
        where = f"airtable.tables[{index}]"
        _require(
            isinstance(table, dict) and isinstance(table.get("name"), str),
            f"{where} needs a `name`",
        )
        for field in table.get("fields", []):
            _require(
                "name" in field and "type" in field,
                f"{where}.fields entries need `name` and `type`",
            )
        for record in table.get("records", []):
            _require(
                str(record.get("id", "rec")).startswith("rec")
                and isinstance(record.get("fields"), dict),
                f"{where}.records entries need `fields` (and an `id`, if any, like rec...)",
            )


def _parse_time(value: Any, where: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise FixtureError(f"`{where}` is not an ISO datetime: {value!r}") from exc


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FixtureError(f"invalid sandbox fixture: {message}")


def fixture_now(data: dict[str, Any]) -> dt.datetime | None:
    """The fixture's "now" (the demo start) as an aware datetime, if it has one."""
    if "now" not in data:
        return None
    value = _parse_time(data["now"], "now")
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


ADA = ContactCells(
    name="Ada Lovelace",
    email="ada@analytical.example",
    company="Analytical Engines",
    stage="Scheduled",
    update_every_days=30,
)
"""The small fixture's one Contacts row."""


def small_fixture() -> dict[str, Any]:
    """A small world for tests: one user, two contacts, two events, an Airtable Contacts table."""
    tz = "America/New_York"
    return {
        "now": "2026-03-02T09:00:00-05:00",
        "google": {
            "user": {"email": "sam.seeker@example.com", "name": "Sam Seeker", "timeZone": tz},
            "calendars": {
                "primary": {
                    "timeZone": tz,
                    "events": [
                        {
                            "id": "evtinterviewada01",
                            "summary": "Informational interview: Ada Lovelace",
                            "description": (
                                "Insight: start with the data model.\nTODO: send the notes link"
                            ),
                            "start": {"dateTime": "2026-03-02T10:00:00-05:00", "timeZone": tz},
                            "end": {"dateTime": "2026-03-02T10:30:00-05:00", "timeZone": tz},
                            "attendees": [
                                {
                                    "email": "sam.seeker@example.com",
                                    "self": True,
                                    "organizer": True,
                                    "responseStatus": "accepted",
                                },
                                {
                                    "email": "ada@analytical.example",
                                    "displayName": "Ada Lovelace",
                                    "responseStatus": "accepted",
                                },
                            ],
                        },
                        {
                            "id": "evtstandup01",
                            "summary": "Team standup",
                            "start": {"dateTime": "2026-03-02T09:00:00-05:00", "timeZone": tz},
                            "end": {"dateTime": "2026-03-02T09:15:00-05:00", "timeZone": tz},
                            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE"],
                        },
                    ],
                }
            },
            "contacts": [
                {
                    "resourceName": "people/c1001",
                    "names": [
                        {
                            "displayName": "Ada Lovelace",
                            "givenName": "Ada",
                            "familyName": "Lovelace",
                        }
                    ],
                    "emailAddresses": [{"value": "ada@analytical.example", "type": "work"}],
                    "organizations": [{"name": "Analytical Engines", "title": "Engineer"}],
                },
                {
                    "resourceName": "people/c1002",
                    "names": [
                        {
                            "displayName": "Grace Hopper",
                            "givenName": "Grace",
                            "familyName": "Hopper",
                        }
                    ],
                    "emailAddresses": [{"value": "grace.hopper@gmail.com"}],
                },
            ],
            "tasklists": [],
        },
        "airtable": {
            "base_id": "appSandboxBase001",
            "token": "patSandbox.token0000000000000000000000000000",
            "tables": [
                contract_table(
                    CONTACTS_SPEC,
                    [{"id": "recAdaLovelace001", "fields": CONTACTS_SPEC.to_fields(ADA)}],
                )
            ],
        },
    }
