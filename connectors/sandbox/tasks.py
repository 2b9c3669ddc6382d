"""Google Tasks v1 in the sandbox: task lists (list, insert) and tasks (list, get, insert, patch).

`due` keeps the date only, as Google does: the time of day is discarded when it is set.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from connectors.sandbox.calendar_store import parse_time, rfc3339
from connectors.sandbox.http import HttpError, Request, Response, Router, google_error
from connectors.sandbox.tokens import decode_token, encode_token
from connectors.sandbox.values import clone

LISTS = "/tasks/v1/users/@me/lists"
TASKS = "/tasks/v1/lists/{tasklist}/tasks"
EDITABLE = ("title", "notes", "status", "due", "completed", "deleted", "hidden", "links", "parent")


def _error(status: int, message: str, reason: str, grpc_status: str) -> HttpError:
    return HttpError(google_error(status, message, reason=reason, grpc_status=grpc_status))


def _not_found() -> HttpError:
    return _error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")


def _invalid(message: str) -> HttpError:
    return _error(400, message, "invalid", "INVALID_ARGUMENT")


def _now() -> str:
    return rfc3339(dt.datetime.now(dt.UTC))


def date_only(value: Any) -> str:
    """An RFC 3339 `due` reduced to its date at midnight UTC, as Tasks stores it."""
    try:
        moment = parse_time(str(value))
    except ValueError:
        raise _invalid(f"Invalid value for: due: {value!r} is not an RFC 3339 timestamp") from None
    return moment.date().isoformat() + "T00:00:00.000Z"


class TasksApi:
    """The user's task lists and their tasks."""

    def __init__(self, tasklists: list[dict[str, Any]]) -> None:
        self.lists: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, dict[str, Any]]] = {}  # list id -> task id -> task
        self._ids = itertools.count(1)
        self.default_id = self._insert_list({"title": "My Tasks"})["id"]
        for data in tasklists:
            created = self._insert_list(data)
            for task in data.get("tasks", []):
                self._insert_task(created["id"], task)

    def register(self, router: Router) -> None:
        """Serve the Tasks paths."""
        router.add("GET", LISTS, self.list_lists, name="tasks.tasklists.list", api="google")
        router.add(
            "POST", LISTS, self.insert_list, name="tasks.tasklists.insert", api="google", write=True
        )
        router.add("GET", TASKS, self.list_tasks, name="tasks.tasks.list", api="google")
        router.add(
            "POST", TASKS, self.insert_task, name="tasks.tasks.insert", api="google", write=True
        )
        router.add("GET", TASKS + "/{task}", self.get_task, name="tasks.tasks.get", api="google")
        router.add(
            "PATCH",
            TASKS + "/{task}",
            self.patch_task,
            name="tasks.tasks.patch",
            api="google",
            write=True,
        )

    # --- state -----------------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"MTAx{next(self._ids):012d}"

    def _insert_list(self, data: dict[str, Any]) -> dict[str, Any]:
        list_id = str(data.get("id") or self._new_id())
        stored = {
            "kind": "tasks#taskList", "id": list_id, "etag": f'"{list_id}-1"',
            "title": str(data.get("title", "")),
            "updated": _now(), "selfLink": f"https://www.googleapis.com/tasks/v1/users/@me/lists/{list_id}",
        }  # fmt: skip
        self.lists[list_id] = stored
        self.tasks.setdefault(list_id, {})
        return clone(stored)

    def _insert_task(self, list_id: str, data: dict[str, Any]) -> dict[str, Any]:
        task_id = self._new_id()
        task: dict[str, Any] = {
            "kind": "tasks#task", "id": task_id, "title": "", "status": "needsAction",
            "selfLink": f"https://www.googleapis.com/tasks/v1/lists/{list_id}/tasks/{task_id}",
            "position": f"{len(self.tasks[list_id]):020d}", "links": [],
            "webViewLink": f"https://tasks.google.com/task/{task_id}",
        }  # fmt: skip
        self._apply(task, data)
        self.tasks[list_id][task_id] = task
        return clone(task)

    def _apply(self, task: dict[str, Any], changes: dict[str, Any]) -> None:
        for key in EDITABLE:
            if key in changes:
                task[key] = changes[key]
        if task.get("due") is not None:
            task["due"] = date_only(task["due"])
        elif "due" in task:
            del task["due"]
        if task.get("status") not in ("needsAction", "completed"):
            raise _invalid(f"Invalid value for: status: {task.get('status')!r}")
        if task["status"] == "completed":
            task.setdefault("completed", _now())
        else:
            task.pop("completed", None)
        task["updated"] = _now()
        task["etag"] = f'"{task["id"]}-{task["updated"]}"'

    def stored_tasks(self, tasklist_id: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one list, or of all), each with a `tasklist` field naming its list."""
        chosen = [tasklist_id] if tasklist_id else list(self.tasks)
        return [
            {**clone(t), "tasklist": lid}
            for lid in chosen
            for t in self.tasks.get(lid, {}).values()
        ]

    def snapshot(self) -> dict[str, Any]:
        """Task lists and their tasks."""
        return {
            "lists": [clone(v) for v in self.lists.values()],
            "tasks": self.stored_tasks(),
        }

    # --- handlers --------------------------------------------------------------------------

    def _list_id(self, request: Request) -> str:
        list_id = request.params["tasklist"]
        list_id = self.default_id if list_id == "@default" else list_id
        if list_id not in self.lists:
            raise _not_found()
        return list_id

    def _body(self, request: Request) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict):
            raise _invalid("Invalid JSON payload received. Expected an object.")
        return body

    def list_lists(self, request: Request) -> Response:
        """tasklists.list (maxResults up to 1000)."""
        items = list(self.lists.values())
        return Response(200, _page(request, items, "tasks#taskLists", default=1000, maximum=1000))

    def insert_list(self, request: Request) -> Response:
        """tasklists.insert."""
        return Response(200, self._insert_list({"title": self._body(request).get("title", "")}))

    def list_tasks(self, request: Request) -> Response:
        """tasks.list (maxResults up to 100; completed shown unless showCompleted=false)."""
        list_id = self._list_id(request)
        show_completed = (request.arg("showCompleted") or "true").lower() == "true"
        show_hidden = (request.arg("showHidden") or "false").lower() == "true"
        items = [
            t for t in self.tasks[list_id].values()
            if not t.get("deleted") and (show_completed or t["status"] != "completed")
            and (show_hidden or not t.get("hidden"))
        ]  # fmt: skip
        return Response(200, _page(request, items, "tasks#tasks", default=20, maximum=100))

    def insert_task(self, request: Request) -> Response:
        """tasks.insert."""
        list_id = self._list_id(request)
        return Response(200, self._insert_task(list_id, self._body(request)))

    def _task(self, request: Request) -> dict[str, Any]:
        task = self.tasks[self._list_id(request)].get(request.params["task"])
        if task is None:
            raise _not_found()
        return task

    def get_task(self, request: Request) -> Response:
        """tasks.get."""
        return Response(200, clone(self._task(request)))

    def patch_task(self, request: Request) -> Response:
        """tasks.patch: change only the fields given."""
        task = self._task(request)
        self._apply(task, self._body(request))
        return Response(200, clone(task))


def _page(
    request: Request, items: list[dict[str, Any]], kind: str, *, default: int, maximum: int
) -> dict[str, Any]:
    """One page of a Tasks list response."""
    raw = request.arg("maxResults")
    try:
        size = min(int(raw), maximum) if raw else default
    except ValueError:
        raise _invalid(f"Invalid value '{raw}' for maxResults") from None
    token = request.arg("pageToken")
    cursor = decode_token(token) if token else {"o": 0}
    if cursor is None or not isinstance(cursor.get("o"), int):
        raise _invalid("Invalid pageToken")
    offset = int(cursor["o"])
    body: dict[str, Any] = {
        "kind": kind,
        "etag": f'"{len(items)}"',
        "items": [clone(i) for i in items[offset : offset + max(size, 1)]],
    }
    if offset + size < len(items):
        body["nextPageToken"] = encode_token({"o": offset + size})
    return body
