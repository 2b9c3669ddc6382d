"""What an idle account costs in API requests a day, from requests counted over a while.

`requests_per_day(samples, span)` takes each request the sandbox logged, with when it was
made (seconds into the span, on the clock the run simulates or the wall clock), and scales
the count to a day. Google access tokens live an hour and are refreshed only when expired:
when the run's wall clock does not move as its simulated clock does (the token would never
expire), pass `model_token_refreshes=True`: the token requests logged are then replaced by
one per hour in which Google was asked anything, as a real day's would be.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DAY = 86_400.0
TOKEN_ROUTE = "oauth.token"
GOOGLE_PREFIXES = ("calendar.", "people.", "gmail.", "tasks.")
TOKEN_LIFETIME = 3600.0


def requests_per_day(
    samples: Iterable[tuple[float, str]], span: float, *, model_token_refreshes: bool = False
) -> float:
    """Requests a day: the (seconds, route name) samples over `span` seconds, scaled."""
    counted = 0
    google_hours: set[int] = set()
    for at, route in samples:
        if route == TOKEN_ROUTE and model_token_refreshes:
            continue
        counted += 1
        if route.startswith(GOOGLE_PREFIXES):
            google_hours.add(math.floor(at / TOKEN_LIFETIME))
    refreshes = len(google_hours) if model_token_refreshes else 0
    return (counted + refreshes) * DAY / span
