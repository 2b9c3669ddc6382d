"""The digests of Followthrough's own Airtable writes: kept while the feed may show them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from workflows.migrations import upgrade
from workflows.store.airtable_writes import KEEP, StoredOwnWrites
from workflows.store.db import Database

START = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def test_a_value_written_again_is_kept_from_its_last_write(tmp_path: Path) -> None:
    # Given a store whose clock the test moves, and Stage=Met written to a row
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    db = Database(url)
    now = [START]
    writes = StoredOwnWrites(db, "default", lambda: now[0])
    try:
        writes.remember({"recA": {"Stage": "d-met"}})
        # When the same value is written again a week later, and later still another row is
        now[0] = START + dt.timedelta(days=7)
        writes.remember({"recA": {"Stage": "d-met"}})
        now[0] = START + KEEP + dt.timedelta(days=1)
        writes.remember({"recB": {"Stage": "d-other"}})  # the write that purges old digests
        # Then the rewritten value is still known: its latest payload may still be unread
        assert writes.recall(["recA"]) == {"recA": {"Stage": frozenset({"d-met"})}}
        now[0] = START + dt.timedelta(days=7) + KEEP + dt.timedelta(hours=2)
        writes.remember({"recB": {"Stage": "d-other"}})
        assert writes.recall(["recA"]) == {}  # and gone once that one is past keeping too
    finally:
        db.dispose()
