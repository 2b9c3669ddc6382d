"""The sandbox's Airtable base: tables, fields with Airtable's default options, and cell values.

Cells are stored by field id. Writing a value checks it the way Airtable does for the field
types Followthrough uses (text, email, url, number, checkbox, date, dateTime, single and
multiple selects, linked records); `typecast` converts strings and creates select choices.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
MAX_TEXT_LENGTH = 100_000
"""Airtable's limit for single line and long text cells, in characters."""

TEXT_TYPES = {
    "singleLineText",
    "email",
    "url",
    "multilineText",
    "phoneNumber",
    "richText",
    "barcode",
}
NUMBER_TYPES = {"number", "percent", "currency", "rating", "duration"}
DATE_FORMATS = {
    "iso": "YYYY-MM-DD",
    "us": "M/D/YYYY",
    "european": "D/M/YYYY",
    "friendly": "LL",
    "local": "l",
}
TIME_FORMATS = {"24hour": "HH:mm", "12hour": "h:mma"}
CHOICE_COLORS = [
    "blueLight2",
    "cyanLight2",
    "tealLight2",
    "greenLight2",
    "yellowLight2",
    "orangeLight2",
    "redLight2",
]
# Options that Airtable's create-field endpoint refuses to do without.
REQUIRED_OPTIONS = {
    "number": ("precision",),
    "percent": ("precision",),
    "currency": ("precision", "symbol"),
    "date": ("dateFormat",),
    "dateTime": ("dateFormat", "timeFormat", "timeZone"),
    "multipleRecordLinks": ("linkedTableId",),
    "singleSelect": ("choices",),
    "multipleSelects": ("choices",),
}
KNOWN_TYPES = (
    TEXT_TYPES | NUMBER_TYPES | set(REQUIRED_OPTIONS) | {"checkbox", "multipleAttachments"}
)


class CellError(ValueError):
    """A write Airtable would refuse: carries Airtable's error type (422)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def now_iso() -> str:
    """The current UTC time the way Airtable writes timestamps (milliseconds, Z)."""
    return iso(dt.datetime.now(dt.UTC))


def iso(moment: dt.datetime) -> str:
    """A datetime as Airtable writes it: UTC, milliseconds, trailing Z."""
    return (
        moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}Z"
    )


class IdMaker:
    """Airtable-looking ids (3-letter prefix, 14 base-62 characters), deterministic per base."""

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)
        self._used: set[str] = set()

    def __call__(self, prefix: str) -> str:
        while True:
            made = prefix + "".join(self._random.choice(_ALPHABET) for _ in range(14))
            if made not in self._used:
                self._used.add(made)
                return made


@dataclass
class Field:
    """One field of a table, with its Airtable type and complete options."""

    id: str
    name: str
    type: str
    options: dict[str, Any] | None = None
    description: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The field model as the metadata API returns it."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        if self.options is not None:
            out["options"] = self.options
        return out

    def choice_names(self) -> list[str]:
        """The names of a select field's choices."""
        return [c["name"] for c in (self.options or {}).get("choices", [])]


@dataclass
class Record:
    """One record: id, creation time, last change, and non-empty cells by field id."""

    id: str
    created_time: str
    cells: dict[str, Any] = field(default_factory=dict)
    modified_time: str = ""  # LAST_MODIFIED_TIME(): the creation time until a cell changes

    def __post_init__(self) -> None:
        self.modified_time = self.modified_time or self.created_time


