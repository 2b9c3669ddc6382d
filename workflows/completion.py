"""Completed informational interviews: their Airtable rows, thank-you drafts and follow-ups.

`complete_many(runtime, meeting_ids)` runs for meetings whose end plus grace has passed.
Airtable writes are batched (ten rows a request), drafts are one request each; every step is
idempotent (contact rows created once through the effects ledger and updated by id; upserts
on Event ID and Key; drafts and Google tasks through the effects ledger), so a batch may run
again after any failure. History gets rows and the contact's dates only. A meeting that ended
before this store's first sync (a lost or new database) is looked up before anything is
written, and left alone if its Meetings row says Completed. What each meeting owes is decided
by the pure `workflows.rules.completion.plan_completion`."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from connectors.airtable.writes import ContactWrite, upsert
from connectors.records import DraftMessage, DraftRef
from workflows.contact_rows import ContactRow, ContactWriter, contact_batches
from workflows.draft_links import draft_link
from workflows.effects import once
from workflows.followup_sync import Owed, write_followups
from workflows.introductions import schedule_thanks
from workflows.kept_drafts import draft_detail, draft_ref
from workflows.outbox import THANK_YOU
from workflows.outbox import draft_detail as sent_detail
from workflows.owed import (
    completion_settings,
    invitees,
    load_meeting,
    meeting_row,
    plan_for,
    thank_you_message,
    user_zone_of,
)
from workflows.ready_batches import ReadyBatches
from workflows.rules.completion import (
    CompletionPlan,
    CompletionSettings,
)
from workflows.rules.lifecycle import MeetingStatus, completion_due
from workflows.rules.people import PersonView
from workflows.rules.reminders import ContactUpdate
from workflows.runtime import Runtime
from workflows.store.meetings import complete_meeting
from workflows.store.models import Meeting, Person
from workflows.store.people import person_view

log = structlog.get_logger(__name__)

DRAFT_THREADS = 4
"""Drafts written at once: enough to reach Gmail's quota (25 drafts a second) at 100 ms each."""


@dataclass(frozen=True)
class Outcome:
    """What completing one meeting did (for logs, the CLI and the demo)."""

    meeting_id: int
    status: str  # completed | not_due | settled | skipped | failed
    reason: str = ""
    title: str = ""
    contact: str = ""
    draft: DraftRef | None = None
    draft_subject: str = ""
    followups: tuple[str, ...] = field(default_factory=tuple)
    history: bool = False
    due_at: dt.datetime | None = None
    error: Exception | None = None  # why it failed: it is tried again


@dataclass
class _Job:
    """One meeting being completed, and what each step produced for it."""

    meeting: Meeting
    view: PersonView
    plan: CompletionPlan
    update: ContactUpdate | None = None
    contact_id: str | None = None
    draft: DraftRef | None = None
    draft_url: str | None = None
    subject: str = ""
    record_id: str | None = None
    followups: tuple[str, ...] = ()
    skipped: str | None = None
    error: Exception | None = None  # this meeting waits for a retry; the others go on
    before_store: bool = False  # it ended before this store's first sync: look before writing


def complete_many(runtime: Runtime, meeting_ids: Sequence[int]) -> list[Outcome]:
    """Apply every effect each completed meeting owes, once; settled ones are left alone.

    A meeting that fails (e.g. the user's template cannot render it, Gmail refuses its
    draft) does not hold back the others: they complete, and its outcome is `failed`, with
    the error, to be tried again.
    """
    outcomes: dict[int, Outcome] = {}
    jobs: list[_Job] = []
    settings = completion_settings(runtime, user_zone_of(runtime))
    for meeting_id in meeting_ids:
        try:
            found = _prepare(runtime, meeting_id, settings)
        except Exception as exc:  # this meeting is tried again; the others go on
            log.warning("meeting.failed", meeting_id=meeting_id, error=type(exc).__name__)
            found = Outcome(meeting_id, "failed", str(exc), error=exc)
        if isinstance(found, Outcome):
            outcomes[meeting_id] = found
        else:
            jobs.append(found)
    if jobs:
        _run(runtime, jobs)
        outcomes.update((job.meeting.id, _outcome(job)) for job in jobs)
    return [outcomes[meeting_id] for meeting_id in meeting_ids]


def _prepare(runtime: Runtime, meeting_id: int, settings: CompletionSettings) -> _Job | Outcome:
    meeting = load_meeting(runtime, meeting_id)
    if meeting is None or meeting.status != "scheduled":
        status = meeting.status if meeting else "gone"
        return Outcome(meeting_id, "settled", f"the meeting is {status}")
    due_at = completion_due(meeting.end, runtime.config.grace)
    if runtime.now() < due_at:
        return Outcome(meeting_id, "not_due", "the meeting has not ended yet", due_at=due_at)
    done_before = settings.completed_before
    before_store = done_before is not None and meeting.end <= settings.first_sync_at
    if before_store and meeting.event_id in (done_before or ()):
        _settle(runtime, meeting_id)  # its thank-you may be sent already: nothing is redone
        return Outcome(meeting_id, "settled", "its Meetings row in Airtable says Completed")
    view = person_view(meeting.person) if meeting.person is not None else None
    if view is None or not view.email:
        _settle(runtime, meeting_id)
        return Outcome(meeting_id, "skipped", "no contact with an email address for this meeting")
    plan = plan_for(meeting, view, settings, invitees(runtime, meeting))
    for reason in plan.skipped:
        log.warning("meeting.draft_skipped", meeting_id=meeting_id, reason=reason)
    return _Job(meeting, view, plan, before_store=before_store)


