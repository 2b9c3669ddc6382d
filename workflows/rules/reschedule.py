"""Whether a cancelled informational interview still needs a new time, and what to ask.

    replaced(cancelled_at, other_starts)        # another meeting with them makes up for it
    reschedule_title(first_name, meeting_day)   # the Reschedule follow-up's title

A cancelled interview is replaced when the same person has another meeting (not cancelled)
that starts no earlier than a day before the cancellation: one booked in its place, or one
that was on the calendar already. Otherwise, a day after the cancellation, the user is asked
to offer a new time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from workflows.rules.draft import date_text
from workflows.rules.followups import single_line

WAIT = dt.timedelta(days=1)
"""How long after a cancellation a new meeting with the same person may appear first."""


def replaced(cancelled_at: dt.datetime, other_starts: Iterable[dt.datetime]) -> bool:
    """True when one of the person's other meetings (their starts) makes up for this one."""
    return any(start >= cancelled_at - WAIT for start in other_starts)


def reschedule_title(first_name: str, meeting_day: dt.date) -> str:
    """ "Offer Ada a new time: your conversation on Tuesday, March 3 was cancelled"."""
    who = first_name or "them"
    return single_line(
        f"Offer {who} a new time: your conversation on {date_text(meeting_day)} was cancelled"
    )
