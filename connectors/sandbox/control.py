"""The sandbox control API: change the world as a user would, read it back, inject faults.

In Python these are methods of `Sandbox`; over HTTP each is `POST <base>/_sandbox/<name>` with
the keyword arguments as a JSON object (reads also answer `GET`), e.g.
`POST /_sandbox/cancel_event {"event_id": "abc"}`. Airtable control methods, where the Airtable
part offers them, are reached as `POST /_sandbox/airtable/<method>`. A tenant's
(connectors.sandbox.tenants) are `/_sandbox/tenants/<name>/<method>` and
`/_sandbox/tenants/<name>/airtable/<method>`; the sandbox's own `add_tenants`, `tenant_info`,
`tenant_names`, `draft_counts` and `status_counts` (connectors.sandbox.tenancy) act on all.
"""

from __future__ import annotations

import threading
from typing import Any

from connectors.sandbox.chat import REPLIES
from connectors.sandbox.faults import FAULT_STATUSES, Countdown, Faults
from connectors.sandbox.http import (
    fingerprint,
)

READS = frozenset(
    {
        "request_counts", "requests_log", "drafts", "mail_messages", "tasks", "events",
        "contacts", "push_log", "state", "chat_requests", "own_credentials",
    }
)  # fmt: skip
WRITES = frozenset(
    {
        "reset_requests", "set_latency", "set_error_rate", "fail_next", "drop_next_writes",
        "cut_next_replies", "set_ambiguous_rate", "clear_faults", "expire_access_tokens",
        "revoke_refresh_token", "expire_sync_tokens", "set_access_token_lifetime", "set_consent",
        "add_event", "update_event", "move_event", "cancel_event", "set_page_limits",
        "add_contact", "update_contact", "delete_contact", "rename_contact", "mark_draft_sent",
        "edit_draft", "receive_reply", "expire_gmail_history", "set_chat_reply",
    }
)  # fmt: skip


