"""Airtable's per-base limit shared through the store, for deployments with no Redis.

`StoreRateLimiter` is the `RedisRateLimiter` of a deployment on RabbitMQ and PostgreSQL: the
same sliding window and penalty, kept in a row per base (workflows.store.rate_windows), so
two workers on one base never send more together than one may. Each slot costs one short
transaction; `connections` of its own keep it off the pool the workers' threads share.
"""

from __future__ import annotations

from connectors.airtable.ratelimit import SHARED_RATE, RateLimiter
from workflows.store.db import Database
from workflows.store.rate_windows import block_key, take_slot

CONNECTIONS = 2  # a slot is one short transaction: a thread or two at a time is plenty


class StoreRateLimiter(RateLimiter):
    """A sliding-window limiter shared by every process of one PostgreSQL database."""

    def __init__(self, database_url: str, rate: int = SHARED_RATE, *, name: str) -> None:
        super().__init__(rate)
        self._db = Database(database_url, connections=CONNECTIONS, name=f"{name}-limit")

    def _try_acquire(self, key: str) -> float:
        with self._db.transaction() as session:
            return take_slot(session, key, rate=self.rate, window=self.window)

    def block(self, key: str, seconds: float) -> None:
        """Let no request to `key` through for `seconds`, in every process."""
        with self._db.transaction() as session:
            block_key(session, key, seconds)

    def close(self) -> None:
        """Close the limiter's connections."""
        self._db.dispose()
