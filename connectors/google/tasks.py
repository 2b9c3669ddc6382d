"""Google Tasks: the "Followthrough" task list and its tasks, each made exactly once.

A task keeps its idempotency key in its notes (a last line `followthrough-key: KEY`), so after a
write with an unknown outcome the task is looked up by key before it is inserted again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import structlog

from connectors.errors import NotFound
from connectors.google.calls import execute
from connectors.google.paging import replies
from connectors.policy import RetryPolicy
from connectors.records import TaskItem

log = structlog.get_logger(__name__)

TASK_LIST_TITLE = "Followthrough"
KEY_PREFIX = "followthrough-key: "
PAGE_SIZE = 100  # the largest page tasks.list and tasklists.list allow


class TasksClient:
    """Tasks v1 calls on a per-thread service object (see GoogleClient)."""

    def __init__(self, service: Callable[[], Any], policy: RetryPolicy) -> None:
        self._service = service
        self._policy = policy

    def ensure_task_list(self, title: str = TASK_LIST_TITLE) -> str:
        """The id of the task list named `title`, created when missing (looked up first, always)."""
        for task_list in self._all("tasklists", "tasks.tasklists.list"):
            if task_list.get("title") == title:
                return str(task_list["id"])
        request = self._service().tasklists().insert(body={"title": title})
        reply = execute(
            request.execute,
            policy=self._policy,
            operation="tasks.tasklists.insert",
            idempotent=False,
        )
        log.info("tasks.list_created", tasklist_id=reply["id"])
        return str(reply["id"])

    def insert_task(
        self, tasklist_id: str, item: TaskItem, *, outcome_unknown: bool = False
    ) -> TaskItem:
        """Insert the task once; after an unknown outcome, return the task that has its key.

        Raises AmbiguousWrite when this attempt's outcome is unknown: call again with
        `outcome_unknown=True`.
        """
        if outcome_unknown and (found := self.find_task(tasklist_id, item.key)):
            log.info("tasks.task_found", task_id=found.task_id)
            return found
        request = self._service().tasks().insert(tasklist=tasklist_id, body=task_body(item))
        reply = execute(
            request.execute, policy=self._policy, operation="tasks.tasks.insert", idempotent=False
        )
        log.info("tasks.task_created", task_id=reply["id"])
        return parse_task(reply) or item

    def patch_task(self, tasklist_id: str, item: TaskItem) -> TaskItem:
        """Bring an existing task (item.task_id) in line with `item` (idempotent)."""
        if not item.task_id:
            raise ValueError("patch_task needs the task's id")
        body = task_body(item)
        request = self._service().tasks().patch(tasklist=tasklist_id, task=item.task_id, body=body)
        reply = execute(request.execute, policy=self._policy, operation="tasks.tasks.patch")
        return parse_task(reply) or item

    def get_task(self, tasklist_id: str, task_id: str) -> TaskItem | None:
        """The task as it is now; None when it is gone or not Followthrough's (no key)."""
        request = self._service().tasks().get(tasklist=tasklist_id, task=task_id)
        try:
            reply = execute(request.execute, policy=self._policy, operation="tasks.tasks.get")
        except NotFound:
            return None
        return parse_task(reply)

    def find_task(self, tasklist_id: str, key: str) -> TaskItem | None:
        """The task whose notes carry `key`, completed and hidden tasks included."""
        for raw in self._all(
            "tasks", "tasks.tasks.list", tasklist=tasklist_id, showCompleted=True, showHidden=True
        ):
            task = parse_task(raw)
            if task is not None and task.key == key:
                return task
        return None

    def _all(self, resource: str, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        def request(page_token: str | None) -> Any:
            collection = getattr(self._service(), resource)()
            return collection.list(maxResults=PAGE_SIZE, pageToken=page_token, **params)

        for reply, _ in replies(request, policy=self._policy, operation=operation):
            yield from reply.get("items") or []


def task_body(item: TaskItem) -> dict[str, Any]:
    """The Tasks API body for `item`: the key ends the notes; `due` is a date (midnight UTC)."""
    notes = (
        f"{item.notes.rstrip()}\n\n{KEY_PREFIX}{item.key}"
        if item.notes.strip()
        else f"{KEY_PREFIX}{item.key}"
    )
    body = {
        "title": item.title,
        "notes": notes,
        "status": "completed" if item.completed else "needsAction",
    }
    if item.due:
        body["due"] = f"{item.due.isoformat()}T00:00:00.000Z"
    return body


def parse_task(raw: dict[str, Any]) -> TaskItem | None:
    """A TaskItem from a Tasks API task; None for a task Followthrough did not make (no key)."""
    notes, key = split_notes(str(raw.get("notes") or ""))
    if key is None:
        return None
    due = raw.get("due")
    return TaskItem(
        title=str(raw.get("title") or ""),
        key=key,
        due=dt.date.fromisoformat(due[:10]) if due else None,
        notes=notes,
        completed=raw.get("status") == "completed",
        task_id=raw.get("id"),
    )


def split_notes(notes: str) -> tuple[str, str | None]:
    """The user-visible notes and the idempotency key from a task's notes."""
    head, _, last = notes.rstrip().rpartition("\n")
    if last.startswith(KEY_PREFIX):
        return head.rstrip(), last[len(KEY_PREFIX) :].strip()
    return notes, None
