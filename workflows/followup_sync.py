"""Follow-ups into the store, Airtable's Follow-ups table and (optionally) Google Tasks.

A follow-up is created once per key: the store row first, then one batched upsert on Key,
then the Google Tasks mirror through the effects ledger. A follow-up that already has its
Airtable record is not written again, so a status the user changed there is never reset.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.records import TaskItem
from workflows.effects import apply_once
from workflows.rules.followups import FollowUpKind, FollowUpPlan, FollowUpStatus
from workflows.runtime import Runtime
from workflows.store.followups import add_followup, get_followup
from workflows.store.models import Followup

log = structlog.get_logger(__name__)

STORE_KINDS = {
    FollowUpKind.THANK_YOU: "thank_you",
    FollowUpKind.ACTION_ITEM: "action_item",
    FollowUpKind.PROGRESS_UPDATE: "progress_update",
}
TASK_LIST_KEY = "tasks:list"


def write_followups(
    runtime: Runtime,
    plans: Sequence[FollowUpPlan],
    person_id: int | None,
    contact_record_id: str | None,
    meeting_id: int | None = None,
    meeting_record_id: str | None = None,
) -> tuple[str, ...]:
    """Create each planned follow-up once everywhere it belongs; returns their titles."""
    if not plans:
        return ()
    pending = _store(runtime, plans, person_id, meeting_id)
    if pending:
        _to_airtable(runtime, pending, contact_record_id, meeting_record_id)
    if runtime.config.mirror_to_google:
        for plan in plans:
            _to_google_tasks(runtime, plan)
    return tuple(plan.title for plan in plans)


def _store(
    runtime: Runtime, plans: Sequence[FollowUpPlan], person_id: int | None, meeting_id: int | None
) -> list[FollowUpPlan]:
    """Add the rows; return the plans whose Airtable record does not exist yet."""
    pending: list[FollowUpPlan] = []
    with runtime.db.transaction() as session:
        for plan in plans:
            row, _ = add_followup(
                session,
                key=plan.key,
                kind=STORE_KINDS[plan.kind],
                title=plan.title,
                due=plan.due,
                person_id=person_id,
                meeting_id=meeting_id,
                account=runtime.account,
            )
            if row.airtable_record_id is None:
                pending.append(plan)
    return pending


def _to_airtable(
    runtime: Runtime,
    plans: Sequence[FollowUpPlan],
    contact_record_id: str | None,
    meeting_record_id: str | None,
) -> None:
    rows = [
        FollowUpWrite(
            key=plan.key,
            title=plan.title,
            contact_ids=(contact_record_id,) if contact_record_id else None,
            meeting_ids=(meeting_record_id,) if meeting_record_id else None,
            kind=plan.kind.value,
            due=plan.due,
            status=FollowUpStatus.OPEN.value,
        )
        for plan in plans
    ]
    result = upsert(runtime.need_airtable(), rows)
    with runtime.db.transaction() as session:
        for key, record_id in result.record_ids.items():
            row = get_followup(session, key, account=runtime.account)
            if row is not None:
                row.airtable_record_id = record_id
    for skipped in result.skipped:
        log.warning("followup.skipped", key=skipped.record_id, reason=skipped.reason)


def _to_google_tasks(runtime: Runtime, plan: FollowUpPlan) -> None:
    tasks = runtime.need_google().tasks
    tasklist = apply_once(
        runtime,
        TASK_LIST_KEY,
        "tasks.list",
        lambda unknown: tasks.ensure_task_list(),
        lambda list_id: (list_id, {}),
    ).external_id
    item = TaskItem(title=plan.title, key=plan.key, due=plan.due)
    applied = apply_once(
        runtime,
        f"task:{plan.key}",
        "tasks.task",
        lambda unknown: tasks.insert_task(tasklist, item, outcome_unknown=unknown),
        lambda task: (task.task_id or "", {"tasklist": tasklist}),
    )
    with runtime.db.transaction() as session:
        row: Followup | None = get_followup(session, plan.key, account=runtime.account)
        if row is not None and row.task_id is None:
            row.task_id = applied.external_id
