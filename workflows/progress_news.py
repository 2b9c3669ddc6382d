"""What a contact's progress update can tell them, from the store, and what earlier ones told.

    news = gather_news(runtime, person_id, zone)   # the letter's facts and the news they carry
    told(runtime, "gabriel@stripe.example")         # every news token earlier updates told

News is told once: each progress-update draft keeps in its ledger entry (`NEWS`) the tokens
of what it told (`milestone:{record}`, `kept:{follow-up key}`, `intro:{meeting id}`), so the
next update to that person tells only what is new since. What they advised (the insights of
meetings with them) is recalled every time: it is not news but the reason for writing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.outbox import DRAFT_KIND, PROGRESS_UPDATE
from workflows.owed import completion_settings
from workflows.rules.clock import local_date
from workflows.rules.emails import fold_email
from workflows.rules.notes import parse_notes
from workflows.rules.reminders import brought_forward
from workflows.rules.update_letter import IntroductionNews, MilestoneNews, UpdateFacts
from workflows.runtime import Runtime
from workflows.store.milestones import milestones_of
from workflows.store.models import Effect, Followup, Meeting, Person
from workflows.store.people import person_view

NEWS = "news"
"""The ledger detail of a progress-update draft that lists the news it told."""


@dataclass(frozen=True)
class News:
    """A contact's update: to whom, the letter's facts, and the tokens of the news it tells."""

    email: str
    facts: UpdateFacts
    tokens: tuple[str, ...]
    also: tuple[str, ...] = ()  # their other addresses (an invite may have used one)


def told(runtime: Runtime, *emails: str) -> frozenset[str]:
    """The news every progress-update draft Followthrough wrote to the person (at any of their
    `emails`) told."""
    folded = {fold_email(email) for email in emails}
    with runtime.db.read() as session:
        details = session.execute(
            sa.select(Effect.detail).where(
                Effect.account == runtime.account,
                Effect.kind == DRAFT_KIND,
                Effect.status == "applied",
            )
        ).scalars()
        return frozenset(
            str(token)
            for detail in details
            if detail and detail.get("purpose") == PROGRESS_UPDATE and detail.get("to") in folded
            for token in detail.get(NEWS) or ()
        )


def sooner_for_news(runtime: Runtime, person: Person, next_due: dt.date, today: dt.date) -> dt.date:
    """`next_due`, or sooner when a milestone linked to the person is not told yet (one that came
    while their last update was open waits for no full cadence)."""
    record, emails = person.airtable_record_id, [e.original for e in person.emails]
    if not record or not emails:
        return next_due
    with runtime.db.read() as session:
        linked = milestones_of(session, record, account=runtime.account)
    done = told(runtime, *emails)
    for row in linked:
        if f"milestone:{row.airtable_record_id}" not in done:
            next_due = brought_forward(next_due, news_on=row.date, today=today) or next_due
    return next_due


def gather_news(runtime: Runtime, person_id: int, zone: dt.tzinfo) -> News | None:
    """The update owed to the person, or None when they have no address to write to."""
    sender = completion_settings(runtime, zone).sender_name
    with runtime.db.read() as session:
        person = session.get(Person, person_id)
        if person is None or not person.primary_email:
            return None
        view = person_view(person)
        email = person.primary_email
        emails = tuple(e.original for e in person.emails)
        met = _completed_with(session, [person.id], runtime.account)
        kept = _kept(session, person.id, runtime.account)
        record = person.airtable_record_id or ""
        milestones = milestones_of(session, record, account=runtime.account) if record else []
        intros = _introduced(session, record, runtime.account, zone) if record else []
    done = told(runtime, *emails)
    milestone_news = [
        (f"milestone:{m.airtable_record_id}", MilestoneNews(m.what, m.date)) for m in milestones
    ]
    kept_news = [(f"kept:{key}", title) for key, title in kept]
    intro_news = [(f"intro:{meeting_id}", intro) for meeting_id, intro in intros]
    fresh = [(t, v) for t, v in (*milestone_news, *kept_news, *intro_news) if t not in done]
    facts = UpdateFacts(
        contact_key=email,
        first_name=view.first_name,
        contact_name=view.name,
        sender_name=sender,
        today=runtime.clock.today(zone),
        last_met=person.last_met or (local_date(met[0].start, zone) if met else None),
        company=view.company or "",
        milestones=tuple(v for t, v in fresh if isinstance(v, MilestoneNews)),
        advice=_advice(met),
        kept=tuple(v for t, v in fresh if isinstance(v, str)),
        introductions=tuple(v for t, v in fresh if isinstance(v, IntroductionNews)),
    )
    others = tuple(e for e in emails if e != email)
    return News(email, facts, tuple(t for t, _ in fresh), others)


def _completed_with(session: Session, person_ids: Iterable[int], account: str) -> list[Meeting]:
    """The person's completed meetings, newest first."""
    query = (
        sa.select(Meeting)
        .where(
            Meeting.account == account,
            Meeting.person_id.in_(list(person_ids)),
            Meeting.status == "completed",
        )
        .order_by(Meeting.start.desc(), Meeting.id.desc())
    )
    return list(session.execute(query).scalars())


def _advice(meetings: Iterable[Meeting]) -> tuple[str, ...]:
    """What they advised: the insights of the meetings with them, the newest meeting's first."""
    found: list[str] = []
    for meeting in meetings:
        found += [i for i in parse_notes(meeting.notes).insights if i not in found]
    return tuple(found)


def _kept(session: Session, person_id: int, account: str) -> list[tuple[str, str]]:
    """The promises to the person marked Done: (follow-up key, what was promised)."""
    query = (
        sa.select(Followup.key, Followup.title)
        .where(
            Followup.account == account,
            Followup.person_id == person_id,
            Followup.kind == "action_item",
            Followup.status == "done",
        )
        .order_by(Followup.done_at, Followup.id)
    )
    return [(key, title) for key, title in session.execute(query).all()]


def _introduced(
    session: Session, record_id: str, account: str, zone: dt.tzinfo
) -> list[tuple[int, IntroductionNews]]:
    """The talks with people the contact introduced (their Referred By names the contact)."""
    query = sa.select(Person).where(Person.account == account, Person.referred_by == record_id)
    found = []
    for person in session.execute(query).scalars():
        for meeting in _completed_with(session, [person.id], account):
            if meeting.history:
                continue
            insights = parse_notes(meeting.notes).insights
            news = IntroductionNews(
                person.name or person.primary_email or "",
                local_date(meeting.start, zone),
                insights[0] if insights else "",
            )
            found.append((meeting.id, news))
    return sorted(found, key=lambda pair: pair[1].met_on)
