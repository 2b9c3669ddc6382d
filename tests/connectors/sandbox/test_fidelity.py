"""Fidelity: the sandbox's Google responses fit the discovery documents' schemas, bad requests get
real statuses and error shapes (never a 500), the demo fixture is what the issue describes, and
the sandbox command serves it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.request
from email.message import EmailMessage
from typing import Any

import pytest

from connectors.sandbox.fixture import DEMO_FIXTURE, load_fixture
from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.discovery_schema import problems, response_schema
from tests.connectors.sandbox.helpers import Receiver, call, service

DOCS = {"calendar": "calendar.v3", "people": "people.v1", "gmail": "gmail.v1", "tasks": "tasks.v1"}


def fits(api: str, method_id: str, value: Any) -> None:
    found = problems(DOCS[api], response_schema(DOCS[api], method_id), value)
    assert found == [], found


def _raw() -> str:
    message = EmailMessage()
    message["To"] = "Ada <ada@analytical.example>"
    message["Subject"] = "Thank you"
    message["Message-ID"] = "<thank-you:evt:2026@followthrough.local>"
    message.set_content("Thanks!")
    message.add_alternative("<p>Thanks!</p>", subtype="html")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


@pytest.fixture
def demo(sandbox_factory: Any) -> Sandbox:
    return sandbox_factory(DEMO_FIXTURE)


def test_calendar_responses_fit_the_schema(demo: Sandbox) -> None:
    cal = service(demo, "calendar")
    fits("calendar", "calendar.calendars.get", cal.calendars().get(calendarId="primary").execute())
    for single in (True, False):
        listing = (
            cal.events().list(calendarId="primary", singleEvents=single, showDeleted=True).execute()
        )
        fits("calendar", "calendar.events.list", listing)
    first = listing["items"][0]["id"]
    fits(
        "calendar",
        "calendar.events.get",
        cal.events().get(calendarId="primary", eventId=first).execute(),
    )
    demo.cancel_event(first)
    changes = cal.events().list(calendarId="primary", syncToken=listing["nextSyncToken"]).execute()
    fits("calendar", "calendar.events.list", changes)
    receiver = Receiver()
    try:
        channel = (
            cal.events()
            .watch(
                calendarId="primary", body={"id": "c1", "type": "web_hook", "address": receiver.url}
            )
            .execute()
        )
        fits("calendar", "calendar.events.watch", channel)
    finally:
        receiver.close()


def test_people_responses_fit_the_schema(demo: Sandbox) -> None:
    people = service(demo, "people")
    fields = "names,emailAddresses,organizations,metadata"
    full = (
        people.people()
        .connections()
        .list(resourceName="people/me", personFields=fields, requestSyncToken=True)
        .execute()
    )
    fits("people", "people.people.connections.list", full)
    names = [p["resourceName"] for p in full["connections"]]
    demo.delete_contact(names[0])
    demo.rename_contact(names[1], "people/c999999")
    changes = (
        people.people()
        .connections()
        .list(
            resourceName="people/me",
            personFields=fields,
            syncToken=full["nextSyncToken"],
            requestSyncToken=True,
        )
        .execute()
    )
    assert len(changes["connections"]) == 2
    fits("people", "people.people.connections.list", changes)


def test_gmail_responses_fit_the_schema(demo: Sandbox) -> None:
    drafts = service(demo, "gmail").users().drafts()
    created = drafts.create(userId="me", body={"message": {"raw": _raw()}}).execute()
    fits("gmail", "gmail.users.drafts.create", created)
    for form in ("full", "raw", "metadata", "minimal"):
        fits(
            "gmail",
            "gmail.users.drafts.get",
            drafts.get(userId="me", id=created["id"], format=form).execute(),
        )
    fits("gmail", "gmail.users.drafts.list", drafts.list(userId="me").execute())
    fits(
        "gmail",
        "gmail.users.drafts.update",
        drafts.update(userId="me", id=created["id"], body={"message": {"raw": _raw()}}).execute(),
    )


def test_tasks_responses_fit_the_schema(demo: Sandbox) -> None:
    tasks = service(demo, "tasks")
    created = tasks.tasklists().insert(body={"title": "Followthrough"}).execute()
    fits("tasks", "tasks.tasklists.insert", created)
    fits("tasks", "tasks.tasklists.list", tasks.tasklists().list().execute())
    task = (
        tasks.tasks()
        .insert(
            tasklist=created["id"],
            body={"title": "Send notes", "notes": "n", "due": "2026-03-04T00:00:00Z"},
        )
        .execute()
    )
    fits("tasks", "tasks.tasks.insert", task)
    fits(
        "tasks",
        "tasks.tasks.patch",
        tasks.tasks()
        .patch(tasklist=created["id"], task=task["id"], body={"status": "completed"})
        .execute(),
    )
    fits("tasks", "tasks.tasks.list", tasks.tasks().list(tasklist=created["id"]).execute())


BAD_REQUESTS = [
    ("GET", "/calendar/v3/calendars/nope/events", None, 404),
    ("GET", "/calendar/v3/calendars/primary/events?maxResults=-1", None, 400),
    ("GET", "/calendar/v3/calendars/primary/events?pageToken=bogus", None, 400),
    ("GET", "/calendar/v3/calendars/primary/events?timeMin=yesterday", None, 400),
    (
        "GET",
        "/calendar/v3/calendars/primary/events?timeMin=2026-03-02T00:00:00Z&timeMax=2026-03-01T00:00:00Z",
        None,
        400,
    ),
    ("GET", "/calendar/v3/calendars/primary/events?orderBy=startTime", None, 400),
    ("GET", "/calendar/v3/calendars/primary/events?singleEvents=maybe", None, 400),
    ("POST", "/calendar/v3/calendars/primary/events/watch", {"type": "web_hook"}, 400),
    ("POST", "/calendar/v3/channels/stop", b"[1, 2", 400),
    ("GET", "/v1/people/me/connections?personFields=names&pageSize=5000", None, 400),
    ("GET", "/v1/people/me/connections?personFields=shoeSize", None, 400),
    ("GET", "/v1/people/me/connections?personFields=names&syncToken=junk", None, 400),
    ("GET", "/v1/people/me/connections?personFields=names&pageSize=ten", None, 400),
    ("GET", "/gmail/v1/users/someone@else.example/drafts", None, 403),
    ("GET", "/gmail/v1/users/me/drafts/r404", None, 404),
    ("PUT", "/gmail/v1/users/me/drafts/r404", {"message": {"raw": "eA"}}, 404),
    ("POST", "/gmail/v1/users/me/drafts", {"message": {"raw": 5}}, 400),
    ("GET", "/gmail/v1/users/me/drafts?pageToken=bogus", None, 400),
    ("POST", "/tasks/v1/lists/@default/tasks", {"title": "x", "due": "soon"}, 400),
    ("POST", "/tasks/v1/lists/@default/tasks", {"title": "x", "status": "doing"}, 400),
    ("POST", "/tasks/v1/lists/@default/tasks", [1], 400),
    ("GET", "/tasks/v1/lists/nope/tasks", None, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BAD_REQUESTS)
def test_bad_requests_get_real_statuses_and_googles_error_shape(
    sandbox: Sandbox, method: str, path: str, body: Any, status: int
) -> None:
    got, answer = call(sandbox, method, path, body)
    assert got == status, answer
    assert answer["error"]["code"] == status and answer["error"]["message"]


def test_the_demo_fixture_has_the_cases_the_demo_shows() -> None:
    data = load_fixture(DEMO_FIXTURE)
    google_emails = {e["value"] for p in data["google"]["contacts"] for e in p["emailAddresses"]}
    [contacts] = [t for t in data["airtable"]["tables"] if t["name"] == "Contacts"]
    airtable_emails = {r["fields"]["Email"] for r in contacts["records"]}
    names = {p["names"][0]["displayName"] for p in data["google"]["contacts"]} | {
        r["fields"]["Name"] for r in contacts["records"]
    }
    assert 25 <= len(names) <= 35
    assert google_emails & airtable_emails  # some contacts in both
    assert "maya.patel@gmail.com" in google_emails and "mayapatel@gmail.com" in airtable_emails
    assert any(len(p["emailAddresses"]) > 1 for p in data["google"]["contacts"])
    events = data["google"]["calendars"]["primary"]["events"]
    assert any("recurrence" in e for e in events) and any("date" in e["start"] for e in events)
    assert any(e.get("status") == "cancelled" for e in events)
    assert any(
        a.get("responseStatus") == "declined" for e in events for a in e.get("attendees", [])
    )
    assert (
        sum(
            "Insight:" in e.get("description", "") and "TODO:" in e.get("description", "")
            for e in events
        )
        >= 3
    )


def test_the_sandbox_command_serves_a_fixture() -> None:
    command = [
        sys.executable,
        "-m",
        "connectors.sandbox",
        "--fixture",
        str(DEMO_FIXTURE),
        "--port",
        "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        info = json.loads("".join(lines))
        request = urllib.request.Request(
            info["url"] + "/calendar/v3/calendars/primary",
            headers={"Authorization": f"Bearer {info['google_credentials']['token']}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["timeZone"] == "America/New_York"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_an_access_token_from_the_credentials_is_accepted(sandbox: Sandbox) -> None:
    assert (
        call(
            sandbox, "GET", "/tasks/v1/users/@me/lists", token=sandbox.google_credentials()["token"]
        )[0]
        == 200
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"now": "not a time"},
        {"google": {"calendars": {"primary": {"events": [{"id": "x"}]}}}},
        {"google": {"contacts": [{"resourceName": "c1"}]}},
        {"airtable": {"tables": [{"name": "T", "records": [{"id": "x1", "fields": {}}]}]}},
    ],
)
def test_a_malformed_fixture_is_refused_with_a_message_naming_the_part(broken: Any) -> None:
    from connectors.sandbox.fixture import FixtureError

    with pytest.raises(FixtureError, match=r"invalid sandbox fixture|not an ISO datetime"):
        load_fixture(broken)


def test_an_unsupported_recurrence_is_refused_up_front(sandbox: Sandbox) -> None:
    from connectors.sandbox.fixture import FixtureError
    from connectors.sandbox.recurrence import RecurrenceError

    monthly = {
        "start": {"dateTime": "2026-03-02T10:00:00Z"},
        "end": {"dateTime": "2026-03-02T11:00:00Z"},
        "recurrence": ["RRULE:FREQ=MONTHLY"],
    }
    with pytest.raises((FixtureError, RecurrenceError)):
        load_fixture({"google": {"calendars": {"primary": {"events": [monthly]}}}})
    with pytest.raises(RecurrenceError):
        sandbox.add_event(monthly)
