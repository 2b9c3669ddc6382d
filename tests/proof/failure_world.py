"""The failure suite's world: N informational interviews that ended today, and what they owe.

    world = FailureWorld(n=200)
    world.fixture()        -> the sandbox fixture (the first `n - late` interviews)
    world.late_events()    -> interviews that show up on the calendar while the service runs
    world.expected()       -> the drafts, Thank-you and Action item keys a correct run leaves
    FailureWorld(n=10, tag="acct07") -> another account's world: its own names, emails, ids,
                              user, base and token

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
    """`n` interviews, of which the last `late` are added to the calendar during the run.

    `tag` (lowercase letters and digits) sets one world apart from another's: it goes into
    every name, email, id and the user's own address, so that anything of this world found
    in another account's Gmail or base is plainly misrouted. The empty tag is the one-account
    world.
    """

    n: int
    late: int = 0
    tag: str = ""

    @property
    def domain(self) -> str:
        """The mail domain of this world's contacts: every contact's email ends with it."""
        return f"{self.tag}.example" if self.tag else "example"

    @property
    def user(self) -> str:
        """The job seeker's own address."""
        return f"sam.seeker@{self.tag}.example" if self.tag else "sam.seeker@example.com"

    @property
    def base_id(self) -> str:
        """The id of the world's Airtable base."""
        return f"appFailure{self.tag or 'Base001'}".ljust(17, "0")

    @property
    def airtable_token(self) -> str:
        """The personal access token of the world's base."""
        return f"patFailure{self.tag}.token".ljust(46, "0")

    def event_id(self, index: int) -> str:
        """Interview `index`'s Calendar event id (base32hex, as Google's)."""
        return f"fail{self.tag}int{index:05d}"

    def name(self, index: int) -> str:
        """Interviewee `index`'s name."""
        return f"Person {index} {self.tag.upper()}".rstrip()

    def start(self, index: int) -> dt.datetime:
        """When interview `index` started: spread over the 20 hours before NOW."""
        spread = dt.timedelta(hours=19) * index / max(self.n, 1)
        return NOW - dt.timedelta(hours=20) + spread

    def email(self, index: int) -> str:
        """The interviewee's email: Airtable contacts for even, Google-only for odd interviews."""
        kind = "airtable" if index % 2 == 0 else "google"
        return f"person{index:05d}@{kind}.{self.domain}"

    def record_id(self, index: int) -> str:
        """The Airtable Contacts record of interviewee `index` (even indices only)."""
        return f"recFail{self.tag}{index:0{10 - len(self.tag)}d}"

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
                {"email": self.user, "self": True, "organizer": True, "responseStatus": "accepted"},
                {
                    "email": self.email(index),
                    "displayName": self.name(index),
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
                "user": {"email": self.user, "name": "Sam Seeker", "timeZone": ZONE},
                "calendars": {"primary": {"timeZone": ZONE, "events": events}},
                "contacts": [self._google_person(i) for i in range(1, self.n, 2)],
                "tasklists": [],
            },
            "airtable": {
                "base_id": self.base_id,
                "token": self.airtable_token,
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
                {
                    "displayName": self.name(index),
                    "givenName": "Person",
                    "familyName": self.name(index).removeprefix("Person "),
                }
            ],
            "emailAddresses": [{"value": self.email(index), "metadata": {"primary": True}}],
            "organizations": [{"name": "Google-only Corp", "title": "Engineer"}],
        }

    def _airtable_contact(self, index: int) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "Name": self.name(index),
            "Email": self.email(index),
            "Company": "Airtable Inc",
            "Stage": "Scheduled",
            **({"Referred By": [self.record_id(0)]} if self.introduced(index) else {}),
        }
        if self.asked(index):
            fields |= {"Draft Ask": True, "Why Them": f"your work on project {index}"}
        return {"id": self.record_id(index), "fields": fields}
