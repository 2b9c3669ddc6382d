"""Followthrough's own Airtable writes, by record and field, kept while the feed may show them.

Airtable keeps a webhook's payloads for seven days, so a digest older than `KEEP` can no
longer be asked about and is purged (at most once an hour per process). Ages are on the
domain clock, like every due date (the wall clock but under FOLLOWTHROUGH_NOW).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping

import sqlalchemy as sa

from connectors.airtable.own_writes import Digests
from workflows.store.base import utcnow
from workflows.store.db import Database
from workflows.store.models import AirtableWrite
from workflows.store.sql import changed, upsert_all

KEEP = dt.timedelta(days=8)
"""How long a write's digests are kept: a day longer than Airtable keeps payloads."""

PURGE_EVERY = dt.timedelta(hours=1)
UNIQUE = ("account", "record_id", "field", "digest")
CHUNK = 500  # record ids per query, well under every database's parameter limit


class StoredOwnWrites:
    """The `OwnWrites` of one account, in the store, so a new process still knows them."""

    def __init__(
        self, db: Database, account: str, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.db = db
        self.account = account
        self.clock = clock
        self._purged_at: dt.datetime | None = None
        self._lock = threading.Lock()

    def remember(self, cells: Mapping[str, Mapping[str, str]]) -> None:
        """Keep the digest of each written cell (in one transaction)."""
        now = self.clock()
        rows = [
            {
                "account": self.account,
                "record_id": record_id,
                "field": name,
                "digest": digest,
                "written_at": now,
            }
            for record_id, fields in cells.items()
            for name, digest in fields.items()
        ]
        with self.db.transaction() as session:
            upsert_all(session, AirtableWrite, rows, UNIQUE, ["written_at"])  # a rewrite is new
            if self._purge_due(now):
                changed(
                    session, sa.delete(AirtableWrite).where(AirtableWrite.written_at < now - KEEP)
                )

    def recall(self, record_ids: Collection[str]) -> Digests:
        """The digests kept for those records."""
        found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        ids = sorted(record_ids)
        with self.db.read() as session:
            for start in range(0, len(ids), CHUNK):
                query = sa.select(
                    AirtableWrite.record_id, AirtableWrite.field, AirtableWrite.digest
                ).where(
                    AirtableWrite.account == self.account,
                    AirtableWrite.record_id.in_(ids[start : start + CHUNK]),
                )
                for record_id, name, digest in session.execute(query):
                    found[record_id][name].add(digest)
        return {r: {n: frozenset(d) for n, d in f.items()} for r, f in found.items()}

    def _purge_due(self, now: dt.datetime) -> bool:
        with self._lock:
            if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
                return False
            self._purged_at = now
            return True
