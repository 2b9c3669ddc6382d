"""The demo's brief and reschedule: the user's part in them (issue 14, items 2 and 3).

The user tells Followthrough why they chose Sofia Rossi and who introduced her, then, on the
morning of their conversation, opens its brief in Airtable: the demo prints it in full. Aisha
Mohammed declined her interview before the demo begins; the Reschedule follow-up a day later
needs nothing of the user and shows among the pass's follow-ups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.airtable.tables import Contacts, Meetings
from connectors.sandbox.server import Sandbox
from service.demo.script import Act, UserAction

SOFIA_EVENT = "kvpfupe2n9f750gdj6adkff8rn"
SOFIA = "sofia.rossi@spotify.example"
WHY_SOFIA = (
    "She moved from product analytics into ML engineering at Spotify, the move I want to make"
)
READ_BEFORE = dt.timedelta(hours=3)


def brief_actions(sandbox: Sandbox, start: dt.datetime) -> list[UserAction]:
    """Fill in Why Them for Sofia at the start (who introduced her: service.demo.updates); read
    her brief before you meet."""
    event = next((e for e in sandbox.events() if e["id"] == SOFIA_EVENT), None)
    if event is None or "dateTime" not in event.get("start", {}):
        return []
    begins = dt.datetime.fromisoformat(event["start"]["dateTime"])
    return [
        UserAction(start + dt.timedelta(minutes=30), _why_sofia),
        UserAction(begins - READ_BEFORE, _read_brief(SOFIA_EVENT)),
    ]


def _why_sofia(sandbox: Sandbox) -> str | None:
    rows = {r["fields"].get(Contacts.EMAIL): r for r in sandbox.airtable.records(Contacts.TABLE)}
    sofia = rows.get(SOFIA)
    if sofia is None:
        return None
    cells: dict[str, Any] = {Contacts.WHY_THEM: WHY_SOFIA}
    sandbox.airtable.update_record(Contacts.TABLE, sofia["id"], cells)
    return "fill in Sofia Rossi's Why Them in Airtable"


def _read_brief(event_id: str) -> Act:
    def act(sandbox: Sandbox) -> str | None:
        row = next(
            (
                r["fields"]
                for r in sandbox.airtable.records(Meetings.TABLE)
                if r["fields"].get(Meetings.EVENT_ID) == event_id
            ),
            None,
        )
        if row is None or not row.get(Meetings.BRIEF):
            return None
        lines = str(row[Meetings.BRIEF]).rstrip("\n").split("\n")
        shown = "\n".join(f"│ {line}" for line in lines)
        return f"open the Brief of “{row.get(Meetings.TITLE)}” in Airtable:\n{shown}"

    return act