@dataclass
class Table:
    """One table: fields in order (the first is the primary field), records in creation order."""

    id: str
    name: str
    fields: list[Field]
    view_id: str
    description: str | None = None
    records: dict[str, Record] = field(default_factory=dict)

    def field(self, id_or_name: str) -> Field | None:
        """The field with this id or (exact) name."""
        for candidate in self.fields:
            if id_or_name in (candidate.id, candidate.name):
                return candidate
        return None

    def to_api(self) -> dict[str, Any]:
        """The table model as the metadata API returns it."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "primaryFieldId": self.fields[0].id,
            "fields": [f.to_api() for f in self.fields],
            "views": [{"id": self.view_id, "name": "Grid view", "type": "grid"}],
        }
        if self.description:
            out["description"] = self.description
        return out


def complete_options(
    field_type: str, given: dict[str, Any] | None, make_id: IdMaker
) -> dict[str, Any] | None:
    """Fill in the options Airtable adds to a field: formats, choice ids and colors, link flags."""
    options = dict(given or {})
    if field_type in ("number", "percent", "currency"):
        options.setdefault("precision", 0)
        if field_type == "currency":
            options.setdefault("symbol", "$")
    elif field_type in ("date", "dateTime"):
        options["dateFormat"] = _format(options.get("dateFormat"), DATE_FORMATS, "iso")
        if field_type == "dateTime":
            options["timeFormat"] = _format(options.get("timeFormat"), TIME_FORMATS, "24hour")
            options.setdefault("timeZone", "utc")
    elif field_type in ("singleSelect", "multipleSelects"):
        options["choices"] = [
            _choice(c, i, make_id) for i, c in enumerate(options.get("choices", []))
        ]
    elif field_type == "multipleRecordLinks":
        options.setdefault("isReversed", False)
        options.setdefault("prefersSingleRecordLink", False)
    elif field_type == "checkbox":
        options.setdefault("color", "greenBright")
        options.setdefault("icon", "check")
    elif not options:
        return None
    return options


def _format(given: dict[str, str] | None, known: dict[str, str], default: str) -> dict[str, str]:
    name = (given or {}).get("name", default)
    return {"name": name, "format": (given or {}).get("format", known.get(name, known[default]))}


def _choice(given: dict[str, Any], index: int, make_id: IdMaker) -> dict[str, Any]:
    return {
        "id": given.get("id") or make_id("sel"),
        "name": given["name"],
        "color": given.get("color", CHOICE_COLORS[index % len(CHOICE_COLORS)]),
    }


def is_empty(value: Any) -> bool:
    """Airtable leaves these out of responses: null, empty text, empty lists, unchecked boxes."""
    return value is None or value == "" or value == [] or value is False


class CellWriter:
    """Checks and converts one value for one field, as Airtable does on create and update."""

    def __init__(self, base: Any, typecast: bool) -> None:
        self.base = base  # an AirtableBase; typed loosely to avoid a cycle
        self.typecast = typecast

    def convert(self, target: Field, value: Any) -> Any:
        """The value to store (None: the cell is emptied); CellError when Airtable refuses it."""
        if is_empty(value):
            return None
        kind = target.type
        if kind in TEXT_TYPES:
            return self._text(target, value)
        if kind in NUMBER_TYPES:
            return self._number(target, value)
        if kind == "checkbox":
            return self._checkbox(target, value)
        if kind == "date":
            return self._date(target, value)
        if kind == "dateTime":
            return self._datetime(target, value)
        if kind == "singleSelect":
            return self._select(target, self._text(target, value))
        if kind == "multipleSelects":
            items = value.split(",") if isinstance(value, str) and self.typecast else value
            return [
                self._select(target, self._text(target, item).strip())
                for item in self._list(target, items)
            ]
        if kind == "multipleRecordLinks":
            return self._links(target, value)
        return value

    def _refuse(self, target: Field, value: Any) -> CellError:
        return CellError(
            "INVALID_VALUE_FOR_COLUMN",
            f'Field "{target.name}" cannot accept the provided value: {value!r}',
        )

    def _list(self, target: Field, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self._refuse(target, value)
        return value

    def _text(self, target: Field, value: Any) -> str:
        if isinstance(value, str):
            if len(value) > MAX_TEXT_LENGTH:
                raise CellError(
                    "INVALID_VALUE_FOR_COLUMN",
                    f'Field "{target.name}" cannot accept a text of {len(value)} characters '
                    f"(at most {MAX_TEXT_LENGTH})",
                )
            return value
        if self.typecast and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self._refuse(target, value)

    def _number(self, target: Field, value: Any) -> float | int:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if self.typecast and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return None  # type: ignore[return-value]  # Airtable clears what it cannot convert
            return int(number) if number.is_integer() else number
        raise self._refuse(target, value)

    def _checkbox(self, target: Field, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value or None
        if self.typecast and isinstance(value, str):
            return value.strip().lower() in ("true", "yes", "1", "checked") or None
        raise self._refuse(target, value)

    def _date(self, target: Field, value: Any) -> str:
        text = self._text(target, value)
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text).isoformat()
            return _parse_datetime(text).date().isoformat()
        except ValueError as exc:
            raise self._refuse(target, value) from exc

    def _datetime(self, target: Field, value: Any) -> str:
        text = self._text(target, value)
        try:
            return iso(_parse_datetime(text))
        except ValueError as exc:
            raise self._refuse(target, value) from exc

    def _select(self, target: Field, name: str) -> str:
        if name in target.choice_names():
            return name
        if not self.typecast:
            raise CellError(
                "INVALID_MULTIPLE_CHOICE_OPTIONS",
                f'Insufficient permissions to create new select option ""{name}""',
            )
        options = target.options if target.options is not None else {"choices": []}
        target.options = options
        options.setdefault("choices", []).append(
            _choice({"name": name}, len(options["choices"]), self.base.make_id)
        )
        return name

    def _links(self, target: Field, value: Any) -> list[str]:
        linked: Table = self.base.table((target.options or {}).get("linkedTableId", ""))
        out: list[str] = []
        for item in self._list(target, value):
            record_id = item.get("id") if isinstance(item, dict) else item
            if not isinstance(record_id, str):
                raise self._refuse(target, value)
            if record_id not in linked.records:
                if not self.typecast or record_id.startswith("rec"):
                    raise CellError(
                        "ROW_DOES_NOT_EXIST", f"Record ID {record_id} does not exist in this table"
                    )
                record_id = self.base.find_or_create_by_primary(linked, record_id)
            if record_id not in out:
                out.append(record_id)
        return out


def _parse_datetime(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