def _run(runtime: Runtime, jobs: list[_Job]) -> None:
    # Each Meetings row goes as soon as its contact's row and its draft exist, ten a request.
    meeting_rows = ReadyBatches[_Job](lambda ready: _write_meeting_rows(runtime, ready), 10)
    both = _WhenBoth(meeting_rows.add)
    with meeting_rows, _DraftWriter(runtime, both.arrived) as drafts:
        drafts.start([job for job in jobs if job.view.in_airtable])  # their rows exist already
        _write_contacts(runtime, jobs, drafts, both.arrived)
    _write_owed_followups(runtime, [job for job in jobs if job.record_id is not None])
    for job in jobs:
        if job.error is not None:
            continue
        _settle(runtime, job.meeting.id, job)
        log.info(
            "meeting.completed",
            meeting_id=job.meeting.id,
            history=job.plan.history,
            draft=bool(job.draft),
            followups=len(job.followups),
            skipped=job.skipped,
        )


class _WhenBoth:
    """Says a meeting is `ready` for its Meetings row once its contact's row is written and,
    when it owes one, its draft too (each is told from whichever thread finished it)."""

    def __init__(self, ready: Callable[[_Job], None]) -> None:
        self.ready = ready
        self.seen: set[int] = set()
        self.lock = threading.Lock()

    def arrived(self, job: _Job) -> None:
        """One of the two exists now (a meeting owing no draft needs only its contact's)."""
        with self.lock:
            first = job.plan.draft is not None and job.meeting.id not in self.seen
            self.seen.add(job.meeting.id)
        if not first:
            self.ready(job)


class _DraftWriter:
    """Writes thank-you drafts on threads of their own, several at once, beside the contacts.

    A contact already in Airtable has its draft started at once: the thank-you does not wait
    behind Airtable's rate limit for a row that only records the meeting. A new contact's
    draft is written once its row is created (a contact Airtable refuses to create gets
    neither). Leaving the block waits for every draft started. The Gmail client keeps them
    all within the user's quota (250 units a second, 10 a draft); each draft is still one
    `once` block of the effects ledger.
    """

    def __init__(self, runtime: Runtime, drafted: Callable[[_Job], None]) -> None:
        self.runtime, self.drafted = runtime, drafted
        self.pool = ThreadPoolExecutor(DRAFT_THREADS, thread_name_prefix="drafts")
        self.futures: list[Future[None]] = []
        self.started: set[int] = set()

    def __enter__(self) -> _DraftWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)
        for future in self.futures:
            future.result()  # _draft records a meeting's failure on its job; anything else raises

    def start(self, jobs: Sequence[_Job]) -> None:
        """Write the drafts `jobs` owe, after those already started (each once)."""
        for job in jobs:
            if job.plan.draft is not None and job.meeting.id not in self.started:
                self.started.add(job.meeting.id)
                run = contextvars.copy_context().run
                self.futures.append(self.pool.submit(run, self._draft, job))

    def _draft(self, job: _Job) -> None:
        assert job.plan.draft is not None
        try:
            job.draft, job.subject = _write_draft(self.runtime, job, job.plan.draft)
            job.draft_url = draft_link(self.runtime, job.draft)
        except Exception as exc:  # this meeting is retried; the others go on
            log.warning("meeting.failed", meeting_id=job.meeting.id, error=type(exc).__name__)
            job.error = exc
            return
        self.drafted(job)


