"""What the mail pass changed in one demo pass, as the user finds it: the thank-you's follow-up
Done with the day it was sent, and the dates it wrote in Airtable (the meeting's `Thank-you
Sent`, the contact's `Last Contacted` and `Last Reply`).

The demo reads the Airtable cells before and after each pass (as a user looking at the base
would) and tells what the pass changed in them, so the account shows what detection did
without knowing how it works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.airtable.tables import Contacts, Meetings
from workflows.queries.listings import FollowUpView
from workflows.rules.followups import LATE_FLAG

if TYPE_CHECKING:
    from connectors.sandbox.server import Sandbox

THANK_YOU = "thank_you"
SENT, REPLY, LATE = "sent", "reply", "late"
WATCHED = (
    (Meetings.TABLE, Meetings.TITLE, Meetings.THANK_YOU_SENT, SENT),
    (Contacts.TABLE, Contacts.NAME, Contacts.LAST_CONTACTED, SENT),
    (Contacts.TABLE, Contacts.NAME, Contacts.LAST_REPLY, REPLY),
)
QUOTED = (Meetings.TABLE,)  # a meeting is named by its title, in quotes

Cells = dict[tuple[str, str, str], tuple[str, object]]


@dataclass(frozen=True)
class MailLine:
    """One thing the mail pass changed: `label` is "sent", "reply" or "late"."""

    label: str
    text: str


def mail_cells(sandbox: Sandbox) -> Cells:
    """The watched date cells of every row: (table, record, field) -> (row's name, value)."""
    cells: Cells = {}
    for table, name_field, date_field, _ in WATCHED:
        for record in sandbox.airtable.records(table):
            fields = record["fields"]
            if fields.get(date_field):
                name = str(fields.get(name_field) or record["id"])
                cells[(table, record["id"], date_field)] = (name, fields[date_field])
    return cells


def mail_lines(
    before: Cells,
    after: Cells,
    follow_ups_before: dict[str, FollowUpView],
    follow_ups_after: Iterable[FollowUpView],
    zone: dt.tzinfo,
) -> list[MailLine]:
    """The thank-yous that became Done or were flagged late since `follow_ups_before`, then
    the dates that changed."""
    lines: list[MailLine] = []
    for now in follow_ups_after:
        earlier = follow_ups_before.get(now.key)
        if now.done_at is not None and _sent_now(now, earlier):
            sent = _day(now.done_at, zone)
            lines.append(MailLine(SENT, f"“{now.title}” is Done: you sent it {sent}"))
        elif earlier is not None and now.title != earlier.title and now.title.endswith(LATE_FLAG):
            lines.append(MailLine(LATE, f"“{earlier.title}” is flagged {LATE_FLAG}"))
    labels = {date_field: label for _, _, date_field, label in WATCHED}
    for (table, record, field), (name, value) in after.items():
        if before.get((table, record, field)) != (name, value):
            named = f"“{name}”" if table in QUOTED else name
            lines.append(MailLine(labels[field], f"{named}: {field} {value}"))
    return lines


def _sent_now(now: FollowUpView, earlier: FollowUpView | None) -> bool:
    """A thank-you Done now that was open before the pass."""
    done = now.kind == THANK_YOU and now.status == "done"
    return done and earlier is not None and earlier.status != "done"


def _day(at: dt.datetime, zone: dt.tzinfo) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return f"{aware.astimezone(zone):%a %d %b}"
