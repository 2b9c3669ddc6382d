"""Small sandbox worlds for whole-pass workflow tests, and what a user would look at in them.

fixture = world(events=[meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(...)])])
sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
runtime = fast(make_runtime(sandbox, now=...), sandbox)
clean_pass(runtime); clean_pass(runtime, at(2026, 3, 2, 12))   # a pass, then one at noon
rows(sandbox, "Follow-ups"), drafts(sandbox), contact(sandbox, "ada@x.example")
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter
from connectors.airtable.schema import init_schema
from connectors.google.client import GoogleClient
from connectors.google.consent import requested_scopes
from connectors.policy import FAST_POLICY
from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from workflows.passes import PassReport, run_once
from workflows.rules.clock import Clock
from workflows.runtime import Runtime

NEW_YORK = "America/New_York"
NY = ZoneInfo(NEW_YORK)
USER = "sam.seeker@example.com"
FAST_AIRTABLE = 1000.0  # requests a second the sandbox allows: no waiting in tests


def base_client(sandbox: Sandbox) -> AirtableClient:
    """An Airtable client of the sandbox's base, as a test uses it (fast retries)."""
    return AirtableClient(
        sandbox.airtable_token,
        sandbox.airtable_base_id,
        endpoint=sandbox.url,
        policy=FAST_POLICY,
        limiter=LocalRateLimiter(),
    )


