"""The brief before an informational interview: the Meetings row's `Brief` and a Prepare follow-up.

`FOLLOWTHROUGH_BRIEF_HOURS_BEFORE` before a meeting starts, its brief is written from what the
store knows of the contact (`workflows.rules.brief`), with questions from the question bank
(`FOLLOWTHROUGH_QUESTIONS_FILE`, else the built-in `workflows/rules/questions.txt`), and a
Prepare follow-up due on the meeting's day links the meeting. The brief is written again when
the meeting moves or the contact's details change (`duework.write_brief` schedules that), never
once the meeting has started. The Airtable write is by value, so a repeated run changes
nothing; the follow-up is made once by its key (`followup_sync`), and its existence is what
says the meeting was briefed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session, selectinload

from connectors.airtable.writes import FollowUpWrite, MeetingWrite, upsert
from connectors.errors import ConfigurationError
from workflows.followup_sync import Owed, complete_task, write_followups
from workflows.owed import user_zone_of
from workflows.rules.brief import (
    BriefFacts,
    EarlierMeeting,
    OpenPromise,
    parse_question_bank,
    pick_questions,
    prepare_title,
    write_brief,
)
from workflows.rules.clock import local_date
from workflows.rules.followups import FollowUpKind, FollowUpPlan, FollowUpStatus
from workflows.rules.keys import instant_text
from workflows.rules.notes import parse_notes
from workflows.runtime import Runtime
from workflows.store.contact_history import earlier_meetings, last_done, open_promises
from workflows.store.followups import get_followup, set_status
from workflows.store.models import Meeting, Person
from workflows.store.people import person_view

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Briefed:
    """What one run did: the brief written (or found current), or when to come back."""

    meeting_id: int
    text: str | None = None  # the brief as it stands in the row (None: none written)
    rewritten: bool = False  # True when a brief was written before (this one replaced it)
    not_before: dt.datetime | None = None  # too early: run again then
    reason: str = ""  # why nothing was written


def brief_at(meeting: Meeting, before: dt.timedelta) -> dt.datetime:
    """When the meeting's brief is first due."""
    return meeting.start - before


