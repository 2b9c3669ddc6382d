"""Airtable's field types as Followthrough uses them: how a field is declared, a cell read and sent.

Each reader takes the field's name (for the reason it gives) and the cell as Airtable sent it, and
raises SkipRecord for a cell it cannot use; each writer is given only values that are not None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import SkipRecord


def _checked(name: str, value: Any, kinds: tuple[type, ...], expected: str) -> Any:
    if value is None or (isinstance(value, kinds) and not isinstance(value, bool)):
        return value
    raise SkipRecord(f"field {name!r} holds a {type(value).__name__} where {expected} was expected")


def _read_text(name: str, value: Any) -> str | None:
    text = _checked(name, value, (str,), "text")
    return text.strip() or None if text is not None else None


def _read_whole_number(name: str, value: Any) -> int | None:
    number = _checked(name, value, (int, float), "a number")
    if number is None:
        return None
    if number != int(number):
        raise SkipRecord(f"field {name!r} holds {number}, where a whole number was expected")
    return int(number)


def _read_date(name: str, value: Any) -> dt.date | None:
    text = _checked(name, value, (str,), "a date")
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError as exc:
        raise SkipRecord(f"field {name!r} holds {text!r}, which is not a date") from exc


def _read_datetime(name: str, value: Any) -> dt.datetime | None:
    """Airtable sends UTC with a Z; a time without a zone is taken as UTC."""
    text = _checked(name, value, (str,), "a date and time")
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SkipRecord(f"field {name!r} holds {text!r}, which is not a date and time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _read_checkbox(name: str, value: Any) -> bool:
    """Airtable leaves an unticked box out of the record: absent means False."""
    if value is None or isinstance(value, bool):
        return bool(value)
    raise SkipRecord(f"field {name!r} holds a {type(value).__name__} where a checkbox was expected")


def _read_links(name: str, value: Any) -> tuple[str, ...]:
    links = _checked(name, value, (list,), "a list of linked records")
    if links is None:
        return ()
    if not all(isinstance(item, str) for item in links):
        raise SkipRecord(f"field {name!r} holds something other than record ids")
    return tuple(links)


MAX_TEXT_LENGTH = 100_000
"""Airtable refuses a text cell longer than this (characters): longer text is cut to it."""


def _write_text(value: str) -> str:
    return value[:MAX_TEXT_LENGTH]


def _write_datetime(value: dt.datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _write_as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class FieldType:
    """An Airtable field type as Followthrough uses it: its options, how a cell is read and sent.

    `read(field_name, cell)` raises SkipRecord for a cell it cannot use; `write(value)` is given
    only values that are not None.
    """

    type: str
    read: Callable[[str, Any], Any]
    write: Callable[[Any], Any] = _write_as_is
    options: Mapping[str, Any] = field(default_factory=dict)


TEXT = FieldType("singleLineText", _read_text, _write_text)
LONG_TEXT = FieldType("multilineText", _read_text, _write_text)
EMAIL = FieldType("email", _read_text, _write_text)
URL = FieldType("url", _read_text, _write_text)
SELECT = FieldType("singleSelect", _read_text)
WHOLE_NUMBER = FieldType("number", _read_whole_number, options={"precision": 0})
DATE = FieldType("date", _read_date, dt.date.isoformat, {"dateFormat": {"name": "iso"}})
DATETIME = FieldType(
    "dateTime",
    _read_datetime,
    _write_datetime,
    {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"},
)
LINKS = FieldType("multipleRecordLinks", _read_links, list)
CHECKBOX = FieldType("checkbox", _read_checkbox, options={"icon": "check", "color": "greenBright"})
