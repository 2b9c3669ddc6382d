"""Follow-ups into the store, Airtable's Follow-ups table and (optionally) Google Tasks.

A follow-up is created once per key: the store rows first, then upserts on Key in batches
of ten (however many meetings or contacts the follow-ups belong to), then the Google Tasks
mirror through the effects ledger. A follow-up that already has its Airtable record is not
written again, so a status the user changed there is never reset. `add_task_notes` adds lines
to a follow-up's Google Task notes, after what the user wrote there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import structlog

from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.records import TaskItem
from workflows.effects import once
from workflows.rules.followups import FollowUpKind, FollowUpPlan, FollowUpStatus
from workflows.runtime import Runtime
from workflows.store.followups import add_followup, get_followup

log = structlog.get_logger(__name__)

STORE_KINDS = {
    FollowUpKind.THANK_YOU: "thank_you",
    FollowUpKind.ACTION_ITEM: "action_item",
    FollowUpKind.PROGRESS_UPDATE: "progress_update",
    FollowUpKind.ASK: "ask",
    FollowUpKind.NUDGE: "nudge",
    FollowUpKind.PREPARE: "prepare",
    FollowUpKind.RESCHEDULE: "reschedule",
    FollowUpKind.THANK_INTRODUCER: "thank_introducer",
}
TASK_LIST_KEY = "tasks:list"


@dataclass(frozen=True)
class Owed:
    """A planned follow-up and whom it belongs to (store ids and Airtable record ids)."""

    plan: FollowUpPlan
    person_id: int | None
    contact_record_id: str | None
    meeting_id: int | None = None
    meeting_record_id: str | None = None
    draft_url: str | None = None  # the Gmail draft this follow-up is about


def write_followups(runtime: Runtime, owed: Sequence[Owed]) -> tuple[str, ...]:
    """Create each follow-up once everywhere it belongs; returns their titles."""
    if not owed:
        return ()
    pending = _store(runtime, owed)
    if pending:
        _to_airtable(runtime, pending)
    if runtime.config.mirror_to_google:
        tasklist = task_list(runtime)
        for item in owed:
            _to_google_tasks(runtime, tasklist, item.plan)
    return tuple(item.plan.title for item in owed)


def _store(runtime: Runtime, owed: Sequence[Owed]) -> list[Owed]:
    """Add the rows; return those whose Airtable record does not exist yet."""
    pending: list[Owed] = []
    with runtime.db.transaction() as session:
        for item in owed:
            row, _ = add_followup(
                session,
                key=item.plan.key,
                kind=STORE_KINDS[item.plan.kind],
                title=item.plan.title,
                due=item.plan.due,
                person_id=item.person_id,
                meeting_id=item.meeting_id,
                account=runtime.account,
            )
            if row.airtable_record_id is None:
                pending.append(item)
    return pending


def _to_airtable(runtime: Runtime, owed: Sequence[Owed]) -> None:
    rows = [
        FollowUpWrite(
            key=item.plan.key,
            title=item.plan.title,
            contact_ids=(item.contact_record_id,) if item.contact_record_id else None,
            meeting_ids=(item.meeting_record_id,) if item.meeting_record_id else None,
            kind=item.plan.kind.value,
            due=item.plan.due,
            status=FollowUpStatus.OPEN.value,
            draft=item.draft_url,
        )
        for item in owed
    ]
    result = upsert(runtime.need_airtable(), rows)
    with runtime.db.transaction() as session:
        for key, record_id in result.record_ids.items():
            row = get_followup(session, key, account=runtime.account)
            if row is not None:
                row.airtable_record_id = record_id
    for skipped in result.skipped:
        log.warning("followup.skipped", key=skipped.record_id, reason=skipped.reason)


def task_list(runtime: Runtime) -> str:
    """The Followthrough task list's id (made once, found through the ledger after that)."""
    tasks = runtime.need_google().tasks
    with once(runtime, TASK_LIST_KEY, "tasks.list") as made:
        if made.needed:
            made.applied(tasks.ensure_task_list())
    return made.external_id


def complete_task(runtime: Runtime, task_id: str) -> None:
    """A mirrored follow-up's Google Task ticked off, its title, due day and notes as the user
    left them (a patch carries the whole task: it is read first)."""
    tasks, tasklist = runtime.need_google().tasks, task_list(runtime)
    task = tasks.get_task(tasklist, task_id)
    if task is not None and not task.completed:
        tasks.patch_task(tasklist, replace(task, completed=True))


def _to_google_tasks(runtime: Runtime, tasklist: str, plan: FollowUpPlan) -> None:
    tasks = runtime.need_google().tasks
    item = TaskItem(title=plan.title, key=plan.key, due=plan.due)
    with once(runtime, f"task:{plan.key}", "tasks.task") as task:
        if task.needed:
            made = tasks.insert_task(tasklist, item, outcome_unknown=task.outcome_unknown)
            task.applied(made.task_id or "", {"tasklist": tasklist})
    with runtime.db.transaction() as session:
        row = get_followup(session, plan.key, account=runtime.account)
        if row is not None and row.task_id is None:
            row.task_id = task.external_id
