"""Lines added to a follow-up's notes: its Airtable `Notes` cell and, when follow-ups are
mirrored there, its Google Task's notes.

The lines go after what is there (what the user wrote stays as they wrote it), and a line
already there is not added again, so adding the same lines twice changes nothing: the
current notes are read before each write, which also makes a write whose reply was lost
safe to repeat. A base made before the Follow-ups `Notes` field existed keeps working: the
Airtable write is left out, with a note saying to run `airtable init`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from connectors.airtable.readers import read_follow_ups
from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.errors import UserActionRequired
from workflows.followup_sync import task_list
from workflows.runtime import Runtime
from workflows.store.followups import get_followup

log = structlog.get_logger(__name__)

NO_NOTES_FIELD = (
    "the base's Follow-ups table has no Notes field yet: run `followthrough airtable init`"
)


@dataclass(frozen=True)
class NotesAdded:
    """Where the lines went: the follow-up's Airtable row, its Google Task; `missing` says why
    the Airtable row could not take them (empty when it could)."""

    airtable: bool = False
    task: bool = False
    missing: str = ""

    @property
    def anywhere(self) -> bool:
        """True when the lines are in at least one of the follow-up's notes."""
        return self.airtable or self.task


def add_notes(runtime: Runtime, key: str, lines: Sequence[str]) -> NotesAdded:
    """Add to follow-up `key`'s notes, in Airtable and its Google Task, the `lines` not there."""
    with runtime.db.read() as session:
        row = get_followup(session, key, account=runtime.account)
        record_id, task_id = (row.airtable_record_id, row.task_id) if row else (None, None)
    missing = ""
    try:
        in_airtable = record_id is not None and _add_in_airtable(runtime, key, record_id, lines)
    except UserActionRequired as exc:
        log.warning("followup.notes_skipped", key=key, reason=str(exc))
        in_airtable, missing = False, NO_NOTES_FIELD
    in_task = task_id is not None and _add_in_task(runtime, task_id, lines)
    return NotesAdded(in_airtable, in_task, missing)


def appended(notes: str | None, lines: Sequence[str]) -> str | None:
    """`notes` with the `lines` not in it added at its end; None when every line is there."""
    there = set((notes or "").splitlines())
    new = [line for line in lines if line not in there]
    if not new:
        return None
    return "\n".join([(notes or "").rstrip(), *new]).strip()


def _add_in_airtable(runtime: Runtime, key: str, record_id: str, lines: Sequence[str]) -> bool:
    """False when the row is gone (the user deleted it: it is not made again for a note)."""
    client = runtime.need_airtable()
    found = [r for page in read_follow_ups(client, record_ids=[record_id]) for r in page.records]
    if not found:
        return False
    notes = appended(found[0].notes, lines)
    if notes is not None:
        upsert(client, [FollowUpWrite(key=key, notes=notes)])
    return True


def _add_in_task(runtime: Runtime, task_id: str, lines: Sequence[str]) -> bool:
    """False when follow-ups are not mirrored to Google Tasks, or the task is gone."""
    if not runtime.config.mirror_to_google:
        return False
    tasks, tasklist = runtime.need_google().tasks, task_list(runtime)
    task = tasks.get_task(tasklist, task_id)
    if task is None:
        return False
    notes = appended(task.notes, lines)
    if notes is not None:
        tasks.patch_task(tasklist, dataclasses.replace(task, notes=notes))
    return True