def init_base(sandbox: Sandbox) -> AirtableClient:
    """Create the tables Followthrough needs in the sandbox's base (`airtable init`); the
    client that did."""
    client = base_client(sandbox)
    init_schema(client)
    return client


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A wall-clock instant in New York (the default user's zone)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def me(response: str = "accepted", email: str = USER) -> dict[str, Any]:
    """The user's own attendee entry."""
    return {"email": email, "self": True, "organizer": True, "responseStatus": response}


def guest(email: str, name: str = "", response: str = "accepted") -> dict[str, Any]:
    """Another attendee."""
    entry: dict[str, Any] = {"email": email, "responseStatus": response}
    if name:
        entry["displayName"] = name
    return entry


def meeting(
    event_id: str,
    title: str,
    start: dt.datetime,
    *,
    minutes: int = 30,
    attendees: list[dict[str, Any]] | None = None,
    description: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A timed Google Calendar event resource (the user plus `attendees`)."""
    end = start + dt.timedelta(minutes=minutes)
    event: dict[str, Any] = {
        "id": event_id,
        "summary": title,
        "start": {"dateTime": start.isoformat(), "timeZone": NEW_YORK},
        "end": {"dateTime": end.isoformat(), "timeZone": NEW_YORK},
        "attendees": [me(), *(attendees or [])],
    }
    if description is not None:
        event["description"] = description
    event.update(extra)
    return event


def google_person(
    resource: str,
    name: str,
    *emails: str,
    company: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """A People API person resource."""
    given, _, family = name.partition(" ")
    person: dict[str, Any] = {
        "resourceName": resource,
        "names": [{"displayName": name, "givenName": given, "familyName": family}],
        "emailAddresses": [{"value": e} for e in emails],
    }
    if company or title:
        person["organizations"] = [{"name": company or "", "title": title or ""}]
    return person


def airtable_contact(record_id: str, **fields: Any) -> dict[str, Any]:
    """An Airtable Contacts record; keyword names use `_` for spaces (Update_Every_days...)."""
    names = {
        "Update_Every_days": "Update Every (days)",
        "Last_Met": "Last Met",
        "Next_Update_Due": "Next Update Due",
    }
    return {"id": record_id, "fields": {names.get(k, k): v for k, v in fields.items()}}


def world(
    *,
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
    contacts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    airtable: list[dict[str, Any]] = (),  # type: ignore[assignment]
    time_zone: str = NEW_YORK,
    contact_fields: list[dict[str, Any]] | None = None,
    user: str = USER,
) -> dict[str, Any]:
    """A sandbox fixture: the user, a calendar of `events`, Google `contacts`, Airtable Contacts."""
    return {
        "google": {
            "user": {"email": user, "name": "Sam Seeker", "timeZone": time_zone},
            "calendars": {"primary": {"timeZone": time_zone, "events": list(events)}},
            "contacts": list(contacts),
            "tasklists": [],
        },
        "airtable": {
            "base_id": "appSandboxBase001",
            "token": "patSandbox.token0000000000000000000000000000",
            "tables": [
                {
                    "name": "Contacts",
                    "fields": contact_fields or [dict(f) for f in CONTACT_FIELDS],
                    "records": list(airtable),
                }
            ],
        },
    }


def fast(runtime: Runtime, sandbox: Sandbox) -> Runtime:
    """The runtime with an Airtable client that does not pace itself (the sandbox allows it)."""
    runtime.airtable = AirtableClient(
        sandbox.airtable_token,
        sandbox.airtable_base_id,
        endpoint=sandbox.url,
        policy=FAST_POLICY,
        limiter=LocalRateLimiter(rate=int(FAST_AIRTABLE)),
        penalty_seconds=0.1,
    )
    return runtime


def grant_mail_scope(runtime: Runtime, sandbox: Sandbox, folder: Path) -> None:
    """The user also granted the optional gmail.metadata scope (credentials kept in `folder`)."""
    granted = folder / "google-mail.json"
    granted.write_text(
        json.dumps(sandbox.google_credentials(list(requested_scopes(mail_metadata=True))))
    )
    granted.chmod(0o600)
    runtime.google = GoogleClient(granted, endpoint=sandbox.url, policy=FAST_POLICY)


def set_now(runtime: Runtime, when: dt.datetime) -> None:
    """Step the one clock to `when`."""
    runtime.clock = Clock.frozen_at(when)


def clean_pass(runtime: Runtime, when: dt.datetime | None = None) -> PassReport:
    """One pass (at `when`, if given) that must go through without a failure."""
    if when is not None:
        set_now(runtime, when)
    report = run_once(runtime)
    assert report.ok, report.failures
    return report


def rows(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    """The fields of every record of an Airtable table."""
    return [r["fields"] for r in sandbox.airtable.records(table)]


def contact(sandbox: Sandbox, email: str) -> dict[str, Any]:
    """The one Contacts row with this email (exact)."""
    found = [c for c in rows(sandbox, "Contacts") if c.get("Email") == email]
    assert len(found) == 1, (email, rows(sandbox, "Contacts"))
    return found[0]


def drafts(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The Gmail drafts the user sees (not the ones already sent)."""
    return [d for d in sandbox.drafts() if not d.get("sent")]


def followups(sandbox: Sandbox, kind: str | None = None) -> list[dict[str, Any]]:
    """The Follow-ups rows (of one Kind)."""
    return [f for f in rows(sandbox, "Follow-ups") if kind is None or f.get("Kind") == kind]


def meetings_by_event(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """The Meetings rows by Event ID."""
    return {m["Event ID"]: m for m in rows(sandbox, "Meetings")}


def chats_with_new_people(count: int) -> dict[str, Any]:
    """A world where `count` coffee chats with people nobody knows yet ended on 2 March at 9:30
    (events evt00, evt01...; guests p00@guests.example...)."""
    people = [guest(f"p{i:02d}@guests.example", f"Guest {i:02d}") for i in range(count)]
    events = [
        meeting(f"evt{i:02d}", "Coffee chat", at(2026, 3, 2, 9), attendees=[person])
        for i, person in enumerate(people)
    ]
    return world(events=events)


def meeting_record_id(sandbox: Sandbox, event_id: str) -> str:
    """The record id of the Meetings row of `event_id`."""
    return next(
        r["id"] for r in sandbox.airtable.records("Meetings") if r["fields"]["Event ID"] == event_id
    )
