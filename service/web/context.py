"""What the web app needs from the rest of the service, as a small protocol.

The app never reaches into workflows itself: whoever starts it passes an object with these
methods. `BasicContext` is a working one that knows no webhooks yet (so every webhook is
answered 404) and checks only the database and the broker; the service replaces it with one
backed by the store and the actors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from workflows.queries.home import Home


class WebContext(Protocol):
    """The operations the web app calls; all may block (they run in a thread pool)."""

    def calendar_channel_token(self, channel_id: str) -> str | None:
        """The token registered with this Calendar push channel, or None for an unknown channel."""
        ...

    def enqueue_calendar_sync(self, channel_id: str) -> None:
        """Enqueue an incremental Calendar sync for the channel's calendar."""
        ...

    def airtable_mac_secret(self, webhook_id: str) -> bytes | None:
        """The decoded MAC secret of this Airtable webhook, or None for an unknown webhook."""
        ...

    def enqueue_airtable_fetch(self, webhook_id: str) -> None:
        """Enqueue a read of the webhook's payloads from its stored cursor."""
        ...

    def check_ready(self) -> dict[str, bool]:
        """Whether each dependency (database, broker...) is reachable, by name."""
        ...

    def home(self) -> Home:
        """What the status page shows (the week at a glance and the health), gathered now."""
        ...


class BasicContext:
    """A context with readiness checks and the status page's content but no known webhooks."""

    def __init__(
        self,
        checks: dict[str, Callable[[], bool]],
        home: Callable[[], Home],
    ) -> None:
        self._checks = checks
        self._home = home

    def calendar_channel_token(self, channel_id: str) -> str | None:
        """No channel is known."""
        return None

    def enqueue_calendar_sync(self, channel_id: str) -> None:
        """Never called: every channel is unknown."""

    def airtable_mac_secret(self, webhook_id: str) -> bytes | None:
        """No webhook is known."""
        return None

    def enqueue_airtable_fetch(self, webhook_id: str) -> None:
        """Never called: every webhook is unknown."""

    def check_ready(self) -> dict[str, bool]:
        """Run each check; one that raises counts as down."""
        results = {}
        for name, check in self._checks.items():
            try:
                results[name] = bool(check())
            except Exception:  # a failing check is the answer, not an error
                results[name] = False
        return results

    def home(self) -> Home:
        """The week and health the caller's function gathers."""
        return self._home()
