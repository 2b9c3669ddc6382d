"""JSON values held by the sandbox: fast deep copies (stored resources are plain JSON data)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from connectors.sandbox.http import Response

T = TypeVar("T")


def clone(value: T) -> T:
    """A deep copy of a JSON value, several times faster than copy.deepcopy for large data."""
    copied: Any = json.loads(json.dumps(value))
    return copied  # type: ignore[no-any-return]


def json_response(body: Any, status: int = 200) -> Response:
    """A response encoded now, under the world lock: no copy is needed of what it shows."""
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    return Response(status, json.dumps(body).encode(), headers)