def _write_contacts(
    runtime: Runtime, jobs: list[_Job], drafts: _DraftWriter, ready: Callable[[_Job], None]
) -> None:
    """Each contact's row once (the latest meeting wins): Last Met, Stage, Next Update Due.

    Contacts owed a draft are written first, and each batch's drafts not started yet are
    started as soon as their contacts' rows exist; each meeting whose contact's row is written
    has that `ready` (its Meetings row waits for its draft too: `_WhenBoth`).
    """
    rows: dict[str, ContactRow] = {}
    latest: dict[str, ContactUpdate] = {}
    for job in sorted(jobs, key=lambda j: j.plan.contact_update.last_met):
        view = job.view
        update = latest[view.email or ""] = job.plan.contact_update
        new = not view.in_airtable
        # The view holds Airtable's values where it has them: Google's only fill its gaps.
        write = ContactWrite(
            email=view.email or "",
            name=(view.name or view.email) if new else (view.name or None),
            company=view.company,
            role=view.role,
            google_contact=view.google_resource,
            stage=update.stage,
            last_met=update.last_met,
            next_update_due=update.next_update_due,
            record_id=None if new else view.airtable_id,
        )
        person = job.meeting.person
        rows[view.email or ""] = ContactRow(write, person.airtable_record_id if person else None)
    by_email: dict[str, list[_Job]] = {}
    for job in jobs:
        by_email.setdefault(job.view.email or "", []).append(job)
    drafted = {email for email, owed in by_email.items() if any(j.plan.draft for j in owed)}
    ordered = sorted(rows.values(), key=lambda row: row.write.email not in drafted)
    writer = ContactWriter(runtime)
    for batch in contact_batches(ordered):
        written = writer.write(batch)
        for email, record_id in written.items():
            for job in by_email[email]:
                job.contact_id = record_id
                ready(job)
        drafts.start([job for email in written for job in by_email[email]])
    result = writer.written()
    reasons = {s.record_id: s.reason for s in result.skipped}
    for job in jobs:
        email = job.view.email or ""
        job.update = latest[email]
        job.contact_id = result.record_ids.get(email)
        if email in result.errors:  # another worker is creating the row: this meeting waits
            job.error = result.errors[email]
        elif job.contact_id is None:
            why = reasons.get(email, "Airtable refused the row")
            job.skipped = f"cannot write contact {email} to Airtable: {why}"


def _write_draft(runtime: Runtime, job: _Job, message: DraftMessage) -> tuple[DraftRef, str]:
    """The thank-you draft in Gmail, once (found again, never duplicated, after a lost reply)."""
    gmail = runtime.need_google().gmail
    # Before this store (maybe_done_before), the draft is looked for by its Message-ID first.
    key = job.plan.draft_key
    with once(runtime, key, "gmail.draft", maybe_done_before=job.before_store) as draft:
        if draft.needed:
            polished = thank_you_message(runtime, job.plan)
            made = gmail.create_draft(polished, outcome_unknown=draft.outcome_unknown)
            # Found by `outbox.last_draft_to` too (an update replies in its thread).
            detail = sent_detail(made, polished, THANK_YOU) | draft_detail(made, job.plan)
            draft.applied(made.draft_id, detail)
    return draft_ref(draft.external_id, draft.detail, message.message_id), message.subject


def _write_meeting_rows(runtime: Runtime, jobs: list[_Job]) -> None:
    rows = [
        meeting_row(
            job.meeting, job.contact_id, MeetingStatus.COMPLETED, job.draft_url, job.plan.notes
        )
        for job in jobs
    ]
    result = upsert(runtime.need_airtable(), rows)
    reasons = {s.record_id: s.reason for s in result.skipped}
    for job in jobs:
        job.record_id = result.record_ids.get(job.meeting.event_id)
        if job.record_id is None:
            why = reasons.get(job.meeting.event_id, "Airtable refused the row")
            job.skipped = f"cannot write meeting {job.meeting.event_id} to Airtable: {why}"


def _write_owed_followups(runtime: Runtime, jobs: list[_Job]) -> None:
    owed: list[Owed] = []
    for job in jobs:
        meeting = job.meeting
        plans = job.plan.followups
        job.followups = tuple(plan.title for plan in plans)
        owed += [
            Owed(plan, meeting.person_id, job.contact_id, meeting.id, job.record_id)
            for plan in plans
        ]
    write_followups(runtime, owed)


def _settle(runtime: Runtime, meeting_id: int, job: _Job | None = None) -> None:
    """Record in the store what now exists outside, and that the meeting is completed."""
    with runtime.db.transaction() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return
        complete_meeting(meeting, at=runtime.now())
        if job is None:
            return
        meeting.notes = job.plan.notes or None  # as written to Airtable: not an edit later
        meeting.airtable_record_id = job.record_id or meeting.airtable_record_id
        if job.draft is not None:
            meeting.draft_id, meeting.draft_message_id = job.draft.draft_id, job.draft.message_id
            meeting.draft_url = job.draft_url
        person = session.get(Person, meeting.person_id) if meeting.person_id else None
        if person is not None and job.update is not None and job.contact_id is not None:
            person.airtable_record_id = job.contact_id
            person.airtable_deleted = False
            person.last_met, person.next_update_due = (
                job.update.last_met,
                job.update.next_update_due,
            )
            person.stage = job.update.stage
        if person is not None and person.referred_by and not (job.plan.history or job.skipped):
            schedule_thanks(session, meeting, runtime.now(), account=runtime.account)


def _outcome(job: _Job) -> Outcome:
    if job.error is not None:
        meeting = job.meeting
        return Outcome(meeting.id, "failed", str(job.error), meeting.title, error=job.error)
    if job.skipped is not None:
        return Outcome(job.meeting.id, "skipped", job.skipped, title=job.meeting.title)
    return Outcome(
        job.meeting.id,
        "completed",
        title=job.meeting.title,
        contact=job.view.name or job.view.email or "",
        draft=job.draft,
        draft_subject=job.subject,
        followups=job.followups,
        history=job.plan.history,
    )
