"""The failure suite's world: N informational interviews that ended today, and what they owe.

    world = FailureWorld(n=200)
    world.fixture()        -> the sandbox fixture (the first `n - late` interviews)
    world.late_events()    -> interviews that show up on the calendar while the service runs
    world.expected()       -> the drafts, Thank-you and Action item keys a correct run leaves

Even interviews meet a contact already in Airtable, odd ones a person known only to Google
Contacts (added to Airtable by the service). Interview `i` promises `i % 3` things (TODO
lines), so the Action items differ from meeting to meeting. Every tenth interviewee (an
Airtable contact) also has Draft Ask ticked, so each owes one ask draft and one Ask follow-up.
Every tenth interview (`i % 10 == 4`) meets someone Person 0 introduced (their `Referred By`):
Person 0 is thanked for each, a draft and a Thank introducer follow-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.fixture import CONTACT_FIELDS
from workflows.asks import ask_key
from workflows.rules.keys import action_key, draft_key, instant_text, message_id, thank_you_key

ZONE = "America/New_York"
USER = "sam.seeker@example.com"
NOW = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
"""The frozen clock of the run: every interview ended between 20 hours and 25 minutes before."""


@dataclass(frozen=True)
class Expected:
    """What the user must find at the end, as sets of keys (one of each, nothing else)."""

    draft_message_ids: frozenset[str]
    thank_you_keys: frozenset[str]
    action_keys: frozenset[str]
    contact_emails: frozenset[str]
    ask_keys: frozenset[str] = frozenset()
    introducer_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FailureWorld:
    """`n` interviews, of which the last `late` are added to the calendar during the run."""

    n: int
    late: int = 0

    def event_id(self, index: int) -> str:
        """Interview `index`'s Calendar event id (base32hex, as Google's)."""
        return f"failint{index:05d}"

    def start(self, index: int) -> dt.datetime:
        """When interview `index` started: spread over the 20 hours before NOW."""
        spread = dt.timedelta(hours=19) * index / max(self.n, 1)
        return NOW - dt.timedelta(hours=20) + spread

    def email(self, index: int) -> str:
        """The interviewee's email: Airtable contacts for even, Google-only for odd interviews."""
        domain = "airtable.example" if index % 2 == 0 else "google.example"
        return f"person{index:05d}@{domain}"

    def record_id(self, index: int) -> str:
        """The Airtable Contacts record of interviewee `index` (even indices only)."""
        return f"recFail{index:010d}"

    def asked(self, index: int) -> bool:
        """Whether the user ticked Draft Ask for interviewee `index` (every tenth)."""
        return index % 10 == 0

    def todos(self, index: int) -> list[str]:
        """The promises interview `index` made (0, 1 or 2)."""
        return [f"send resource {index}-{k}" for k in range(index % 3)]

    def event(self, index: int) -> dict[str, Any]:
        """The Calendar event of interview `index`."""
        start = self.start(index)
        notes = [f"Insight: lesson number {index}", *(f"TODO: {t}" for t in self.todos(index))]
        return {
            "id": self.event_id(index),
            "summary": f"Informational interview {index}",
            "description": "\n".join(notes),
            "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
            "end": {"dateTime": (start + dt.timedelta(minutes=30)).isoformat(), "timeZone": ZONE},
            "attendees": [
                {"email": USER, "self": True, "organizer": True, "responseStatus": "accepted"},
                {
                    "email": self.email(index),
                    "displayName": f"Person {index}",
                    "responseStatus": "accepted",
                },
            ],
        }

    def late_events(self) -> list[dict[str, Any]]:
        """The interviews the user adds to the calendar while the service runs."""
        return [self.event(i) for i in range(self.n - self.late, self.n)]

    def fixture(self) -> dict[str, Any]:
        """The sandbox fixture: the user, the early interviews, both kinds of contacts."""
        events = [self.event(i) for i in range(self.n - self.late)]
        return {
            "now": NOW.isoformat(),
            "google": {
                "user": {"email": USER, "name": "Sam Seeker", "timeZone": ZONE},
                "calendars": {"primary": {"timeZone": ZONE, "events": events}},
                "contacts": [self._google_person(i) for i in range(1, self.n, 2)],
                "tasklists": [],
            },
            "airtable": {
                "base_id": "appFailureBase001",
                "token": "patFailure.token000000000000000000000000000000",
                "tables": [
                    {
                        "name": "Contacts",
                        "fields": [dict(f) for f in CONTACT_FIELDS],
                        "records": [self._airtable_contact(i) for i in range(0, self.n, 2)],
                    }
                ],
            },
        }

    def expected(self) -> Expected:
        """The exact effects of a correct run."""
        starts = {i: self.start(i) for i in range(self.n)}
        drafts = {message_id(draft_key(self.event_id(i), s)) for i, s in starts.items()}
        thanks = {thank_you_key(self.event_id(i), s) for i, s in starts.items()}
        actions = {
            action_key(self.event_id(i), s, todo)
            for i, s in starts.items()
            for todo in self.todos(i)
        }
        emails = {self.email(i) for i in range(self.n)}
        asks = {ask_key(self.record_id(i), 0) for i in range(0, self.n, 2) if self.asked(i)}
        drafts |= {message_id(key) for key in asks}
        introduced = {
            f"{self.event_id(i)}:{instant_text(s)}" for i, s in starts.items() if self.introduced(i)
        }
        drafts |= {message_id(f"introducer:{moment}") for moment in introduced}
        return Expected(
            frozenset(drafts),
            frozenset(thanks),
            frozenset(actions),
            frozenset(emails),
            frozenset(asks),
            frozenset(f"thank-introducer:{moment}" for moment in introduced),
        )

    def introduced(self, index: int) -> bool:
        """Whether interview `index` meets someone Person 0 introduced."""
        return index % 10 == 4

    def _google_person(self, index: int) -> dict[str, Any]:
        return {
            "resourceName": f"people/c{index:010d}",
            "names": [
                {"displayName": f"Person {index}", "givenName": "Person", "familyName": str(index)}
            ],
            "emailAddresses": [{"value": self.email(index), "metadata": {"primary": True}}],
            "organizations": [{"name": "Google-only Corp", "title": "Engineer"}],
        }

    def _airtable_contact(self, index: int) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "Name": f"Person {index}",
            "Email": self.email(index),
            "Company": "Airtable Inc",
            "Stage": "Scheduled",
            **({"Referred By": [f"recFail{0:010d}"]} if self.introduced(index) else {}),
        }
        if self.asked(index):
            fields |= {"Draft Ask": True, "Why Them": f"your work on project {index}"}
        return {"id": self.record_id(index), "fields": fields}
