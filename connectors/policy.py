"""One retry policy for every outbound call: timeouts, backoff with jitter, Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for a response and how to back off between attempts."""

    timeout: float = 30.0  # seconds per request
    attempts: int = 6  # total tries, the first included
    base_delay: float = 0.5  # seconds before the second try
    max_delay: float = 32.0  # cap for one wait
    max_retry_after: float = 60.0  # honour Retry-After up to this long

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1).

        A server's Retry-After wins when given (capped); otherwise full jitter over an
        exponentially growing window.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        window = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(window / 2, window)


FAST_POLICY = RetryPolicy(
    timeout=10.0, attempts=6, base_delay=0.01, max_delay=0.2, max_retry_after=2.0
)
"""A policy for tests and the demo against the sandbox: same logic, tiny waits."""
