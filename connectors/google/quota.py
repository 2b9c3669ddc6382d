"""Gmail's per-user quota, kept on the client's side so that drafts written at once stay under it.

Gmail allows 250 quota units per user a second (a moving average that allows short bursts)
and answers 403 `userRateLimitExceeded` past it; each method costs its units (a draft 10).
`Quota.take` waits until the units are free: a token bucket refilled at that rate, holding
less than a second's worth, so a burst stays well inside what Gmail allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

GMAIL_UNITS_PER_SECOND = 250.0
GMAIL_BURST_UNITS = 100.0  # ten drafts at once, then the steady rate
GMAIL_UNITS = {
    "gmail.drafts.create": 10,
    "gmail.drafts.update": 15,
    "gmail.drafts.get": 5,
    "gmail.drafts.list": 5,
    "gmail.getProfile": 1,
    "gmail.history.list": 2,
    "gmail.messages.get": 5,
    "gmail.threads.get": 10,
}
"""Each Gmail method Followthrough calls, and its cost in quota units (Gmail's usage limits)."""


class Quota:
    """A token bucket of quota units, shared by the threads of one client (thread-safe)."""

    def __init__(
        self,
        per_second: float = GMAIL_UNITS_PER_SECOND,
        burst: float = GMAIL_BURST_UNITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_second, self.burst = per_second, burst
        self._clock, self._sleep = clock, sleep
        self._units = burst
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self, operation: str) -> None:
        """Wait until `operation`'s units are free, and spend them (unknown ones cost 1)."""
        units = GMAIL_UNITS.get(operation, 1)
        with self._lock:
            now = self._clock()
            self._units = min(self.burst, self._units + (now - self._updated) * self.per_second)
            self._updated = now
            self._units -= units  # reserved now; below zero, this caller waits its turn
            wait = -self._units / self.per_second if self._units < 0 else 0.0
        if wait:
            self._sleep(wait)
