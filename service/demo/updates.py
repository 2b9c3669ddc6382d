"""The demo's part of progress updates and introductions: what the user does so that a
milestone brings an update forward and an introduction is thanked.

The user records that Priya Raman introduced them to Sofia Rossi (Sofia's `Referred By`),
notes an insight during the talk with Sofia, marks a promise to Marcus Done and records a
milestone that came from his advice. The passes then write Marcus's update (a reply in the
thank-you's thread, within two days of the milestone) and the thank-you to Priya; the account
prints both drafts in full (`draft_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connectors.airtable.tables import Contacts, FollowUps, Milestones
from connectors.sandbox.server import Sandbox

Act = Callable[[Sandbox], "str | None"]

MARCUS = "marcus.oyelaran@gmail.com"
PRIYA = "priya.raman@stripe.example"
SOFIA = "sofia.rossi@spotify.example"
SOFIA_EVENT = "kvpfupe2n9f750gdj6adkff8rn"
SOFIA_INSIGHT = "Insight: a strong SQL portfolio is the best way into ML engineering"
MILESTONE = "Rewrote my portfolio case study to show the messy middle"
KEPT = "Send Marcus my revised portfolio case study"


def update_actions(sandbox: Sandbox, start: dt.datetime) -> list[tuple[dt.datetime, Act]]:
    """The user's part in the demo's progress update and introduction, each with when it is
    done (none in a world without these people)."""
    if _contact(sandbox, SOFIA) is None or _contact(sandbox, MARCUS) is None:
        return []
    news_at = start + dt.timedelta(days=7, hours=1)
    return [
        (start + dt.timedelta(hours=1), _introduced(SOFIA, PRIYA)),
        (news_at, _promise_kept_and_milestone(news_at.date())),
        (start + dt.timedelta(days=14, hours=6, minutes=30), _notes_during(SOFIA_EVENT)),
    ]


def draft_lines(result: Any) -> list[str] | None:
    """A progress update's or an introducer thank-you's draft, whole, as the account shows it:
    the recipient and subject, then every line of the body; None for other results."""
    subject, body = getattr(result, "subject", ""), getattr(result, "body", "")
    if not (subject and body and hasattr(result, "to")):
        return None
    return [f"to {result.to}: “{subject}”", *body.replace("\r\n", "\n").rstrip("\n").split("\n")]


def _introduced(email: str, introducer: str) -> Act:
    def act(sandbox: Sandbox) -> str | None:
        row, by = _contact(sandbox, email), _contact(sandbox, introducer)
        if row is None or by is None:
            return None
        sandbox.airtable.update_record(
            Contacts.TABLE, row["id"], {Contacts.REFERRED_BY: [by["id"]]}
        )
        names = (row["fields"].get(Contacts.NAME), by["fields"].get(Contacts.NAME))
        return f"note in Airtable that {names[1]} introduced you to {names[0]} (Referred By)"

    return act


def _promise_kept_and_milestone(day: dt.date) -> Act:
    def act(sandbox: Sandbox) -> str | None:
        marcus = _contact(sandbox, MARCUS)
        rows = sandbox.airtable.records(FollowUps.TABLE)
        promise = next((r for r in rows if r["fields"].get(FollowUps.TITLE) == KEPT), None)
        if marcus is None or promise is None:
            return None
        sandbox.airtable.update_record(FollowUps.TABLE, promise["id"], {FollowUps.STATUS: "Done"})
        milestone = {
            Milestones.WHAT: MILESTONE,
            Milestones.DATE: day.isoformat(),
            Milestones.CONTACTS: [marcus["id"]],
        }
        sandbox.airtable.create_record(Milestones.TABLE, milestone)
        return f"mark “{KEPT}” Done, and add the milestone “{MILESTONE}” linked to Marcus"

    return act


def _notes_during(event_id: str) -> Act:
    def act(sandbox: Sandbox) -> str | None:
        event = next((e for e in sandbox.events() if e.get("id") == event_id), None)
        if event is None:
            return None
        notes = f"{event.get('description') or ''}\n{SOFIA_INSIGHT}".strip()
        sandbox.update_event(event_id, {"description": notes})
        return f"note an insight in “{event.get('summary')}” during the talk"

    return act


def _contact(sandbox: Sandbox, email: str) -> dict[str, Any] | None:
    rows = sandbox.airtable.records(Contacts.TABLE)
    return next((r for r in rows if r["fields"].get(Contacts.EMAIL) == email), None)
