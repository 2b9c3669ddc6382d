"""The web app's real context: secrets from the store, work sent through the actors.

`LiveContext(runtime, actors, broker)` is what `followthrough web` and `followthrough run`
serve; see service.web.context.WebContext for the protocol.
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq

from service.broker import broker_reachable
from service.web.context import NO_LINKS
from service.web.google_link import GoogleLinks
from workflows import channels
from workflows.actors import Actors
from workflows.google_links import LinkRefused
from workflows.page_keys import page_key_opens
from workflows.queries.home import Home, home
from workflows.runtime import AccountUnavailable, Runtime

PUSHED_CALENDAR_SOURCES = ["google_contacts", "google_calendar"]
"""What a calendar push syncs: Google Contacts has no push of its own, and a meeting's
attendees are judged against the contacts, so they are read first (one request when idle)."""


class LiveContext:
    """Verifies push notifications against the store and enqueues the syncs they ask for, for
    the account they belong to (`runtime` is the default account's: its database is every
    account's; `/` shows the default account, /accounts/NAME/ a stored one, with its key)."""

    def __init__(
        self,
        runtime: Runtime,
        actors: Actors,
        broker: dramatiq.Broker,
        links: GoogleLinks | None = None,
        views: Callable[[str], Runtime] | None = None,
    ) -> None:
        self.runtime = runtime
        self.actors = actors
        self.broker = broker
        self.links = links
        self.views = views  # an account's runtime for reading its store (AccountRuntimes.view_for)

    def google_link_consent(self, token: str) -> str:
        """Google's consent screen for the link's account."""
        return self._links().consent(token)

    def google_link_finish(self, state: str, code: str) -> str:
        """Store what the code grants in the link's account."""
        return self._links().finish(state, code)

    def _links(self) -> GoogleLinks:
        if self.links is None:
            raise LinkRefused(NO_LINKS)
        return self.links

    def calendar_channel_owners(self, channel_id: str) -> list[tuple[str, str]]:
        """The accounts holding this Calendar channel, each with its own stored token."""
        return channels.calendar_channel_owners(self.runtime.db, channel_id)

    def enqueue_calendar_sync(self, account: str, channel_id: str) -> None:
        """Enqueue an incremental sync of the account's contacts and calendar (from their
        stored cursors)."""
        self.actors.sync.send(account, PUSHED_CALENDAR_SOURCES)

    def airtable_webhook_owners(self, webhook_id: str) -> list[tuple[str, bytes]]:
        """The accounts holding this Airtable webhook, each with its own decoded MAC secret."""
        return channels.airtable_webhook_owners(self.runtime.db, webhook_id)

    def enqueue_airtable_fetch(self, account: str, webhook_id: str) -> None:
        """Enqueue a read of the account's webhook payloads from the stored cursor."""
        self.actors.fetch_airtable.send(account, webhook_id)

    def check_ready(self) -> dict[str, bool]:
        """Whether the database and the broker answer now."""
        return {"database": self._database_ok(), "broker": broker_reachable(self.broker)}

    def home(self) -> Home:
        """The store's view for the status page: the week at a glance and the health."""
        return home(self.runtime)

    def account_home(self, account: str, key: str) -> Home | None:
        """The stored account's page, when `key` is its page key."""
        if self.views is None or not page_key_opens(self.runtime.db, account, key):
            return None
        try:
            return home(self.views(account))
        except AccountUnavailable:  # disabled or removed since the key was checked
            return None

    def _database_ok(self) -> bool:
        try:
            self.runtime.db.ping()
        except Exception:  # any driver error means "not reachable"
            return False
        return True
