"""Gmail's mailbox history in the sandbox: users.history.list over a bounded record.

Every message added (a draft written or edited, a draft sent, a reply received) or deleted (a
draft's replaced message, a sent draft's) is a record with a growing id. history.list answers
the records after `startHistoryId`, filtered by `historyTypes` and `labelId`, paged by
`maxResults` and `pageToken`, with the mailbox's current `historyId`. Gmail keeps history for
a limited time (at least a week, sometimes less): here the newest KEPT records, or none before
`expire`; a `startHistoryId` older than what is kept answers 404, as Gmail's does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.sandbox.gmail_params import invalid, not_found, page
from connectors.sandbox.http import Request, Response

if TYPE_CHECKING:
    from connectors.sandbox.gmail_mail import MailMessage

KEPT = 5000
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
FIRST_HISTORY_ID = 1000
KEYS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted"}


@dataclass(frozen=True)
class Record:
    """One history record: a message added or deleted, with its labels at the time."""

    id: int
    kind: str  # messageAdded | messageDeleted
    message_id: str
    thread_id: str
    labels: tuple[str, ...]

    def resource(self) -> dict[str, Any]:
        """The record as Gmail's History."""
        message = {"id": self.message_id, "threadId": self.thread_id}
        change = {"message": {**message, "labelIds": list(self.labels)}}
        return {"id": str(self.id), "messages": [message], KEYS[self.kind]: [change]}


class History:
    """The mailbox's history id and its newest records."""

    def __init__(self) -> None:
        self.current = FIRST_HISTORY_ID
        self.records: deque[Record] = deque(maxlen=KEPT)
        self._floor = FIRST_HISTORY_ID  # history ids before this one are forgotten

    def added(self, message: MailMessage) -> None:
        """A message arrived in the mailbox (a draft's included)."""
        self._record("messageAdded", message)

    def deleted(self, message: MailMessage) -> None:
        """A message left the mailbox (a draft's, replaced or sent)."""
        self._record("messageDeleted", message)

    def expire(self) -> None:
        """Forget every record so far, as Gmail does with old history."""
        self.records.clear()
        self._floor = self.current

    def _record(self, kind: str, message: MailMessage) -> None:
        self.current += 1
        if len(self.records) == self.records.maxlen:
            self._floor = self.records[0].id
        record = Record(
            self.current, kind, message.message_id, message.thread_id, tuple(message.labels)
        )
        self.records.append(record)

    def list(self, request: Request) -> Response:
        """users.history.list (the user was checked by the caller)."""
        start = _start(request.arg("startHistoryId"))
        if start < self._floor:
            raise not_found()
        kinds = request.args("historyTypes") or list(HISTORY_TYPES)
        if unknown := [k for k in kinds if k not in HISTORY_TYPES]:
            raise invalid(f"Invalid value at 'history_types' ({unknown[0]})")
        label = request.arg("labelId")
        matching = [
            r
            for r in self.records
            if r.id > start and r.kind in kinds and (label is None or label in r.labels)
        ]
        body = page(request, matching, "history", Record.resource)
        body.pop("resultSizeEstimate")
        body["historyId"] = str(self.current)
        return Response(200, body)


def _start(raw: str | None) -> int:
    if not raw:
        raise invalid("Required parameter: startHistoryId")
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"Invalid value '{raw}' for startHistoryId") from None