def brief_inputs(meeting: Meeting, person: Person | None) -> str:
    """A digest of what, when it changes, makes the brief be written again: the meeting's
    times and title, and the contact's name, company, role, Why Them, notes and introducer."""
    parts: list[str | None] = [
        instant_text(meeting.start),
        instant_text(meeting.end),
        meeting.title,
    ]
    if person is not None:
        parts += [person.name, person.company, person.role, person.why_them, person.notes]
        parts += [person.referred_by]
    text = "\x00".join(part or "" for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def was_written(session: Session, meeting: Meeting, *, account: str) -> bool:
    """True when the meeting was briefed already (its Prepare follow-up exists)."""
    return get_followup(session, prepare_key(meeting), account=account) is not None


def brief_meeting(runtime: Runtime, meeting_id: int) -> Briefed:
    """Write the meeting's brief (when due and changed) and its Prepare follow-up (once)."""
    meeting = _load(runtime, meeting_id)
    now = runtime.now()
    if meeting is None or meeting.person is None:
        return Briefed(meeting_id, reason="the meeting or its contact is gone")
    if meeting.status != "scheduled" or meeting.start <= now:
        close_prepare(runtime, meeting)
        return Briefed(meeting_id, reason="the meeting has started, ended or been cancelled")
    with runtime.db.read() as session:
        written = was_written(session, meeting, account=runtime.account)
        due_at = brief_at(meeting, runtime.config.brief_before)
        if not written and now < due_at:
            return Briefed(meeting_id, not_before=due_at)
        facts = _facts(runtime, session, meeting, meeting.person)
    text = write_brief(facts)
    _write_row(runtime, meeting, text)
    _prepare(runtime, meeting, meeting.person, facts.start.date())
    return Briefed(meeting_id, text=text, rewritten=written)


def close_prepare(runtime: Runtime, meeting: Meeting) -> bool:
    """The meeting's Prepare follow-up Done (Airtable, Google Tasks, the store) once there is
    nothing left to prepare: it started, or was called off. False when it was not open."""
    key = prepare_key(meeting)
    with runtime.db.read() as session:
        row = get_followup(session, key, account=runtime.account)
        if row is None or row.status != "open":
            return False
        record_id, task_id = row.airtable_record_id, row.task_id
    if record_id:
        upsert(runtime.need_airtable(), [FollowUpWrite(key=key, status=FollowUpStatus.DONE.value)])
    if task_id and runtime.config.mirror_to_google:
        complete_task(runtime, task_id)
    with runtime.db.transaction() as session:
        row = get_followup(session, key, account=runtime.account)
        if row is not None:
            set_status(row, "done", at=runtime.now())
    log.info("brief.prepare_done", meeting_id=meeting.id)
    return True


def question_bank(path: Path | None) -> tuple[tuple[str, ...], ...]:
    """The questions of the user's bank (`path`), else of the built-in one."""
    if path is None:
        text = resources.files("workflows.rules").joinpath("questions.txt").read_text("utf-8")
        return parse_question_bank(text)
    try:
        bank = parse_question_bank(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"FOLLOWTHROUGH_QUESTIONS_FILE {path} cannot be read ({type(exc).__name__}): "
            "make it a readable UTF-8 text file, or unset it to use the built-in questions"
        ) from exc
    if not bank:
        raise ConfigurationError(
            f"FOLLOWTHROUGH_QUESTIONS_FILE {path} holds no questions: write one per line, "
            "or unset it to use the built-in questions"
        )
    return bank


def _load(runtime: Runtime, meeting_id: int) -> Meeting | None:
    with runtime.db.read() as session:
        return session.get(
            Meeting, meeting_id, options=[selectinload(Meeting.person).selectinload(Person.emails)]
        )


def _facts(runtime: Runtime, session: Session, meeting: Meeting, person: Person) -> BriefFacts:
    zone, account = user_zone_of(runtime), runtime.account
    view = person_view(person)
    earlier = earlier_meetings(session, person.id, meeting.start, account=account)
    updated = last_done(session, person.id, "progress_update", account=account)
    thanked = last_done(session, person.id, "thank_you", account=account)
    bank = question_bank(runtime.config.questions_file)
    return BriefFacts(
        name=view.name or view.email or "",
        first_name=view.first_name,
        start=meeting.start.astimezone(zone),
        end=meeting.end.astimezone(zone),
        zone_name=str(zone),
        company=person.company or "",
        role=person.role or "",
        why_them=person.why_them or "",
        contact_notes=person.notes or "",
        introducer=_introducer(session, person, account),
        earlier=tuple(
            EarlierMeeting(local_date(m.start, zone), parse_notes(m.notes).insights)
            for m in earlier
        ),
        promises=tuple(
            OpenPromise(p.title, p.due) for p in open_promises(session, person.id, account=account)
        ),
        last_update=local_date(updated, zone) if updated else None,
        thanked_on=local_date(thanked, zone) if thanked else None,
        about_me=runtime.config.about_me,
        questions=pick_questions(bank, view.email or str(person.id), round_=len(earlier)),
    )


def _introducer(session: Session, person: Person, account: str) -> str:
    if not person.referred_by:
        return ""
    query = sa.select(Person).where(
        Person.account == account, Person.airtable_record_id == person.referred_by
    )
    introducer = session.execute(query).scalars().first()
    return (introducer.name or introducer.primary_email or "") if introducer else ""


def _write_row(runtime: Runtime, meeting: Meeting, text: str) -> None:
    """The brief into the meeting's row (by value: writing it again changes nothing). Its
    Status is left alone: a Cancelled the user just set there is theirs to keep."""
    assert meeting.person is not None
    contact = meeting.person.live_airtable_id
    row = MeetingWrite(
        event_id=meeting.event_id,
        title=meeting.title or "(untitled meeting)",
        contact_ids=(contact,) if contact else None,
        start=meeting.start,
        end=meeting.end,
        brief=text,
    )
    record_id = upsert(runtime.need_airtable(), [row]).record_ids.get(meeting.event_id)
    with runtime.db.transaction() as session:
        stored = session.get(Meeting, meeting.id)
        if stored is not None and record_id and stored.airtable_record_id is None:
            stored.airtable_record_id = record_id
        meeting.airtable_record_id = meeting.airtable_record_id or record_id
    log.info("brief.written", meeting_id=meeting.id, chars=len(text))


def prepare_key(meeting: Meeting) -> str:
    """The key of a meeting's Prepare follow-up (one per meeting, wherever it moves)."""
    return f"prepare:{meeting.event_id}:{instant_text(meeting.original_start)}"


def _prepare(runtime: Runtime, meeting: Meeting, person: Person, day: dt.date) -> None:
    """The Prepare follow-up, once; due on the meeting's day (moved with it)."""
    plan = FollowUpPlan(
        prepare_key(meeting),
        FollowUpKind.PREPARE,
        prepare_title(person_view(person).first_name),
        day,
    )
    owed = Owed(plan, person.id, person.live_airtable_id, meeting.id, meeting.airtable_record_id)
    write_followups(runtime, [owed])
    with runtime.db.read() as session:
        row = get_followup(session, plan.key, account=runtime.account)
        moved = row is not None and row.due != day
    if moved:
        upsert(runtime.need_airtable(), [FollowUpWrite(key=plan.key, due=day)])
        with runtime.db.transaction() as session:
            row = get_followup(session, plan.key, account=runtime.account)
            if row is not None:
                row.due = day
