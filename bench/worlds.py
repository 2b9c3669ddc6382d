"""The benchmark's world: a large account generated deterministically (issue 6, workload W1).

    world_fixture(now) -> sandbox fixture dict
    w3_changes(now) / w4_meetings(now) -> the changes the later workloads make

Of the calendar's events, only the interviews qualify: the others are internal meetings
with colleagues of the user's own domain (never an outside contact), so they cost the
sync's attention and nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.fixture import CONTACT_FIELDS

ZONE = "America/New_York"
USER = "sam.seeker@work.example"
BASE_ID = "appBenchBase000001"
AIRTABLE_TOKEN = "patBench.token00000000000000000000000000000000"


@dataclass(frozen=True)
class Sizes:
    """How large the account is (the issue's W1 by default)."""

    google_contacts: int = 5_000
    airtable_contacts: int = 1_000
    events: int = 10_000
    history_interviews: int = 300
    recent_interviews: int = 30
    changed_events: int = 50
    ending_meetings: int = 200
    new_interviews_in_w3: int = 10


def _event(
    event_id: str,
    title: str,
    start: dt.datetime,
    guests: list[dict[str, Any]],
    description: str | None = None,
) -> dict[str, Any]:
    end = start + dt.timedelta(minutes=30)
    event: dict[str, Any] = {
        "id": event_id,
        "summary": title,
        "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
        "end": {"dateTime": end.isoformat(), "timeZone": ZONE},
        "attendees": [
            {"email": USER, "self": True, "organizer": True, "responseStatus": "accepted"},
            *guests,
        ],
    }
    if description is not None:
        event["description"] = description
    return event


def _guest(email: str, name: str) -> dict[str, Any]:
    return {"email": email, "displayName": name, "responseStatus": "accepted"}


def google_email(index: int) -> str:
    """The email of Google contact `index`."""
    return f"g{index:05d}@people.example"


def airtable_email(index: int) -> str:
    """The email of Airtable contact `index`."""
    return f"a{index:05d}@contacts.example"


def _google_person(index: int) -> dict[str, Any]:
    return {
        "resourceName": f"people/c{index:019d}",
        "names": [{"displayName": f"Gina {index}", "givenName": "Gina", "familyName": str(index)}],
        "emailAddresses": [{"value": google_email(index), "metadata": {"primary": True}}],
        "organizations": [{"name": "Example Corp", "title": "Engineer"}],
    }


def _airtable_contact(index: int) -> dict[str, Any]:
    return {
        "id": f"recBench{index:09d}",
        "fields": {
            "Name": f"Alex {index}",
            "Email": airtable_email(index),
            "Company": "Contacts Inc",
            "Stage": "Scheduled",
        },
    }


def _interview_guest(index: int) -> dict[str, Any]:
    """Even interviews meet an Airtable contact, odd ones a person known only to Google."""
    if index % 2 == 0:
        return _guest(airtable_email(index // 2), f"Alex {index // 2}")
    return _guest(google_email(index // 2), f"Gina {index // 2}")


NOTES = "Insight: start with the team's roadmap\nTODO: send the article on hiring loops"


def _interviews(now: dt.datetime, sizes: Sizes) -> list[dict[str, Any]]:
    events = []
    for i in range(sizes.history_interviews):  # ended 3 to 175 days before the first sync
        start = now - dt.timedelta(days=3 + (i * 172) / sizes.history_interviews, hours=2)
        events.append(_event(f"int{i:05d}", f"Coffee chat {i}", start, [_interview_guest(i)]))
    for j in range(sizes.recent_interviews):  # ended within the last day: full effects
        i = sizes.history_interviews + j
        start = now - dt.timedelta(hours=2 + j * 20 / sizes.recent_interviews)
        events.append(
            _event(f"int{i:05d}", f"Informational {i}", start, [_interview_guest(i)], NOTES)
        )
    return events


def _internal(now: dt.datetime, index: int, total: int) -> dict[str, Any]:
    """An internal meeting between 178 days ago and 20 days ahead."""
    start = now - dt.timedelta(days=178) + dt.timedelta(days=198 * index / total, minutes=7)
    colleague = f"colleague{index % 40}@work.example"
    return _event(f"evt{index:06d}", f"Team sync {index}", start, [_guest(colleague, "Colleague")])


def world_fixture(now: dt.datetime, sizes: Sizes) -> dict[str, Any]:
    """The sandbox fixture of W1."""
    interviews = _interviews(now, sizes)
    internal_count = sizes.events - len(interviews)
    events = interviews + [_internal(now, i, internal_count) for i in range(internal_count)]
    return {
        "now": now.isoformat(),
        "google": {
            "user": {"email": USER, "name": "Sam Seeker", "timeZone": ZONE},
            "calendars": {"primary": {"timeZone": ZONE, "events": events}},
            "contacts": [_google_person(i) for i in range(sizes.google_contacts)],
            "tasklists": [],
        },
        "airtable": {
            "base_id": BASE_ID,
            "token": AIRTABLE_TOKEN,
            "tables": [
                {
                    "name": "Contacts",
                    "fields": [dict(f) for f in CONTACT_FIELDS],
                    "records": [_airtable_contact(i) for i in range(sizes.airtable_contacts)],
                }
            ],
        },
    }


def future_internal_ids(now: dt.datetime, sizes: Sizes) -> list[str]:
    """Ids of internal meetings starting more than two days after `now` (W3 changes them)."""
    total = sizes.events - sizes.history_interviews - sizes.recent_interviews
    after = now + dt.timedelta(days=2)
    return [
        f"evt{i:06d}"
        for i in range(total)
        if dt.datetime.fromisoformat(_internal(now, i, total)["start"]["dateTime"]) > after
    ]


def w3_changes(now: dt.datetime, sizes: Sizes) -> list[tuple[str, dict[str, Any]]]:
    """(event id, changes): internal meetings renamed, some turned into interviews."""
    ids = future_internal_ids(now, sizes)[: sizes.changed_events]
    changes: list[tuple[str, dict[str, Any]]] = []
    for n, event_id in enumerate(ids):
        if n < sizes.new_interviews_in_w3:  # now a coffee chat with an Airtable contact
            guest = _guest(airtable_email(900 + n), f"Alex {900 + n}")
            me = {"email": USER, "self": True, "organizer": True, "responseStatus": "accepted"}
            changes.append((event_id, {"summary": f"Coffee chat W3 {n}", "attendees": [me, guest]}))
        else:
            changes.append((event_id, {"summary": f"Team sync (moved) {n}"}))
    return changes


def w4_meetings(end: dt.datetime, sizes: Sizes) -> list[dict[str, Any]]:
    """Interviews that all end at `end`, each with a different Airtable contact and notes."""
    start = end - dt.timedelta(minutes=30)
    return [
        _event(
            f"w4int{i:05d}",
            f"Career chat {i}",
            start,
            [_guest(airtable_email(500 + i), f"Alex {500 + i}")],
            NOTES,
        )
        for i in range(sizes.ending_meetings)
    ]
