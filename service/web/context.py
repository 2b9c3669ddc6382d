"""What the web app needs from the rest of the service, as a small protocol.

The app never reaches into workflows itself: whoever starts it passes an object with these
methods. `BasicContext` is a working one that knows no webhooks yet (so every webhook is
answered 404) and checks only the database and the broker; the service replaces it with one
backed by the store and the actors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from workflows.google_links import LinkRefused
from workflows.queries.home import Home

NO_LINKS = (
    "this deployment does not link Google from a browser: it needs FOLLOWTHROUGH_PUBLIC_URL, "
    "FOLLOWTHROUGH_GOOGLE_CLIENT_SECRETS_FILE and FOLLOWTHROUGH_ENCRYPTION_KEY"
)


class WebContext(Protocol):
    """The operations the web app calls; all may block (they run in a thread pool)."""

    def calendar_channel_owners(self, channel_id: str) -> list[tuple[str, str]]:
        """Each account holding this Calendar push channel, with its token (empty: unknown)."""
        ...

    def enqueue_calendar_sync(self, account: str, channel_id: str) -> None:
        """Enqueue an incremental sync of the account's calendar."""
        ...

    def airtable_webhook_owners(self, webhook_id: str) -> list[tuple[str, bytes]]:
        """Each account holding this Airtable webhook, with its decoded MAC secret."""
        ...

    def enqueue_airtable_fetch(self, account: str, webhook_id: str) -> None:
        """Enqueue a read of the account's webhook payloads from its stored cursor."""
        ...

    def google_link_consent(self, token: str) -> str:
        """Google's consent screen for a one-time link's account (LinkRefused: a bad link)."""
        ...

    def google_link_finish(self, state: str, code: str) -> str:
        """Store what Google's code grants in the link's account; the account's name."""
        ...

    def check_ready(self) -> dict[str, bool]:
        """Whether each dependency (database, broker...) is reachable, by name."""
        ...

    def home(self) -> Home:
        """What the status page shows (the week at a glance and the health), gathered now."""
        ...

    def account_home(self, account: str, key: str) -> Home | None:
        """A stored account's page when `key` is its page key; None otherwise (no such
        account, disabled, or a wrong key: the same answer)."""
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

    def calendar_channel_owners(self, channel_id: str) -> list[tuple[str, str]]:
        """No channel is known."""
        return []

    def enqueue_calendar_sync(self, account: str, channel_id: str) -> None:
        """Never called: every channel is unknown."""

    def airtable_webhook_owners(self, webhook_id: str) -> list[tuple[str, bytes]]:
        """No webhook is known."""
        return []

    def enqueue_airtable_fetch(self, account: str, webhook_id: str) -> None:
        """Never called: every webhook is unknown."""

    def google_link_consent(self, token: str) -> str:
        """No link is valid here."""
        raise LinkRefused(NO_LINKS)

    def google_link_finish(self, state: str, code: str) -> str:
        """No link is valid here."""
        raise LinkRefused(NO_LINKS)

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

    def account_home(self, account: str, key: str) -> Home | None:
        """No account's page is served here."""
        return None