class SandboxControl:
    """Control methods mixed into `Sandbox`; each takes the world lock."""

    lock: threading.RLock
    faults: Faults
    calendar_api: Any
    people_api: Any
    gmail_api: Any
    tasks_api: Any
    airtable: Any
    chat_api: Any
    requests: Any
    oauth: Any
    outbox: Any
    log_scope: str | None = None  # a tenant's name: its request counts and log are its own

    # --- request log and faults --------------------------------------------------------------

    def request_counts(self) -> dict[str, int]:
        """Requests served per route name since start (or the last reset)."""
        with self.lock:
            return self.requests.counts(self.log_scope)

    def requests_log(self) -> list[dict[str, Any]]:
        """Every request: method, path, route name, status (None: in flight, 0: dropped) and
        the fingerprint of the credential it carried ("" for none)."""
        with self.lock:
            entries = self.requests.entries
            return [_entry(e) for e in entries if self.log_scope in (None, e.tenant)]

    def own_credentials(self) -> list[str]:
        """Fingerprints of every credential this sandbox issued or accepts (its Airtable
        token, its refresh tokens, the access tokens it issued, its chat key): a request
        logged with any other carried someone else's."""
        with self.lock:
            known = [self.airtable.token, self.oauth.refresh_token, self.chat_api.api_key]
            known += [*self.oauth.grants, *self.oauth.tokens]
            return sorted({fingerprint(secret) for secret in known if secret})

    def reset_requests(self) -> None:
        """Forget the requests served so far."""
        with self.lock:
            self.requests.clear()

    def set_latency(self, seconds: float, target: str = "*") -> None:
        """Delay every matching request by `seconds` (0 removes the delay)."""
        with self.lock:
            if seconds:
                self.faults.latency[target] = float(seconds)
            else:
                self.faults.latency.pop(target, None)

    def set_error_rate(self, target: str, status: int, rate: float) -> None:
        """Answer a fraction `rate` of matching requests with `status` (429, 500 or 503)."""
        _check_status(status)
        with self.lock:
            self.faults.error_rates[(target, int(status))] = float(rate)

    def fail_next(self, target: str, status: int, times: int = 1) -> None:
        """Answer the next `times` matching requests with `status` (429, 500 or 503)."""
        _check_status(status)
        with self.lock:
            self.faults.forced.append(Countdown(target, int(times), int(status)))

    def drop_next_writes(self, target: str = "*", times: int = 1) -> None:
        """Apply the next `times` matching writes but close the connection before answering."""
        with self.lock:
            self.faults.ambiguous.append(Countdown(target, int(times)))

    def cut_next_replies(self, target: str = "*", times: int = 1) -> None:
        """Apply the next `times` matching writes, then close the connection halfway through
        the reply's body (the client library fails reading it, with an error of its own)."""
        with self.lock:
            self.faults.cut.append(Countdown(target, int(times)))

    def set_ambiguous_rate(self, target: str, rate: float) -> None:
        """Drop the response of a fraction `rate` of matching (applied) writes."""
        with self.lock:
            self.faults.ambiguous_rate[target] = float(rate)

    def clear_faults(self) -> None:
        """Remove every injected fault, latency included."""
        with self.lock:
            self.faults.clear()

    def expire_access_tokens(self) -> None:
        """Expire every issued Google access token (clients must refresh)."""
        with self.lock:
            self.oauth.expire_access_tokens()

    def revoke_refresh_token(self) -> None:
        """Revoke (or expire, as a Testing app's 7 days do) the refresh token, and with it
        every access token: refreshing answers invalid_grant, as Google does."""
        with self.lock:
            self.oauth.revoke_refresh_token()

    def set_access_token_lifetime(self, seconds: float) -> None:
        """Make access tokens issued from now on live `seconds` (Google: about an hour)."""
        with self.lock:
            self.oauth.lifetime = float(seconds)

    def set_consent(self, scopes: list[str] | None = None) -> None:
        """The scopes the user leaves ticked on Google's consent screen (None: all requested)."""
        with self.lock:
            self.oauth.consent = tuple(scopes) if scopes is not None else None

    def expire_sync_tokens(
        self, api: str | None = None, reason: bool = True, *, with_reason: bool = True
    ) -> None:
        """Invalidate the sync tokens issued so far by "calendar", "people", or (None) both.

        Their next use answers as Google does (Calendar: 410 fullSyncRequired; People: 400
        FAILED_PRECONDITION with the reason EXPIRED_SYNC_TOKEN); `reason=False`: a bare 410
        Gone that names no reason; `with_reason=False`: People's 400 with its status and
        message but no ErrorInfo, a shape Google answers too.
        """
        if api not in (None, "calendar", "people"):
            raise ValueError(f"sync tokens belong to calendar or people, not {api!r}")
        with self.lock:
            if api in (None, "calendar"):
                self.calendar_api.expire_sync_tokens(bool(reason))
            if api in (None, "people"):
                self.people_api.expire_sync_tokens(bool(reason), with_reason=with_reason)

    # --- Calendar --------------------------------------------------------------------------

    def events(self, calendar_id: str = "primary") -> list[dict[str, Any]]:
        """Every stored event of a calendar (series masters and exceptions, cancelled included)."""
        with self.lock:
            return self.calendar_api.stored_events(calendar_id)

    def add_event(self, event: dict[str, Any], calendar_id: str = "primary") -> dict[str, Any]:
        """Create an event (an `id` is made up when missing); watchers are notified."""
        with self.lock:
            return self.calendar_api.add_event(calendar_id, event)

    def update_event(
        self, event_id: str, changes: dict[str, Any], calendar_id: str = "primary"
    ) -> dict[str, Any]:
        """Change fields of an event or of one instance of a series (which becomes an exception)."""
        with self.lock:
            return self.calendar_api.update_event(calendar_id, event_id, changes)

    def move_event(
        self,
        event_id: str,
        start: dict[str, Any],
        end: dict[str, Any],
        calendar_id: str = "primary",
    ) -> dict[str, Any]:
        """Reschedule an event or one instance (`start`, `end`: {"dateTime"} or {"date"})."""
        return self.update_event(event_id, {"start": start, "end": end}, calendar_id)

    def cancel_event(self, event_id: str, calendar_id: str = "primary") -> dict[str, Any]:
        """Cancel an event or one instance of a series."""
        return self.update_event(event_id, {"status": "cancelled"}, calendar_id)

    def set_page_limits(
        self, api: str = "calendar", max_page: int | None = None, empty_pages: int = 0
    ) -> None:
        """Page lists oddly: at most `max_page` items a page, after `empty_pages` empty pages."""
        with self.lock:
            getattr(self, f"{api}_api").set_page_limits(max_page, int(empty_pages))

    def push_log(self) -> list[dict[str, Any]]:
        """Push notifications attempted so far: url, headers and the receiver's status."""
        self.outbox.drain()
        return [
            {"url": n.url, "headers": n.headers, "status": s}
            for n, s in list(self.outbox.delivered)
        ]

    # --- People ----------------------------------------------------------------------------

    def contacts(self) -> list[dict[str, Any]]:
        """Every stored contact, deleted ones included (marked metadata.deleted)."""
        with self.lock:
            return self.people_api.stored_people()

    def add_contact(self, person: dict[str, Any]) -> dict[str, Any]:
        """Create a contact (a resourceName is made up when missing)."""
        with self.lock:
            return self.people_api.add(person)

    def update_contact(self, resource_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace top-level fields of a contact (e.g. emailAddresses)."""
        with self.lock:
            return self.people_api.update(resource_name, changes)

    def delete_contact(self, resource_name: str) -> None:
        """Delete a contact; syncs report it with metadata.deleted."""
        with self.lock:
            self.people_api.delete(resource_name)

    def rename_contact(self, resource_name: str, new_resource_name: str) -> dict[str, Any]:
        """Rename a contact (as a merge does); the old name goes to previousResourceNames."""
        with self.lock:
            return self.people_api.rename(resource_name, new_resource_name)

    # --- Gmail and Tasks -------------------------------------------------------------------

    def drafts(self) -> list[dict[str, Any]]:
        """Every draft (sent ones included): id, headers, subject, to, cc, body, sent."""
        with self.lock:
            return self.gmail_api.summaries()

    def mark_draft_sent(self, draft_id: str, at: str | None = None) -> dict[str, str]:
        """The user sends a draft (at `at`, RFC 3339; default now): it leaves the drafts list
        and a message with a new id and the SENT label joins its thread ({"id", "thread_id"})."""
        with self.lock:
            return self.gmail_api.send(draft_id, at)  # type: ignore[no-any-return]

    def edit_draft(self, draft_id: str, subject: str | None = None, body: str | None = None) -> str:
        """The user edits a draft in Gmail: same draft id, a new message id (returned)."""
        with self.lock:
            return self.gmail_api.edit(draft_id, subject, body)  # type: ignore[no-any-return]

    def receive_reply(
        self, thread_id: str, sender: str, body: str = "Thanks!", at: str | None = None
    ) -> str:
        """`sender` answers in a thread (INBOX, In-Reply-To its last message); the new id."""
        with self.lock:
            return str(self.gmail_api.mailbox.receive(thread_id, sender, body, at).message_id)

    def mail_messages(self) -> list[dict[str, Any]]:
        """The sent and received messages (not drafts): id, thread_id, labels, headers, body."""
        with self.lock:
            return self.gmail_api.messages()  # type: ignore[no-any-return]

    def expire_gmail_history(self) -> None:
        """Forget Gmail's history so far: history.list from an earlier id answers 404."""
        with self.lock:
            self.gmail_api.mailbox.history.expire()

    # --- the draft model -------------------------------------------------------------------

    def set_chat_reply(self, reply: str, stall_seconds: float = 60.0) -> None:
        """How the chat model answers from now on: "polish", "drop_promise", "add_link",
        "fail" (500), or "stall" (a good rewrite, `stall_seconds` late)."""
        if reply not in REPLIES:
            raise ValueError(
                f"the chat model's reply is one of {', '.join(REPLIES)}, not {reply!r}"
            )
        with self.lock:
            self.chat_api.reply = reply
            if reply == "stall":
                self.faults.latency["chat"] = float(stall_seconds)
            else:
                self.faults.latency.pop("chat", None)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The bodies of the chat completion requests received, oldest first."""
        with self.lock:
            return list(self.chat_api.received)

    def tasks(self, tasklist_id: str | None = None) -> list[dict[str, Any]]:
        """Every task (of one list, or all), each with its `tasklist` id."""
        with self.lock:
            return self.tasks_api.stored_tasks(tasklist_id)

    def state(self) -> dict[str, Any]:
        """The whole world: events, contacts, drafts, tasks, and the Airtable snapshot if any."""
        with self.lock:
            parts = {
                "calendar": self.calendar_api,
                "people": self.people_api,
                "gmail": self.gmail_api,
                "tasks": self.tasks_api,
                "airtable": self.airtable,
            }
            return {name: part.snapshot() for name, part in parts.items()}


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "method": entry.method,
        "path": entry.path,
        "route": entry.route,
        "status": entry.status,
        "credential": entry.credential,
        "tenant": entry.tenant,
    }


def _check_status(status: int) -> None:
    if int(status) not in FAULT_STATUSES:
        raise ValueError(f"fault status must be one of {FAULT_STATUSES}, not {status}")
