"""Google Tasks against the sandbox: one list, one task per key, whatever fails on the way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from connectors.errors import AmbiguousWrite
from connectors.google.client import GoogleClient
from connectors.google.tasks import TASK_LIST_TITLE
from connectors.records import TaskItem
from connectors.sandbox.server import Sandbox

ITEM = TaskItem(
    title="Send Ada the notes link — café ☕",
    key="action:evtinterviewada01:2026-03-02T15:00:00+00:00:0123456789ab",
    due=dt.date(2026, 3, 9),
    notes="Promised in the informational interview.",
)


def insert_until_done(client: GoogleClient, tasklist: str, item: TaskItem) -> TaskItem:
    """What a caller does: after an AmbiguousWrite, try again saying the outcome is unknown."""
    unknown = False
    for _ in range(5):
        try:
            return client.tasks.insert_task(tasklist, item, outcome_unknown=unknown)
        except AmbiguousWrite:
            unknown = True
    raise AssertionError("never inserted")


def ensure_until_done(client: GoogleClient) -> str:
    for _ in range(5):
        try:
            return client.tasks.ensure_task_list()
        except AmbiguousWrite:
            continue
    raise AssertionError("never ensured")


def test_task_list_is_made_once(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    sandbox.drop_next_writes("tasks.tasklists.insert", times=1)

    first = ensure_until_done(client)
    second = client.tasks.ensure_task_list()

    assert first == second
    titles = [t for t in sandbox.state()["tasks"]["lists"] if t["title"] == TASK_LIST_TITLE]
    assert len(titles) == 1


def test_task_is_inserted_with_key_in_notes_and_date_only_due(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    tasklist = client.tasks.ensure_task_list()

    made = client.tasks.insert_task(tasklist, ITEM)

    assert made.task_id and made.key == ITEM.key
    assert made.due == dt.date(2026, 3, 9)
    assert made.notes == ITEM.notes
    (stored,) = sandbox.tasks(tasklist)
    assert ITEM.key in stored["notes"] and stored["title"] == ITEM.title


def test_ambiguous_inserts_end_with_each_task_exactly_once(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    tasklist = client.tasks.ensure_task_list()
    sandbox.set_ambiguous_rate("tasks.tasks.insert", 0.4)
    sandbox.set_error_rate("tasks", 503, 0.2)
    sandbox.set_error_rate("tasks", 429, 0.1)
    keys = [f"action:e{i}:2026-03-02:{i:012d}" for i in range(15)]

    for key in keys:
        insert_until_done(client, tasklist, TaskItem(title=f"Do {key}", key=key))

    sandbox.clear_faults()
    notes = [t["notes"] for t in sandbox.tasks(tasklist)]
    assert sorted(n.rsplit(": ", 1)[1] for n in notes) == sorted(keys)


def test_patch_updates_the_same_task(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(sandbox)
    tasklist = client.tasks.ensure_task_list()
    made = client.tasks.insert_task(tasklist, ITEM)

    done = client.tasks.patch_task(
        tasklist, TaskItem(**{**made.__dict__, "completed": True, "due": dt.date(2026, 3, 10)})
    )

    assert done.completed and done.due == dt.date(2026, 3, 10) and done.task_id == made.task_id
    assert client.tasks.find_task(tasklist, ITEM.key) == done
    assert len(sandbox.tasks(tasklist)) == 1
