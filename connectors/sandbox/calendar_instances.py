"""events.instances: the instances of one recurring series, in a time window, paged.

Served for the calendar horizon (Followthrough reads a series' instances for the stretch the
horizon moves over). Differs from Google: `originalStart`, `iCalUID`, `maxAttendees` and
`timeZone` are not taken, and an id that names a single event (not a series) is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.sandbox.calendar_params import flag
from connectors.sandbox.calendar_store import tombstone
from connectors.sandbox.http import HttpError, Request, Response, google_error
from connectors.sandbox.tokens import encode_token
from connectors.sandbox.values import clone, json_response

if TYPE_CHECKING:
    from connectors.sandbox.calendar import CalendarApi


def list_instances(api: CalendarApi, request: Request) -> Response:
    """GET .../events/{eventId}/instances: the series' instances overlapping the window."""
    calendar = api.calendar_or_404(request)
    master = calendar.events.get(request.params["eventId"])
    if master is None or "recurrence" not in master:
        raise HttpError(google_error(404, "Not Found", reason="notFound", grpc_status="NOT_FOUND"))
    low, high = api.window(request)
    show_deleted = flag(request, "showDeleted")
    items: list[dict[str, Any]] = []
    for instance in calendar.instances(master, high):
        cancelled = instance.get("status") == "cancelled" or master.get("status") == "cancelled"
        if (cancelled and not show_deleted) or not api.overlaps(calendar, instance, low, high):
            continue
        items.append(tombstone(instance) if cancelled else clone(instance))
    size = api.page_size(request)
    offset = int(api.page_cursor(request).get("o", 0))
    body = api.envelope(calendar)
    body["kind"] = "calendar#events"
    body["items"] = items[offset : offset + size]
    if offset + size < len(items):
        body["nextPageToken"] = encode_token({"o": offset + size, "n": 0, "s": api.seq})
    return json_response(body)
