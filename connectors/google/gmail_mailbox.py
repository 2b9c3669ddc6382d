"""Reading the user's mailbox with gmail.metadata: whether a thank-you was sent or answered.

Only headers and labels are read, never a body (the gmail.metadata scope allows no more, and
refuses `q` searches). The profile gives the address (for draft links) and the history id to
start from; `changes_since` reads Gmail's history from there and returns what happened as
typed records: a message sent in a thread, or received in a thread from an address. Gmail
keeps history for about a week: an older start raises HistoryTooOld, and the caller falls back
to `thread_events` for the threads it follows (e.g. each open draft's).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connectors.errors import NotFound, ResyncRequired
from connectors.google.calls import execute
from connectors.google.paging import replies
from connectors.google.quota import Quota
from connectors.policy import RetryPolicy

HEADERS = ["From", "Date"]


class HistoryTooOld(ResyncRequired):
    """Gmail no longer has history from the given id: read the followed threads instead."""


@dataclass(frozen=True)
class MailProfile:
    """The mailbox's address and where its history stands now."""

    email: str
    history_id: str


@dataclass(frozen=True)
class MessageSent:
    """The user sent a message in a thread (a thank-you draft, once sent)."""

    thread_id: str
    message_id: str
    at: dt.datetime


@dataclass(frozen=True)
class MessageReceived:
    """A message from `sender` (a bare, lower-case address) arrived in a thread."""

    thread_id: str
    message_id: str
    sender: str
    at: dt.datetime


MailEvent = MessageSent | MessageReceived


@dataclass(frozen=True)
class MailChanges:
    """What happened since a history id, and the history id to read from next time."""

    events: tuple[MailEvent, ...]
    history_id: str


class MailboxReads:
    """Gmail v1 metadata reads; mixed into GmailClient (same service and policy)."""

    _service: Callable[[], Any]
    _policy: RetryPolicy
    _quota: Quota

    def profile(self) -> MailProfile:
        """users.getProfile: the address and the current history id."""
        request = self._users().getProfile(userId="me")
        reply = execute(
            self._paced(request, "gmail.getProfile"),
            policy=self._policy,
            operation="gmail.getProfile",
        )
        return MailProfile(email=str(reply["emailAddress"]), history_id=str(reply["historyId"]))

    def changes_since(self, history_id: str) -> MailChanges:
        """Messages sent or received since `history_id` (drafts are not events).

        Raises HistoryTooOld when Gmail has no history from there any more.
        """
        added: dict[str, str] = {}
        latest = history_id
        for reply in self._history_pages(history_id):
            latest = str(reply.get("historyId") or latest)
            for record in reply.get("history") or []:
                for entry in record.get("messagesAdded") or []:
                    message = entry.get("message") or {}
                    if {"SENT", "INBOX"} & set(message.get("labelIds") or []):
                        added[str(message["id"])] = str(message.get("threadId"))
        events = [e for e in map(self._event, added) if e is not None]
        return MailChanges(tuple(events), latest)

    def thread_events(self, thread_id: str) -> list[MailEvent]:
        """The sent and received messages of one thread, oldest first (NotFound when gone)."""
        request = (
            self._users()
            .threads()
            .get(userId="me", id=thread_id, format="metadata", metadataHeaders=HEADERS)
        )
        reply = execute(
            self._paced(request, "gmail.threads.get"),
            policy=self._policy,
            operation="gmail.threads.get",
        )
        events = (_event(message) for message in reply.get("messages") or [])
        return [e for e in events if e is not None]

    def _history_pages(self, history_id: str) -> Iterator[dict[str, Any]]:
        def page(token: str | None) -> Any:
            return _Paced(self._quota, "gmail.history.list", listing(token))

        def listing(token: str | None) -> Any:
            return (
                self._users()
                .history()
                .list(
                    userId="me",
                    startHistoryId=history_id,
                    historyTypes="messageAdded",
                    maxResults=500,
                    pageToken=token,
                )
            )

        try:
            for reply, _ in replies(page, policy=self._policy, operation="gmail.history.list"):
                yield reply
        except NotFound as exc:
            raise HistoryTooOld(
                f"Gmail has no history from {history_id} any more; read the threads instead."
            ) from exc

    def _event(self, message_id: str) -> MailEvent | None:
        request = (
            self._users()
            .messages()
            .get(userId="me", id=message_id, format="metadata", metadataHeaders=HEADERS)
        )
        try:
            reply = execute(
                self._paced(request, "gmail.messages.get"),
                policy=self._policy,
                operation="gmail.messages.get",
            )
        except NotFound:
            return None  # deleted since: nothing to learn from it
        return _event(reply)

    def _users(self) -> Any:
        return self._service().users()

    def _paced(self, request: Any, operation: str) -> Callable[[], Any]:
        """`request.execute`, each attempt waiting for its units of the user's Gmail quota."""
        return _Paced(self._quota, operation, request).execute


class _Paced:
    """A request whose `execute` first takes its units of the Gmail quota."""

    def __init__(self, quota: Quota, operation: str, request: Any) -> None:
        self.quota, self.operation, self.request = quota, operation, request

    def execute(self) -> Any:
        """Wait for the units, then send."""
        self.quota.take(self.operation)
        return self.request.execute()


def _event(message: dict[str, Any]) -> MailEvent | None:
    """A sent or received message as its record; None for a draft (or anything else)."""
    labels = set(message.get("labelIds") or [])
    thread_id, message_id = str(message.get("threadId")), str(message.get("id"))
    at = dt.datetime.fromtimestamp(int(message.get("internalDate") or 0) / 1000, dt.UTC)
    if "DRAFT" in labels:
        return None
    if "SENT" in labels:
        return MessageSent(thread_id, message_id, at)
    if "INBOX" in labels:
        return MessageReceived(thread_id, message_id, _sender(message), at)
    return None


def _sender(message: dict[str, Any]) -> str:
    headers = (message.get("payload") or {}).get("headers") or []
    value = next((h.get("value", "") for h in headers if h.get("name", "").lower() == "from"), "")
    return email.utils.parseaddr(str(value))[1].lower()
