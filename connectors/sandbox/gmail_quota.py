"""Gmail's per-user quota as the sandbox applies it: 250 units a second, each method its cost.

Real Gmail counts quota units per user as a moving average that allows short bursts, and
answers 403 `userRateLimitExceeded` past it. The sandbox keeps a bucket of one second's units,
refilled continuously, and refuses a request whose units are not there. What still differs:
Google's exact averaging window, and its per-project and daily limits, are not modelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from connectors.sandbox.http import Response, google_error

UNITS_PER_SECOND = 250.0
UNITS = {
    "gmail.drafts.create": 10,
    "gmail.drafts.update": 15,
    "gmail.drafts.delete": 10,
    "gmail.drafts.get": 5,
    "gmail.drafts.list": 5,
    "gmail.getProfile": 1,
    "gmail.history.list": 2,
    "gmail.messages.get": 5,
    "gmail.messages.list": 5,
    "gmail.threads.get": 10,
}
"""Gmail's published cost of each method the sandbox serves, in quota units."""


class GmailQuota:
    """One user's bucket of quota units (the caller holds the sandbox's lock)."""

    def __init__(
        self, per_second: float = UNITS_PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second, self.clock = per_second, clock
        self.units = per_second
        self.updated = clock()

    def refusal(self, route: str) -> Response | None:
        """None when `route`'s units are free (they are spent); else Gmail's 403."""
        if self.per_second <= 0 or route not in UNITS:
            return None
        now = self.clock()
        self.units = min(self.per_second, self.units + (now - self.updated) * self.per_second)
        self.updated = now
        if self.units < UNITS[route]:
            return google_error(
                403,
                "User-rate limit exceeded.",
                reason="userRateLimitExceeded",
                grpc_status="PERMISSION_DENIED",
                domain="usageLimits",
            )
        self.units -= UNITS[route]
        return None
