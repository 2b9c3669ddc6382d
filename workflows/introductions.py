"""Introductions: a meeting with someone a contact introduced completes, so the introducer is
thanked: a short draft to them and a `Thank introducer` follow-up that links it.

Made due at the meeting's completion (`KIND`, keyed by the meeting, from `workflows.completion`)
when the contact's `Referred By` names an introducer; written once through the effects ledger.
The introducer's next progress update tells how the talk went (`workflows.progress_news`).

    schedule_thanks(session, meeting, now, account=...)
    thank_introducer(runtime, meeting_id) -> Thanks
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from workflows.draft_links import draft_link
from workflows.followup_sync import Owed, write_followups
from workflows.outbox import INTRODUCER, write_draft
from workflows.owed import completion_settings, load_meeting, user_zone_of
from workflows.progress_drafts import link_draft
from workflows.rules.clock import local_date, local_days_after
from workflows.rules.followups import FollowUpKind, FollowUpPlan, single_line
from workflows.rules.introducer_letter import IntroducerFacts, introducer_message
from workflows.rules.keys import instant_text
from workflows.rules.notes import parse_notes
from workflows.rules.people import first_name_of
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.models import Meeting, Person
from workflows.store.people import person_by_airtable_id

log = structlog.get_logger(__name__)

KIND = "thank_introducer"
THANK_WITHIN_DAYS = 1


@dataclass(frozen=True)
class Thanks:
    """What thanking an introducer did: whom, the draft's link and text, or why not."""

    introducer: str = ""
    to: str = ""
    link: str = ""
    subject: str = ""
    body: str = ""
    followup: str = ""
    skipped: str = ""


def schedule_thanks(session: Session, meeting: Meeting, now: dt.datetime, *, account: str) -> None:
    """Make the thanks for the meeting's introduction due now (once per meeting)."""
    key = f"{meeting.event_id}@{instant_text(meeting.original_start)}"
    due.schedule(session, KIND, key, now, payload={"meeting_id": meeting.id}, account=account)


def thank_introducer(runtime: Runtime, meeting_id: int) -> Thanks:
    """Write the thank-you to whoever introduced the meeting's contact, and its follow-up."""
    meeting = load_meeting(runtime, meeting_id)
    person = meeting.person if meeting is not None else None
    if meeting is None or person is None or not person.referred_by:
        return Thanks(skipped="the meeting's contact has no Referred By")
    with runtime.db.read() as session:
        introducer = person_by_airtable_id(session, person.referred_by, account=runtime.account)
        email = introducer.primary_email if introducer is not None else None
    if introducer is None or introducer.airtable_deleted or introducer.id == person.id:
        return Thanks(skipped="the contact's Referred By is not another contact in Airtable")
    if not email:
        return Thanks(skipped=f"{introducer.name or 'the introducer'} has no email to write to")
    zone = user_zone_of(runtime)
    moment = f"{meeting.event_id}:{instant_text(meeting.original_start)}"
    message = introducer_message(
        _facts(runtime, meeting, person, introducer, email, zone),
        key=f"introducer:{moment}",
        to=email,
        to_name=introducer.name or "",
    )
    ref = write_draft(runtime, f"introducer:{moment}", message, purpose=INTRODUCER)
    link = draft_link(runtime, ref)
    plan = _plan(f"thank-introducer:{moment}", introducer, person, meeting, zone)
    owed = Owed(
        plan, introducer.id, introducer.airtable_record_id, meeting.id, meeting.airtable_record_id
    )
    write_followups(runtime, [owed])
    link_draft(runtime, plan.key, link)
    log.info("introducer.thanked", meeting_id=meeting.id, introducer_id=introducer.id)
    return Thanks(introducer.name or email, email, link, message.subject, message.body, plan.title)


def _facts(
    runtime: Runtime,
    meeting: Meeting,
    person: Person,
    introducer: Person,
    email: str,
    zone: dt.tzinfo,
) -> IntroducerFacts:
    insights = parse_notes(meeting.notes).insights
    return IntroducerFacts(
        introducer_key=email,
        introducer_first_name=first_name_of(introducer.name or ""),
        introduced_name=person.name or person.primary_email or "",
        met_on=local_date(meeting.start, zone),
        written_on=runtime.clock.today(zone),
        sender_name=completion_settings(runtime, zone).sender_name,
        insight=insights[0] if insights else "",
    )


def _plan(
    key: str, introducer: Person, person: Person, meeting: Meeting, zone: dt.tzinfo
) -> FollowUpPlan:
    whom = first_name_of(person.name or "") or person.primary_email or "them"
    thank = first_name_of(introducer.name or "") or "your introducer"
    title = single_line(f"Thank {thank} for introducing you to {whom}")
    due_on = local_days_after(meeting.start, THANK_WITHIN_DAYS, zone)
    return FollowUpPlan(key, FollowUpKind.THANK_INTRODUCER, title, due_on)
