"""The web app's real context: secrets from the store, work sent through the actors.

`LiveContext(runtime, actors, broker)` is what `followthrough web` and `followthrough run`
serve; see service.web.context.WebContext for the protocol.
"""

from __future__ import annotations

import dramatiq

from service.broker import broker_reachable
from workflows import channels
from workflows.actors import Actors
from workflows.queries.home import Home, home
from workflows.runtime import Runtime

CALENDAR_SOURCE = "google_calendar"


class LiveContext:
    """Verifies push notifications against the store and enqueues the syncs they ask for."""

    def __init__(self, runtime: Runtime, actors: Actors, broker: dramatiq.Broker) -> None:
        self.runtime = runtime
        self.actors = actors
        self.broker = broker

    def calendar_channel_token(self, channel_id: str) -> str | None:
        """The stored token of this account's Calendar channel; None for any other channel."""
        return channels.calendar_channel_token(
            self.runtime.db, channel_id, account=self.runtime.account
        )

    def enqueue_calendar_sync(self, channel_id: str) -> None:
        """Enqueue an incremental sync of the calendar (it reads from the stored cursor)."""
        self.actors.sync.send([CALENDAR_SOURCE])

    def airtable_mac_secret(self, webhook_id: str) -> bytes | None:
        """The decoded MAC secret of this account's Airtable webhook; None for any other."""
        return channels.airtable_mac_secret(
            self.runtime.db, webhook_id, account=self.runtime.account
        )

    def enqueue_airtable_fetch(self, webhook_id: str) -> None:
        """Enqueue a read of the webhook's payloads from the stored cursor."""
        self.actors.fetch_airtable.send(webhook_id)

    def check_ready(self) -> dict[str, bool]:
        """Whether the database and the broker answer now."""
        return {"database": self._database_ok(), "broker": broker_reachable(self.broker)}

    def home(self) -> Home:
        """The store's view for the status page: the week at a glance and the health."""
        return home(self.runtime)

    def _database_ok(self) -> bool:
        try:
            self.runtime.db.ping()
        except Exception:  # any driver error means "not reachable"
            return False
        return True
