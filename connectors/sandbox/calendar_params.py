"""Calendar's request parameters: page sizes, what a sync token excludes, 400s for bad ones."""

from __future__ import annotations

from connectors.sandbox.http import HttpError, Request, google_error

BASE = "/calendar/v3"
MAX_RESULTS = 2500
DEFAULT_RESULTS = 250
SYNC_EXCLUSIVE = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


def bad_request(message: str, reason: str = "invalid", location: str | None = None) -> HttpError:
    """A 400 as Calendar answers a bad parameter."""
    response = google_error(400, message, reason=reason, grpc_status="INVALID_ARGUMENT")
    if location:
        response.body["error"]["errors"][0].update(
            {"location": location, "locationType": "parameter"}
        )
    return HttpError(response)


def flag(request: Request, name: str) -> bool:
    """A true/false query parameter (absent: false); anything else is a 400, as Calendar says."""
    value = (request.arg(name) or "false").lower()
    if value not in ("true", "false"):
        raise bad_request(f"Invalid boolean value: '{value}'.", location=name)
    return value == "true"
