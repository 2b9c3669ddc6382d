"""Outbound notifications (Calendar push messages) delivered in order from a background thread.

Handlers run under the world lock, so they only queue a message; the outbox thread POSTs it
later, so a receiver that calls back into the sandbox never deadlocks.
"""

from __future__ import annotations

import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Notification:
    """One POST to a subscriber's address."""

    url: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Outbox:
    """A FIFO of notifications and the daemon thread delivering them (best effort, as Google)."""

    timeout: float = 5.0
    delivered: list[tuple[Notification, int | None]] = field(default_factory=list)
    _queue: queue.Queue[Notification | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start delivering queued notifications."""
        self._thread = threading.Thread(target=self._run, name="sandbox-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Deliver what is queued, then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def send(self, notification: Notification) -> None:
        """Queue a notification for delivery."""
        self._queue.put(notification)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait (up to `timeout` s) until every queued notification has been attempted."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.delivered.append((item, self._post(item)))
            finally:
                self._queue.task_done()

    def _post(self, item: Notification) -> int | None:
        request = urllib.request.Request(
            item.url, data=item.body, headers=item.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (OSError, ValueError) as exc:
            log.info("sandbox.push_failed", url=item.url, error=type(exc).__name__)
            return None
