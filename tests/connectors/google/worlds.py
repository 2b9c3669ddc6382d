"""Sandbox fixtures for the Google connector tests: small worlds and large generated ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
WINDOW_START = NOW - dt.timedelta(days=180)
ZONE = "America/New_York"
USER = "sam.seeker@example.com"


def event(index: int, *, days: float = 1.0, **extra: Any) -> dict[str, Any]:
    """A one-hour timed event `days` after NOW, with the user and one guest."""
    start = NOW + dt.timedelta(days=days, minutes=index % 600)
    return {
        "id": f"evt{index:07d}",
        "summary": f"Coffee chat {index}",
        "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
        "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat(), "timeZone": ZONE},
        "attendees": [
            {"email": USER, "self": True, "organizer": True, "responseStatus": "accepted"},
            {"email": f"guest{index}@example.com", "displayName": f"Guest {index}"},
        ],
        **extra,
    }


def person(index: int) -> dict[str, Any]:
    """A People API person with a name, an email, an organization and a phone."""
    return {
        "resourceName": f"people/c{index:019d}",
        "names": [
            {"displayName": f"Person {index}", "givenName": "Person", "familyName": str(index)}
        ],
        "emailAddresses": [{"value": f"person{index}@example.com", "metadata": {"primary": True}}],
        "organizations": [{"name": "Example Corp", "title": "Engineer"}],
        "phoneNumbers": [{"value": f"+1 555 {index:07d}"}],
    }


def world(
    *, events: list[dict[str, Any]] | None = None, contacts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A sandbox fixture with these events on the primary calendar and these contacts."""
    return {
        "now": NOW.isoformat(),
        "google": {
            "user": {"email": USER, "name": "Sam Seeker", "timeZone": ZONE},
            "calendars": {"primary": {"timeZone": ZONE, "events": events or []}},
            "contacts": contacts or [],
            "tasklists": [],
        },
    }
