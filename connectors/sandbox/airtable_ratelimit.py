"""Airtable's per-base rate limit as the sandbox applies it: a rate, then a penalty window.

Over `per_second` requests a second, Airtable answers 429 and keeps answering 429 to every
request for the penalty window (30 seconds on the real service), whatever the rate meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """A token bucket of `per_second` requests a second; an overflow starts a penalty window."""

    def __init__(
        self, per_second: float, penalty_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self.configure(per_second, penalty_seconds)

    def configure(self, per_second: float, penalty_seconds: float) -> None:
        """New limits (per_second <= 0: none); the bucket starts full, any penalty is lifted."""
        self.per_second = per_second
        self.penalty_seconds = penalty_seconds
        self.tokens = max(per_second, 1.0)
        self.updated = self.clock()
        self.penalty_until = 0.0

    def admit(self) -> bool:
        """Whether one more request may pass now."""
        if self.per_second <= 0:
            return True
        now = self.clock()
        if now < self.penalty_until:
            return False
        self.tokens = min(
            max(self.per_second, 1.0), self.tokens + (now - self.updated) * self.per_second
        )
        self.updated = now
        if self.tokens < 1.0:
            self.penalty_until = now + self.penalty_seconds
            return False
        self.tokens -= 1.0
        return True
