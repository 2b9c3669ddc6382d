"""Airtable webhooks in the sandbox: specifications, payloads behind a cursor, and signed pings.

Every change to the base (an API write or a control edit made "as the user") becomes one
payload per webhook whose specification covers it. A webhook with a `notificationUrl` gets a
ping POSTed from a background thread: `{"base": {"id"}, "webhook": {"id"}, "timestamp"}`,
signed with `X-Airtable-Content-MAC: hmac-sha256=<hex HMAC-SHA256 of the body, keyed with the
base64-decoded macSecretBase64>`, as Airtable signs it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import queue
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.sandbox.airtable_base import AirtableBase, Transaction
from connectors.sandbox.airtable_payloads import PayloadBuilder, check_specification
from connectors.sandbox.airtable_schema import CellError, iso

log = structlog.get_logger(__name__)
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # pings never go via a proxy

LIFETIME = dt.timedelta(days=7)
MAX_WEBHOOKS_PER_BASE = 10
MAX_PAYLOADS_PER_PAGE = 50
USER = {
    "id": "usrSandboxUser0001",
    "email": "user@example.com",
    "permissionLevel": "create",
    "name": "Sandbox User",
}


@dataclass
class Webhook:
    """One webhook: its secret, specification, expiry, and the payloads it still keeps.

    Payload n (cursor n) is payloads[n - 1 - dropped]: `dropped` counts expired payloads.
    """

    id: str
    mac_secret: bytes
    notification_url: str | None
    specification: dict[str, Any]
    expiration: dt.datetime
    payloads: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0
    notifications_enabled: bool = True
    last_result: dict[str, Any] | None = None
    last_success: str | None = None

    def to_api(self, now: dt.datetime) -> dict[str, Any]:
        """The webhook as List webhooks returns it."""
        return {
            "id": self.id,
            "areNotificationsEnabled": self.notifications_enabled,
            "cursorForNextPayload": self.next_cursor,
            "isHookEnabled": self.enabled(now),
            "lastSuccessfulNotificationTime": self.last_success,
            "notificationUrl": self.notification_url,
            "lastNotificationResult": self.last_result,
            "expirationTime": iso(self.expiration),
            "specification": self.specification,
        }

    def enabled(self, now: dt.datetime) -> bool:
        """A webhook is disabled once it expires (it stays listable, its payloads readable)."""
        return now < self.expiration

    @property
    def next_cursor(self) -> int:
        """The cursor the next payload will get."""
        return self.dropped + len(self.payloads) + 1


class PingSender:
    """A FIFO of pings and the daemon thread posting them; the bases of one sandbox share one,
    so a thousand bases do not cost a thousand threads."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._pings: queue.Queue[tuple[Webhook, bytes] | None] = queue.Queue()
        self._sender: threading.Thread | None = None

    def send(self, hook: Webhook, body: bytes) -> None:
        """Queue a ping (the thread starts with the first)."""
        self._pings.put((hook, body))
        if self._sender is None or not self._sender.is_alive():
            self._sender = threading.Thread(
                target=self._send_pings, name="airtable-webhook-pings", daemon=True
            )
            self._sender.start()

    def _send_pings(self) -> None:
        while (item := self._pings.get()) is not None:
            self._deliver(*item)

    def close(self) -> None:
        """Stop the ping thread once the pings already queued are sent."""
        if self._sender is not None and self._sender.is_alive():
            self._pings.put(None)
            self._sender.join(timeout=5.0)

    def _deliver(self, hook: Webhook, body: bytes) -> None:
        started = self.clock()
        digest = hmac.new(hook.mac_secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            str(hook.notification_url),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Airtable-Content-MAC": f"hmac-sha256={digest}",
            },
        )
        error: str | None = None
        try:
            with _DIRECT.open(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            error = str(exc)
        finished = self.clock()
        hook.last_result = {
            "success": error is None,
            "completionTimestamp": iso(finished),
            "durationMs": (finished - started).total_seconds() * 1000,
            "retryNumber": 0,
            **({"error": {"message": error}, "willBeRetried": False} if error else {}),
        }
        if error is None:
            hook.last_success = iso(finished)
        log.info("sandbox.airtable.webhook_ping", webhook_id=hook.id, success=error is None)


class WebhookRegistry:
    """The base's webhooks; `record` turns a transaction into payloads and pings."""

    def __init__(
        self,
        base: AirtableBase,
        clock: Callable[[], dt.datetime],
        sender: PingSender | None = None,
    ) -> None:
        self.base = base
        self.clock = clock
        self.hooks: dict[str, Webhook] = {}
        self.builder = PayloadBuilder(base)
        self.transaction_number = 0
        self.sender = sender or PingSender(clock)

    # --- management -----------------------------------------------------------------------

    def create(self, body: Any) -> dict[str, Any]:
        """Create a webhook from a request body; CellError when the specification is invalid."""
        url = body.get("notificationUrl") if isinstance(body, dict) else None
        spec = body.get("specification") if isinstance(body, dict) else None
        check_specification(spec)
        if url is not None and not isinstance(url, str):
            raise CellError("INVALID_REQUEST_UNKNOWN", "notificationUrl must be a string or null")
        if len(self.hooks) >= MAX_WEBHOOKS_PER_BASE:
            raise CellError(
                "TOO_MANY_WEBHOOKS",
                f"A base has at most {MAX_WEBHOOKS_PER_BASE} webhooks; delete one first",
            )
        hook = Webhook(
            id=self.base.make_id("ach"),
            mac_secret=secrets.token_bytes(64),
            notification_url=url,
            specification=spec,  # type: ignore[arg-type]
            expiration=self.clock() + LIFETIME,
            notifications_enabled=url is not None,
        )
        self.hooks[hook.id] = hook
        if url is not None:  # Airtable pings a new webhook's URL shortly after creating it
            self._queue_ping(hook, self.clock())
        return {
            "id": hook.id,
            "macSecretBase64": base64.b64encode(hook.mac_secret).decode(),
            "expirationTime": iso(hook.expiration),
        }

    def get(self, webhook_id: str) -> Webhook | None:
        """The webhook with this id, if any."""
        return self.hooks.get(webhook_id)

    def refresh(self, hook: Webhook) -> dict[str, Any]:
        """Push the expiration seven days out from now; an expired webhook cannot be revived."""
        if not hook.enabled(self.clock()):
            raise CellError(
                "CANNOT_REFRESH_DISABLED_WEBHOOK",
                f"Webhook {hook.id} has expired and is disabled; create a new one",
            )
        hook.expiration = self.clock() + LIFETIME
        return {"expirationTime": iso(hook.expiration)}

    def payloads(self, hook: Webhook, cursor: int, limit: int) -> dict[str, Any]:
        """Payloads from `cursor` (or the oldest kept), at most `limit`, the next cursor, and
        whether more remain. Reading payloads extends the webhook's life, as on Airtable."""
        start = max(cursor, hook.dropped + 1)
        page = hook.payloads[start - 1 - hook.dropped :][:limit]
        next_cursor = start + len(page)
        if hook.enabled(self.clock()):
            hook.expiration = max(hook.expiration, self.clock() + LIFETIME)
        return {
            "cursor": next_cursor,
            "mightHaveMore": next_cursor < hook.next_cursor,
            "payloads": page,
        }

    def listing(self) -> list[dict[str, Any]]:
        """Every webhook as List webhooks returns them."""
        now = self.clock()
        return [hook.to_api(now) for hook in self.hooks.values()]

    def expire(self) -> None:
        """Let every webhook's seven days run out: disabled, no new payloads or pings."""
        for hook in self.hooks.values():
            hook.expiration = min(hook.expiration, self.clock() - dt.timedelta(seconds=1))

    def delete_lapsed(self) -> None:
        """Delete every disabled webhook."""
        now = self.clock()
        self.hooks = {i: hook for i, hook in self.hooks.items() if hook.enabled(now)}

    def expire_payloads(self) -> None:
        """Forget every payload kept so far, as Airtable does with payloads older than 7 days."""
        for hook in self.hooks.values():
            hook.dropped += len(hook.payloads)
            hook.payloads.clear()

    # --- changes --------------------------------------------------------------------------

    def record(self, txn: Transaction, source: str) -> None:
        """Append one payload per interested webhook for this change, and queue their pings."""
        if not txn:
            return
        self.transaction_number += 1
        now = self.clock()
        for hook in self.hooks.values():
            if not hook.enabled(now):
                continue
            changes = self.builder.changes(hook.specification, txn, source)
            if not changes:
                continue
            hook.payloads.append(
                {
                    "timestamp": iso(now),
                    "baseTransactionNumber": self.transaction_number,
                    "actionMetadata": {"source": source, "sourceMetadata": {"user": USER}},
                    "payloadFormat": "v0",
                    **changes,
                }
            )
            if hook.notification_url and hook.notifications_enabled:
                self._queue_ping(hook, now)

    # --- pings ----------------------------------------------------------------------------

    def _queue_ping(self, hook: Webhook, now: dt.datetime) -> None:
        body = json.dumps(
            {"base": {"id": self.base.id}, "webhook": {"id": hook.id}, "timestamp": iso(now)},
            separators=(",", ":"),
        ).encode()
        self.sender.send(hook, body)

    def close(self) -> None:
        """Stop the ping thread once the pings already queued are sent."""
        self.sender.close()
