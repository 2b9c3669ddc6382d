"""Google Tasks in the sandbox, driven through the real google-api-python-client."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import service


@pytest.fixture
def tasks(sandbox: Sandbox) -> Any:
    return service(sandbox, "tasks")


def test_a_new_task_list_is_listed(tasks: Any) -> None:
    created = tasks.tasklists().insert(body={"title": "Followthrough"}).execute()
    titles = {t["title"]: t["id"] for t in tasks.tasklists().list().execute()["items"]}
    assert titles["Followthrough"] == created["id"] and "My Tasks" in titles


def test_due_keeps_the_date_only(tasks: Any, sandbox: Sandbox) -> None:
    list_id = tasks.tasklists().insert(body={"title": "F"}).execute()["id"]
    task = (
        tasks.tasks()
        .insert(
            tasklist=list_id,
            body={"title": "Send notes to Ada", "due": "2026-03-04T17:45:00-05:00"},
        )
        .execute()
    )
    assert task["due"] == "2026-03-04T00:00:00.000Z" and task["status"] == "needsAction"
    [stored] = sandbox.tasks(list_id)
    assert stored["title"] == "Send notes to Ada"


def test_patch_completes_a_task_and_list_can_hide_completed(tasks: Any) -> None:
    task = tasks.tasks().insert(tasklist="@default", body={"title": "Thank Ada"}).execute()
    done = (
        tasks.tasks()
        .patch(tasklist="@default", task=task["id"], body={"status": "completed"})
        .execute()
    )
    assert done["status"] == "completed" and done["completed"] and done["title"] == "Thank Ada"
    assert tasks.tasks().list(tasklist="@default", showCompleted=False).execute()["items"] == []
    assert len(tasks.tasks().list(tasklist="@default").execute()["items"]) == 1


def test_tasks_page_through(tasks: Any) -> None:
    for n in range(45):
        tasks.tasks().insert(tasklist="@default", body={"title": f"t{n}"}).execute()
    seen, token = [], None
    while True:
        page = tasks.tasks().list(tasklist="@default", maxResults=20, pageToken=token).execute()
        seen += [t["title"] for t in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert sorted(seen) == sorted(f"t{n}" for n in range(45))


def test_unknown_list_or_task_is_404(tasks: Any) -> None:
    for call in (
        tasks.tasks().list(tasklist="nope"),
        tasks.tasks().patch(tasklist="@default", task="nope", body={}),
    ):
        with pytest.raises(HttpError) as caught:
            call.execute()
        assert caught.value.resp.status == 404
