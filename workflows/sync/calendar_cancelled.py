"""An informational interview first seen called off: the contact declined it before
Followthrough first saw it.

It is kept as a cancelled meeting (its Meetings row says Cancelled) so that it may get a
Reschedule follow-up (`workflows.reschedules`), when it is still ahead or was due at most a day
ago. A deleted event is not one of these: Google sends only its id and status (a tombstone),
so nothing says who it was with.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from connectors.records import CalendarEvent
from workflows.rules.people import PersonView
from workflows.rules.reschedule import WAIT
from workflows.store.meetings import upsert_meeting

if TYPE_CHECKING:
    from workflows.sync.calendar import Tracker


def keep_cancelled(
    tracker: Tracker,
    event: CalendarEvent,
    occurrence: dt.datetime,
    contact: PersonView,
    reason: str,
) -> None:
    """Record the interview `event`, called off and not stored yet, as a cancelled meeting."""
    start, end = event.start, event.end
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        return
    if start < tracker.runtime.now() - WAIT:
        return
    meeting = upsert_meeting(
        tracker.session,
        event_id=event.id,
        original_start=occurrence,
        title=event.title,
        start=start,
        end=end,
        person_id=tracker.person_id(contact),
        account=tracker.account,
    )
    tracker.cancel(meeting, f"{reason} before Followthrough first saw it")
