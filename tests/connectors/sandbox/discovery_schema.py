"""Validate JSON against the response schemas of googleapiclient's bundled discovery documents.

Stricter than the APIs promise in one way on purpose: a key the schema does not define is an
error, because the real APIs never send one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@cache
def document(name: str) -> dict[str, Any]:
    """A bundled discovery document, e.g. "calendar.v3"."""
    return json.loads((DOCUMENTS / f"{name}.json").read_text())


def response_schema(name: str, method_id: str) -> str:
    """The response schema name of a method id such as "calendar.events.list"."""
    resources = document(name)["resources"]
    for part in method_id.split(".")[1:-1]:
        resources = resources[part]
        resources = resources.get("resources", resources)
    methods = resources.get("methods", resources)
    return str(methods[method_id.split(".")[-1]]["response"]["$ref"])


def problems(name: str, schema_name: str, value: Any) -> list[str]:
    """Every way `value` fails the named schema of a discovery document ([] when it fits)."""
    found: list[str] = []
    _check(document(name)["schemas"], {"$ref": schema_name}, value, schema_name, found)
    return found


def _check(
    schemas: dict[str, Any], schema: dict[str, Any], value: Any, where: str, found: list[str]
) -> None:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type", "any")
    if kind == "object":
        _check_object(schemas, schema, value, where, found)
    elif kind == "array":
        if not isinstance(value, list):
            found.append(f"{where}: expected an array, got {value!r}")
            return
        for index, item in enumerate(value):
            _check(schemas, schema.get("items", {}), item, f"{where}[{index}]", found)
    elif kind != "any":
        _check_scalar(kind, schema.get("format"), value, where, found)


def _check_object(
    schemas: dict[str, Any], schema: dict[str, Any], value: Any, where: str, found: list[str]
) -> None:
    if not isinstance(value, dict):
        found.append(f"{where}: expected an object, got {value!r}")
        return
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _check(schemas, properties[key], item, f"{where}.{key}", found)
        elif extra is not None:
            _check(schemas, extra, item, f"{where}.{key}", found)
        else:
            found.append(f"{where}: unknown key {key!r}")


def _check_scalar(kind: str, form: str | None, value: Any, where: str, found: list[str]) -> None:
    python: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "boolean": bool,
        "integer": int,
        "number": (int, float),
    }
    if not isinstance(value, python[kind]) or (
        kind in ("integer", "number") and isinstance(value, bool)
    ):
        found.append(f"{where}: expected {kind}, got {value!r}")
        return
    if kind == "string" and not _fits_format(form, str(value)):
        found.append(f"{where}: {value!r} is not a valid {form}")


def _fits_format(form: str | None, text: str) -> bool:
    try:
        if form in ("int64", "uint64"):
            int(text)
        elif form == "date-time":
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif form == "date":
            dt.date.fromisoformat(text)
        elif form == "byte":
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return False
    return True
