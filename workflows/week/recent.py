"""The last 90 days as counts: the funnel from asks to introductions, and how soon thank-yous
went out after their meetings (the status page's pictures and the counts in /metrics).

- asks: Ask follow-ups due in the window; replies: those of them Done (an answered ask);
- meetings: interviews that took place in the window (not cancelled);
- introductions: Thank introducer follow-ups due in the window (one per person introduced);
- thank-you times: from a meeting's end to its thank-you being sent, for the thank-yous the
  mail pass saw sent (`workflows.thank_you_mail`: the follow-up made Done at the sent
  message's time, and the meeting's `fact:thank_you_sent:`). A thank-you ticked off by hand
  has no sending time and is left out.

Dates are the domain clock's (follow-ups' due dates, meetings' times), never the rows'
wall-clock creation times, so a frozen clock (the demo) reads its own 90 days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.runtime import Runtime
from workflows.store.models import Cursor, Followup, Meeting
from workflows.thank_you_mail import SENT_FACT

WINDOW = dt.timedelta(days=90)

HOUR_BUCKETS = (6, 12, 24, 48)
"""Upper bounds (hours) of the thank-you histogram's bars; one more bar holds the rest."""


@dataclass(frozen=True)
class Funnel:
    """Asks, replies, meetings and introductions in the window."""

    asks: int = 0
    replies: int = 0
    meetings: int = 0
    introductions: int = 0

    def stages(self) -> tuple[tuple[str, int], ...]:
        """Each stage's label and count, in the funnel's order."""
        return (
            ("Asks", self.asks),
            ("Replies", self.replies),
            ("Meetings", self.meetings),
            ("Introductions", self.introductions),
        )


@dataclass(frozen=True)
class Recent:
    """The last 90 days: the funnel and the hours from each meeting's end to its thank-you."""

    since: dt.date
    funnel: Funnel
    thank_you_hours: tuple[float, ...] = ()

    @property
    def median_hours(self) -> float | None:
        """The median time to a thank-you, in hours (None when none was seen sent)."""
        return statistics.median(self.thank_you_hours) if self.thank_you_hours else None

    def histogram(self) -> tuple[tuple[str, int], ...]:
        """How many thank-yous went out within each bucket's hours, labelled for people."""
        bars, low = [], 0
        for high in HOUR_BUCKETS:
            count = sum(1 for h in self.thank_you_hours if low <= h < high)
            bars.append((f"{low}-{high} h", count))
            low = high
        bars.append((f"{low}+ h", sum(1 for h in self.thank_you_hours if h >= low)))
        return tuple(bars)


def recent(runtime: Runtime, now: dt.datetime) -> Recent:
    """The window ending at `now`."""
    start = now - WINDOW
    with runtime.db.read() as session:
        asks = _due_in(session, runtime.account, "ask", start.date(), now.date())
        introductions = _due_in(
            session, runtime.account, "thank_introducer", start.date(), now.date()
        )
        met = _meetings_in(session, runtime.account, start, now)
        hours = _thank_you_hours(session, runtime.account, start, now)
    replies = sum(1 for row in asks if row.status == "done")
    funnel = Funnel(len(asks), replies, met, len(introductions))
    return Recent(start.date(), funnel, tuple(sorted(hours)))


def _due_in(
    session: Session, account: str, kind: str, first: dt.date, last: dt.date
) -> list[Followup]:
    query = sa.select(Followup).where(
        Followup.account == account,
        Followup.kind == kind,
        Followup.due >= first,
        Followup.due <= last,
    )
    return list(session.scalars(query))


def _meetings_in(session: Session, account: str, start: dt.datetime, now: dt.datetime) -> int:
    query = sa.select(sa.func.count(Meeting.id)).where(
        Meeting.account == account,
        Meeting.status != "cancelled",
        Meeting.end > start,
        Meeting.end <= now,
    )
    return int(session.scalar(query) or 0)


def _thank_you_hours(
    session: Session, account: str, start: dt.datetime, now: dt.datetime
) -> list[float]:
    sent = sa.select(Cursor.source).where(
        Cursor.account == account, Cursor.source.like(f"{SENT_FACT}%")
    )
    detected = {int(name.removeprefix(SENT_FACT)) for name in session.scalars(sent)}
    if not detected:
        return []
    query = (
        sa.select(Followup.done_at, Meeting.end)
        .join(Meeting, Meeting.id == Followup.meeting_id)
        .where(
            Followup.account == account,
            Followup.kind == "thank_you",
            Followup.status == "done",
            Followup.done_at.is_not(None),
            Meeting.id.in_(detected),
            Meeting.end > start,
            Meeting.end <= now,
        )
    )
    return [
        max(0.0, (done - end).total_seconds() / 3600)
        for done, end in session.execute(query)
        if done is not None
    ]
