"""The job seeker's week at a glance, read from the store once, in the user's time zone.

`week(runtime)` answers a `Week`: today's and this week's work (interviews, thank-yous
waiting with the hours left of their 24, open promises, updates due, asks waiting for a
reply), the pipeline by stage and the last 90 days as counts (`workflows.week.recent`).
Follow-ups are found by their stored kind, so the kinds issue 14 adds (asks, briefs to
prepare) appear as soon as rows of them exist. "This week" is today and the six days after
it, in the user's zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.airtable.tables import STAGES, Meetings
from workflows.owed import user_zone_of
from workflows.runtime import Runtime
from workflows.store.followups import open_followups
from workflows.store.models import Followup, Meeting, Person
from workflows.store.people import contact_names
from workflows.week.recent import Recent, recent

WEEK = dt.timedelta(days=7)
THANK_YOU_WITHIN = dt.timedelta(hours=24)
THANK_YOU = "thank_you"
PROMISE = "action_item"
UPDATE = "progress_update"
ASKS = ("ask", "nudge")  # issue 14's kinds: an ask (or its nudge) open = waiting for a reply
PREPARE = "prepare"  # issue 14's kind: a brief to read before a meeting


@dataclass(frozen=True)
class Interview:
    """An interview this week: when (user's zone), with whom, and where its brief is."""

    title: str
    contact: str
    start: dt.datetime
    brief_link: str | None = None  # the Meetings row in Airtable, where the brief is written
    to_prepare: str | None = None  # the open Prepare follow-up's title, if any


@dataclass(frozen=True)
class ThankYouWaiting:
    """A thank-you not sent yet: the draft to open and the hours left of the 24."""

    title: str
    contact: str
    meeting_end: dt.datetime
    hours_left: int  # negative once the 24 hours are over
    draft_link: str | None = None

    @property
    def overdue(self) -> bool:
        """True once the meeting ended more than 24 hours ago."""
        return self.hours_left < 0


@dataclass(frozen=True)
class Due:
    """An open promise, progress update or ask: what, for whom, by when."""

    title: str
    contact: str
    due: dt.date | None
    overdue: bool
    today: bool = False  # due today, in the user's zone


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline and how many contacts are at it."""

    stage: str
    contacts: int


@dataclass(frozen=True)
class Week:
    """The week at a glance: what the digest says (the page and `status` add the health)."""

    generated_at: dt.datetime
    zone: str
    today: dt.date
    interviews: tuple[Interview, ...]
    thank_yous: tuple[ThankYouWaiting, ...]
    promises: tuple[Due, ...]
    updates: tuple[Due, ...]
    asks: tuple[Due, ...]
    pipeline: tuple[Stage, ...]  # in the Stage field's order, then any other stage
    recent: Recent

    @property
    def week_end(self) -> dt.date:
        """The last day of "this week": today and the six days after it."""
        return self.today + WEEK - dt.timedelta(days=1)

    @property
    def overdue_count(self) -> int:
        """How many thank-yous, promises, updates and asks are overdue."""
        rows: tuple[ThankYouWaiting | Due, ...] = (
            *self.thank_yous,
            *self.promises,
            *self.updates,
            *self.asks,
        )
        return sum(1 for row in rows if row.overdue)


def week(runtime: Runtime) -> Week:
    """The account's week as of the runtime's clock, in the user's time zone."""
    brief_link = brief_link_of(runtime)
    now = runtime.now()
    zone = user_zone_of(runtime)
    today = now.astimezone(zone).date()
    week_end = today + WEEK
    with runtime.db.read() as session:
        open_rows = open_followups(session, account=runtime.account, limit=500)
        meetings = _meetings_of(session, runtime.account, [f.meeting_id for f in open_rows])
        upcoming = _upcoming(session, runtime.account, now, _midnight(week_end, zone))
        names = contact_names(
            session, [f.person_id for f in open_rows] + [m.person_id for m in upcoming]
        )
        pipeline = _pipeline(session, runtime.account)
    by_kind: dict[str, list[Followup]] = {}
    for row in open_rows:
        by_kind.setdefault(row.kind, []).append(row)
    return Week(
        generated_at=now,
        zone=str(zone),
        today=today,
        interviews=tuple(
            _interview(m, names, zone, by_kind.get(PREPARE, []), brief_link) for m in upcoming
        ),
        thank_yous=tuple(_thank_you(f, meetings, names, now) for f in by_kind.get(THANK_YOU, [])),
        promises=tuple(_due(f, names, today) for f in by_kind.get(PROMISE, [])),
        updates=tuple(
            _due(f, names, today)
            for f in by_kind.get(UPDATE, [])
            if f.due is None or f.due < week_end
        ),
        asks=tuple(_due(f, names, today) for kind in ASKS for f in by_kind.get(kind, [])),
        pipeline=pipeline,
        recent=recent(runtime, now),
    )


class BriefLink:
    """Where a meeting's brief is read: its row in the user's Airtable Meetings table."""

    def __init__(self, base_id: str, table_id: str) -> None:
        self.base_id = base_id
        self.table_id = table_id

    def __call__(self, record_id: str | None) -> str | None:
        """The row's address in Airtable's web app, or None for a meeting with no row yet."""
        if not record_id:
            return None
        return f"https://airtable.com/{self.base_id}/{self.table_id}/{record_id}"


def brief_link_of(runtime: Runtime) -> BriefLink | None:
    """Links to Meetings rows, when the base's table ids are known already (no request)."""
    names = runtime.airtable.known_id_names if runtime.airtable is not None else None
    if names is None:
        return None
    table = next((tid for tid, name in names.tables.items() if name == Meetings.TABLE), None)
    return BriefLink(runtime.airtable.base_id, table) if table and runtime.airtable else None


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _meetings_of(session: Session, account: str, ids: list[int | None]) -> dict[int, Meeting]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = sa.select(Meeting).where(Meeting.account == account, Meeting.id.in_(wanted))
    return {m.id: m for m in session.scalars(query)}


def _upcoming(
    session: Session, account: str, now: dt.datetime, until: dt.datetime
) -> list[Meeting]:
    query = (
        sa.select(Meeting)
        .where(
            Meeting.account == account,
            Meeting.status == "scheduled",
            Meeting.end > now,
            Meeting.start < until,
        )
        .order_by(Meeting.start, Meeting.id)
    )
    return list(session.scalars(query))


def _pipeline(session: Session, account: str) -> tuple[Stage, ...]:
    query = sa.select(Person.stage).where(
        Person.account == account, Person.stage.is_not(None), Person.airtable_deleted.is_(False)
    )
    counts = Counter(str(stage) for stage in session.scalars(query))
    known = [Stage(stage, counts.pop(stage, 0)) for stage in STAGES]
    return (*known, *(Stage(stage, count) for stage, count in sorted(counts.items())))


def _interview(
    meeting: Meeting,
    names: dict[int, str],
    zone: dt.tzinfo,
    prepare: list[Followup],
    brief_link: BriefLink | None,
) -> Interview:
    todo = next((f.title for f in prepare if f.meeting_id == meeting.id), None)
    return Interview(
        title=meeting.title,
        contact=names.get(meeting.person_id or -1, ""),
        start=meeting.start.astimezone(zone),
        brief_link=brief_link(meeting.airtable_record_id) if brief_link else None,
        to_prepare=todo,
    )


def _thank_you(
    row: Followup, meetings: dict[int, Meeting], names: dict[int, str], now: dt.datetime
) -> ThankYouWaiting:
    meeting = meetings.get(row.meeting_id or -1)
    end = meeting.end if meeting else now
    left = (end + THANK_YOU_WITHIN - now).total_seconds()
    return ThankYouWaiting(
        title=row.title,
        contact=names.get(row.person_id or -1, ""),
        meeting_end=end,
        hours_left=int(left // 3600),
        draft_link=meeting.draft_url if meeting else None,
    )


def _due(row: Followup, names: dict[int, str], today: dt.date) -> Due:
    overdue = row.due is not None and row.due < today
    return Due(row.title, names.get(row.person_id or -1, ""), row.due, overdue, row.due == today)
