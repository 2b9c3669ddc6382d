"""Gmail's shared request parameters and errors: paging, formats, 400s and 404s as Gmail's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connectors.sandbox.http import HttpError, Request, google_error
from connectors.sandbox.tokens import decode_token, encode_token

DEFAULT_PAGE = 100
MAX_PAGE = 500
FORMATS = ("full", "metadata", "minimal", "raw")


def gmail_error(status: int, message: str, reason: str, grpc_status: str) -> HttpError:
    """An error as Gmail answers it."""
    return HttpError(google_error(status, message, reason=reason, grpc_status=grpc_status))


def message_format(request: Request) -> str:
    """The `format` asked (full when absent); anything else is Gmail's 400."""
    form = request.arg("format") or "full"
    if form not in FORMATS:
        raise invalid(f"Invalid value at 'format' ({form})")
    return form


def not_found() -> HttpError:
    """Gmail's 404 for an id (or a history id) it does not know (any more)."""
    return gmail_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")


def invalid(message: str) -> HttpError:
    """Gmail's 400 for a parameter it refuses."""
    return gmail_error(400, message, "invalidArgument", "INVALID_ARGUMENT")


def page(
    request: Request, items: list[Any], key: str, reference: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of a Gmail list (maxResults, pageToken), with its resultSizeEstimate."""
    size = _page_size(request.arg("maxResults"))
    offset = _page_offset(request.arg("pageToken"))
    chunk = items[offset : offset + size]
    body: dict[str, Any] = {"resultSizeEstimate": len(items)}
    if chunk:
        body[key] = [reference(item) for item in chunk]
    if offset + size < len(items):
        body["nextPageToken"] = encode_token({"o": offset + size})
    return body


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw) if raw else DEFAULT_PAGE
    except ValueError:
        raise invalid(f"Invalid value '{raw}' for maxResults") from None
    return max(1, min(size, MAX_PAGE))


def _page_offset(token: str | None) -> int:
    if not token:
        return 0
    cursor = decode_token(token)
    if cursor is None or not isinstance(cursor.get("o"), int):
        raise invalid("Invalid pageToken")
    return int(cursor["o"])


def epoch_ms(at: str | None) -> int:
    """An RFC 3339 time (now when None) as Gmail's internalDate (epoch milliseconds)."""
    when = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise ValueError(f"{at!r} needs a UTC offset")
    return int(when.timestamp() * 1000)
