"""The database handle: concurrent writers on one SQLite file never see "database is locked"."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import sqlalchemy as sa

from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.due import pending, schedule
from workflows.store.models import DueWork

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


def test_many_threads_read_then_write_without_lock_errors(db: Database) -> None:
    # Given eight worker threads that each read, then write, many times (the embedded shape)
    def worker(i: int) -> int:
        for n in range(15):
            with db.transaction() as s:
                s.execute(sa.select(sa.func.count()).select_from(DueWork)).scalar_one()
                schedule(s, "send_reminder", f"w{i}-{n}", NOW)
        return i

    # When they run at once, Then none fails and every write landed
    race(8, worker)
    with db.read() as s:
        assert len(pending(s, limit=1000)) == 8 * 15


def test_aware_datetimes_round_trip_in_utc(db: Database) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", dt.datetime(2026, 3, 2, 17, 0, tzinfo=paris))
    with db.read() as s:
        (item,) = pending(s)
    assert item.due_at == NOW and item.due_at.tzinfo is not None


def test_ping_reaches_the_database(db: Database) -> None:
    db.ping()


def test_a_reader_does_not_wait_for_a_writer(db: Database) -> None:
    # Given a writer holding its transaction open (the status page renders meanwhile)
    with db.transaction() as writer:
        schedule(writer, "complete_meeting", "evt1", NOW)

        def read(_: int) -> float:
            started = time.monotonic()
            with db.read() as s:
                pending(s)
            return time.monotonic() - started

        # When a reader reads, Then it answers at once with what was committed
        (elapsed,) = race(1, read)
    assert elapsed < 2.0


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    # The store keeps Airtable MAC secrets and Calendar channel tokens.
    path = tmp_path / "nested" / "followthrough.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.ping()
    finally:
        db.dispose()
    assert path.stat().st_mode & 0o777 == 0o600
