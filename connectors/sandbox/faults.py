"""Fault injection for the sandbox: latency, injected error statuses, and lost replies.

A write's reply can be lost two ways after the write was applied: dropped (the connection
closes before any byte of the answer) or cut (the status line and headers arrive, then the
connection closes mid-body, so the client library fails reading it with an error of its own).

A fault `target` names what it applies to: "*" (everything), an api ("google", "airtable",
"oauth"), a route-name prefix ("calendar", "calendar.events") or one route name
("calendar.events.list"). Control routes are never faulted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from connectors.sandbox.chat import openai_error
from connectors.sandbox.http import Response, Route, airtable_error, google_error

FAULT_STATUSES = (429, 500, 503)

LostReply = Literal["drop", "cut"]


def matches(target: str, route: Route) -> bool:
    """Whether a fault target applies to a route."""
    return target in ("*", route.api, route.name) or route.name.startswith(target + ".")


@dataclass
class Countdown:
    """A fault that applies to the next `remaining` matching requests."""

    target: str
    remaining: int
    status: int = 0


def _take(countdowns: list[Countdown], route: Route) -> Countdown | None:
    """Consume one use of the first countdown matching the route."""
    for entry in countdowns:
        if entry.remaining > 0 and matches(entry.target, route):
            entry.remaining -= 1
            countdowns[:] = [e for e in countdowns if e.remaining > 0]
            return entry
    return None


@dataclass
class Faults:
    """The fault settings the server consults on every request (guarded by the world lock)."""

    latency: dict[str, float] = field(default_factory=dict)  # target -> seconds
    error_rates: dict[tuple[str, int], float] = field(default_factory=dict)  # (target, status) -> p
    forced: list[Countdown] = field(default_factory=list)
    ambiguous: list[Countdown] = field(default_factory=list)
    ambiguous_rate: dict[str, float] = field(default_factory=dict)  # target -> p
    cut: list[Countdown] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def clear(self) -> None:
        """Remove every fault (latency included)."""
        self.latency.clear()
        self.error_rates.clear()
        self.forced.clear()
        self.ambiguous.clear()
        self.ambiguous_rate.clear()
        self.cut.clear()

    def delay_for(self, route: Route) -> float:
        """Seconds to wait before serving this route (the largest matching setting)."""
        if route.api == "control":
            return 0.0
        return max((s for t, s in self.latency.items() if matches(t, route)), default=0.0)

    def status_for(self, route: Route) -> int | None:
        """An injected error status for this request, or None to serve it normally."""
        if route.api == "control":
            return None
        forced = _take(self.forced, route)
        if forced is not None:
            return forced.status
        for (target, status), rate in self.error_rates.items():
            if matches(target, route) and self.rng.random() < rate:
                return status
        return None

    def lost_reply(self, route: Route) -> LostReply | None:
        """How this (applied) write's reply is to be lost, if it is: dropped or cut short."""
        if not route.write or route.api == "control":
            return None
        if _take(self.ambiguous, route) is not None:
            return "drop"
        if _take(self.cut, route) is not None:
            return "cut"
        rates = self.ambiguous_rate.items()
        dropped = any(matches(t, route) and self.rng.random() < p for t, p in rates)
        return "drop" if dropped else None


def fault_response(route: Route, status: int) -> Response:
    """The error body the real API would send with this status."""
    if route.api == "airtable":
        kinds = {429: "RATE_LIMIT_REACHED", 500: "SERVER_ERROR", 503: "SERVICE_UNAVAILABLE"}
        messages = {
            429: "Rate limit exceeded. Please try again later",
            500: "Try again. If the problem persists, contact support.",
            503: "The service is temporarily unavailable. Please retry shortly.",
        }
        return airtable_error(status, kinds.get(status, "SERVER_ERROR"), messages.get(status))
    if route.api == "chat":
        kind = "rate_limit_exceeded" if status == 429 else "server_error"
        return openai_error(status, "The server is overloaded or not ready yet.", kind=kind)
    if route.api == "oauth":
        return Response(status, {"error": "internal_failure", "error_description": "Backend Error"})
    if status == 429:
        return google_error(
            429, "Rate Limit Exceeded", reason="rateLimitExceeded", grpc_status="RESOURCE_EXHAUSTED"
        )
    if status == 503:
        return google_error(
            503,
            "The service is currently unavailable.",
            reason="backendError",
            grpc_status="UNAVAILABLE",
        )
    return google_error(status, "Backend Error", reason="backendError", grpc_status="INTERNAL")
