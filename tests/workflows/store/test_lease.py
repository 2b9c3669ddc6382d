"""The scheduler lease: one holder; a second replica stands by until the first lapses."""

from __future__ import annotations

import datetime as dt
import threading

from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.lease import acquire_lease, current_lease, release_lease

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)


def _acquire(db: Database, holder: str, at: dt.datetime) -> bool:
    with db.transaction() as s:
        return acquire_lease(s, "scheduler", holder, TTL, wall_now=at)


def test_a_second_replica_stands_by_until_the_first_stops_renewing(db: Database) -> None:
    assert _acquire(db, "replica-a", T0)
    assert not _acquire(db, "replica-b", T0 + dt.timedelta(seconds=1))
    # A renews in time, so B keeps standing by past A's first expiry
    assert _acquire(db, "replica-a", T0 + dt.timedelta(seconds=20))
    assert not _acquire(db, "replica-b", T0 + dt.timedelta(seconds=40))
    # A stops renewing (killed); once its lease lapses B takes over
    assert _acquire(db, "replica-b", T0 + dt.timedelta(seconds=51))
    assert not _acquire(db, "replica-a", T0 + dt.timedelta(seconds=52))
    with db.read() as s:
        lease = current_lease(s, "scheduler", wall_now=T0 + dt.timedelta(seconds=52))
    assert lease is not None and lease.holder == "replica-b"


def test_a_released_lease_is_taken_over_at_once(db: Database) -> None:
    assert _acquire(db, "replica-a", T0)
    with db.transaction() as s:
        assert not release_lease(s, "scheduler", "replica-b")
        assert release_lease(s, "scheduler", "replica-a")
    assert _acquire(db, "replica-b", T0 + dt.timedelta(seconds=1))


def test_replicas_starting_together_elect_exactly_one(db: Database) -> None:
    barrier = threading.Barrier(5)

    def start(i: int) -> bool:
        barrier.wait()
        return _acquire(db, f"replica-{i}", T0)

    assert sorted(race(5, start)) == [False] * 4 + [True]


def test_leases_are_per_account(db: Database) -> None:
    with db.transaction() as s:
        assert acquire_lease(s, "scheduler", "a", TTL, account="alice", wall_now=T0)
        assert acquire_lease(s, "scheduler", "b", TTL, account="bob", wall_now=T0)
