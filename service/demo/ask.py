"""The demo's ask and nudge: the user ticks Draft Ask for a contact To contact, reads the ask
Followthrough drafted (printed in full) and sends it, moving the contact to Requested; a week
on, with no reply, reads the nudge drafted in the same thread (printed in full).

    for after, act in ask_and_nudge(start):   # in `demo_actions`: each acts at `start + after`
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connectors.airtable.tables import Contacts, FollowUps
from connectors.sandbox.server import Sandbox

Act = Callable[[Sandbox], "str | None"]

DEMO_ABOUT_ME = (
    "I'm a backend engineer with five years in fintech, exploring a move into data infrastructure."
)
"""Who the demo's user is (FOLLOWTHROUGH_ABOUT_ME), when the settings say nothing."""
ASKED = "Chen Wei"
INTRODUCER = "Priya Raman"
WHY_THEM = "your talk on moving a payments warehouse to Snowflake at Data Council"


def ask_and_nudge(start: dt.datetime) -> list[tuple[dt.timedelta, Act]]:
    """The user's part in the ask and its nudge: how long after the demo's `start`, and what;
    each action finds its target when it runs (None: nothing to do in this world)."""
    asked, nudged = dt.timedelta(hours=8), dt.timedelta(days=7, hours=10)
    return [
        (dt.timedelta(hours=3), tick_draft_ask),
        (asked, read_and_send("ask", start + asked, move_to_requested=True)),
        (nudged, read_and_send("nudge", start + nudged)),
    ]


def tick_draft_ask(sandbox: Sandbox) -> str | None:
    """Tick Draft Ask for the contact, saying why them and who introduced them."""
    asked, introducer = _contact(sandbox, ASKED), _contact(sandbox, INTRODUCER)
    if asked is None:
        return None
    fields: dict[str, Any] = {Contacts.DRAFT_ASK: True, Contacts.WHY_THEM: WHY_THEM}
    if introducer is not None:
        fields[Contacts.REFERRED_BY] = [introducer["id"]]
    sandbox.airtable.update_record(Contacts.TABLE, asked["id"], fields)
    return f"tick Draft Ask for {ASKED} in Airtable (Why Them: “{WHY_THEM}”" + (
        f"; Referred By: {INTRODUCER})" if introducer is not None else ")"
    )


def read_and_send(what: str, at: dt.datetime, *, move_to_requested: bool = False) -> Act:
    """Read the ask (or nudge) drafted to the contact, printed in full, and send it at `at`."""

    def act(sandbox: Sandbox) -> str | None:
        asked = _contact(sandbox, ASKED)
        email = (asked or {}).get("fields", {}).get(Contacts.EMAIL)
        replying = what == "nudge"
        drafts = [
            d
            for d in sandbox.drafts()
            if not d.get("sent")
            and email in (d.get("to") or [])
            and str(d.get("subject", "")).startswith("Re:") == replying
        ]
        if asked is None or not drafts:
            return None
        draft = drafts[-1]
        sandbox.mark_draft_sent(draft["id"], at.isoformat())
        done = _mark_done(sandbox, what.capitalize(), asked["id"])
        moved = ""
        if move_to_requested:
            sandbox.airtable.update_record(Contacts.TABLE, asked["id"], {"Stage": "Requested"})
            moved = f", and move {ASKED} to Requested"
        body = str(draft.get("body", "")).replace("\r\n", "\n").rstrip()
        quoted = "\n".join(
            f"│ {line}" for line in [f"Subject: {draft.get('subject')}", "", *body.split("\n")]
        )
        return (
            f"read the {what} Followthrough drafted to {ASKED}, send it, mark “{done}” Done"
            f"{moved}:\n{quoted}"
        )

    return act


def _mark_done(sandbox: Sandbox, kind: str, contact_id: str) -> str:
    """Mark the contact's open follow-up of `kind` (Ask, Nudge) Done; returns its title."""
    rows = sandbox.airtable.records(FollowUps.TABLE)
    for row in rows:
        fields = row["fields"]
        if fields.get(FollowUps.KIND) == kind and contact_id in fields.get("Contact", []):
            sandbox.airtable.update_record(FollowUps.TABLE, row["id"], {FollowUps.STATUS: "Done"})
            return str(fields.get(FollowUps.TITLE, kind))
    return kind


def _contact(sandbox: Sandbox, name: str) -> dict[str, Any] | None:
    rows = sandbox.airtable.records(Contacts.TABLE)
    return next((r for r in rows if r["fields"].get(Contacts.NAME) == name), None)
