"""What the demo's user does between passes: the changes a person makes in their own tools.

The demo fixture tells a story (connectors/sandbox/fixtures/demo.json); these actions play
the user's part in it through the sandbox's control API, as someone would in Gmail, Airtable
and Google Calendar: send a thank-you draft from Gmail (the contact answers it the next
morning; the user ticks nothing: the mail pass notices both), tick a progress update, add
notes to a meeting in Airtable after its draft exists, and move an interview the contact
asked to move. Each action finds its target when it runs; in a world without that target
(another fixture) it does nothing and says so by returning None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.airtable.tables import FollowUps, Meetings
from connectors.sandbox.server import Sandbox

MARCUS_EVENT = "86ui92j35fn5dkqf73f2jj2qpo"
TOMAS_EVENT = "6jhqt3jm1lt6t03jv2suhbo5er"
GRACE_EVENT = "4vje3t83vnab7k67f9go1snlm2"

MARCUS_REPLY = (
    "Thanks, Sam! Great talking with you. Send the case study whenever it's ready; "
    "Keiko is expecting your note.\n\nMarcus"
)
TOMAS_NOTES = (
    "Insight: Shopify's Rails scale work is mostly about job queues and database sharding.\n"
    "TODO: send Tomás my write-up of our Sidekiq migration"
)

Act = Callable[[Sandbox], "str | None"]


@dataclass(frozen=True)
class UserAction:
    """One thing the user does at `at`; `act` returns what was done, or None if nothing was."""

    at: dt.datetime
    act: Act


def demo_actions(sandbox: Sandbox, start: dt.datetime) -> list[UserAction]:
    """The user's part in the demo fixture's story, in time order."""
    sent, answered = start + dt.timedelta(hours=4), start + dt.timedelta(hours=26)
    actions = [
        UserAction(sent, send_thank_you(MARCUS_EVENT, sent)),
        UserAction(answered, contact_replies(MARCUS_EVENT, answered)),
        UserAction(start + dt.timedelta(hours=25), tick_first_progress_update),
    ]
    tomas = _event(sandbox, TOMAS_EVENT)
    if tomas is not None:
        ended = _when(tomas["end"])
        actions.append(
            UserAction(ended + dt.timedelta(hours=6, minutes=30), add_notes(TOMAS_EVENT))
        )
    grace = _event(sandbox, GRACE_EVENT)
    if grace is not None:
        begins = _when(grace["start"])
        actions.append(
            UserAction(begins - dt.timedelta(days=2, hours=1), move_by_a_day(GRACE_EVENT))
        )
    return sorted(actions, key=lambda a: a.at)


def send_thank_you(event_id: str, at: dt.datetime) -> Act:
    """The user sends the meeting's thank-you draft from Gmail, and ticks nothing."""

    def act(sandbox: Sandbox) -> str | None:
        drafts = _thank_you_drafts(sandbox, event_id, sent=False)
        for draft in drafts:
            sandbox.mark_draft_sent(draft["id"], at.isoformat())
        if not drafts:
            return None
        return (
            f"send the thank-you “{drafts[0]['subject']}” from Gmail, ticking nothing in Airtable"
        )

    return act


def contact_replies(event_id: str, at: dt.datetime) -> Act:
    """The contact answers the thank-you the user sent, in its thread."""

    def act(sandbox: Sandbox) -> str | None:
        sent = _thank_you_drafts(sandbox, event_id, sent=True)
        if not sent:
            return None
        contact = sent[0]["headers"].get("To", "")
        sandbox.receive_reply(sent[0]["thread_id"], contact, MARCUS_REPLY, at.isoformat())
        name = contact.split("<", 1)[0].strip() or contact
        return f"receive {name}'s reply to your thank-you in Gmail"

    return act


def tick_first_progress_update(sandbox: Sandbox) -> str | None:
    """The user sends the first open progress update and marks it Done in Airtable."""
    row = _follow_up(
        sandbox,
        lambda f: f.get(FollowUps.KIND) == "Progress update" and f.get(FollowUps.STATUS) == "Open",
    )
    if row is None:
        return None
    _set_follow_up_status(sandbox, row, "Done")
    return f"mark “{row['fields'].get(FollowUps.TITLE)}” Done in Airtable"


def add_notes(event_id: str) -> Act:
    """The user adds an insight and a promise to the meeting's Notes in Airtable."""

    def act(sandbox: Sandbox) -> str | None:
        row = next(
            (
                r
                for r in sandbox.airtable.records(Meetings.TABLE)
                if r["fields"].get(Meetings.EVENT_ID) == event_id
            ),
            None,
        )
        if row is None:
            return None
        notes = str(row["fields"].get(Meetings.NOTES, "")).rstrip()
        changed = f"{notes}\n{TOMAS_NOTES}".strip()
        sandbox.airtable.update_record(Meetings.TABLE, row["id"], {Meetings.NOTES: changed})
        title = row["fields"].get(Meetings.TITLE, "the meeting")
        return f"add notes to “{title}” in Airtable (an insight and a promise)"

    return act


def move_by_a_day(event_id: str) -> Act:
    """The contact asks to meet a day later and an hour later; the user moves the event."""

    def act(sandbox: Sandbox) -> str | None:
        event = _event(sandbox, event_id)
        if event is None or event.get("status") == "cancelled":
            return None
        shift = dt.timedelta(days=1, hours=1)
        start, end = _when(event["start"]) + shift, _when(event["end"]) + shift
        zone = event["start"].get("timeZone")
        sandbox.move_event(event_id, _google_time(start, zone), _google_time(end, zone))
        return f"move “{event.get('summary')}” to {start:%a %d %b %H:%M} at the contact's request"

    return act


def _event(sandbox: Sandbox, event_id: str) -> dict[str, Any] | None:
    return next((e for e in sandbox.events() if e.get("id") == event_id), None)


def _when(value: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(value["dateTime"])


def _google_time(instant: dt.datetime, zone: str | None) -> dict[str, Any]:
    return {"dateTime": instant.isoformat(), **({"timeZone": zone} if zone else {})}


def _follow_up(sandbox: Sandbox, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    rows = sandbox.airtable.records(FollowUps.TABLE)
    return next((r for r in rows if wanted(r["fields"])), None)


def _set_follow_up_status(sandbox: Sandbox, row: dict[str, Any], status: str) -> None:
    sandbox.airtable.update_record(FollowUps.TABLE, row["id"], {FollowUps.STATUS: status})


def _thank_you_drafts(sandbox: Sandbox, event_id: str, *, sent: bool) -> list[dict[str, Any]]:
    """The meeting's thank-you drafts, unsent or sent (found through its Meetings row's link,
    which names the draft's message)."""
    opened = {
        str(r["fields"].get(Meetings.THANK_YOU_DRAFT, "")).rsplit("compose=", 1)[-1]
        for r in sandbox.airtable.records(Meetings.TABLE)
        if r["fields"].get(Meetings.EVENT_ID) == event_id
    }
    return [d for d in sandbox.drafts() if d["sent"] is sent and d["message_id"] in opened]
