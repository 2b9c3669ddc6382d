"""Due work: scheduled once, handed to exactly one claimer, re-offered after a crash."""

from __future__ import annotations

import datetime as dt
import threading

from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.due import (
    cancel,
    claim_due,
    get_due,
    has_claimable,
    mark_done,
    pending,
    purge_done,
    release,
    reopen,
    schedule,
)

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
WALL = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_scheduling_twice_keeps_one_item_and_re_times_it(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW + HOUR, payload={"meeting_id": 1})
    # The meeting moved an hour later, and the sync saw it twice
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW + 2 * HOUR)
        schedule(s, "complete_meeting", "evt1", NOW + 2 * HOUR)
    with db.read() as s:
        items = pending(s)
    assert [(i.key, i.due_at, i.payload) for i in items] == [
        ("evt1", NOW + 2 * HOUR, {"meeting_id": 1})
    ]


def test_only_work_that_is_due_is_claimed(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "past", NOW - HOUR)
        schedule(s, "complete_meeting", "future", NOW + HOUR)
    with db.transaction() as s:
        claimed = claim_due(s, NOW, wall_now=WALL)
    assert [i.key for i in claimed] == ["past"]
    assert claimed[0].attempts == 1


def test_work_waiting_behind_a_hundred_claimed_items_is_news_to_the_scheduler(
    db: Database,
) -> None:
    with db.transaction() as s:
        for n in range(101):
            schedule(s, "complete_meeting", f"m{n:03d}", NOW - dt.timedelta(minutes=200 - n))
        schedule(s, "complete_meeting", "later", NOW + HOUR)
        claim_due(s, NOW, limit=100, wall_now=WALL)  # a worker holds the oldest hundred
    with db.read() as s:
        assert has_claimable(s, NOW, wall_now=WALL)
    with db.transaction() as s:
        assert [i.key for i in claim_due(s, NOW, wall_now=WALL)] == ["m100"]
    with db.read() as s:
        assert not has_claimable(s, NOW, wall_now=WALL)  # all in hand; "later" is not due
        assert has_claimable(s, NOW, wall_now=WALL + HOUR)  # the claims ran out


def test_concurrent_claimers_each_get_distinct_items_and_together_all(db: Database) -> None:
    # Given 30 due items and six sweepers at once
    with db.transaction() as s:
        for n in range(30):
            schedule(s, "send_reminder", f"r{n}", NOW - dt.timedelta(minutes=n))
    barrier = threading.Barrier(6)

    def sweeper(_: int) -> list[str]:
        barrier.wait()
        mine: list[str] = []
        while True:
            with db.transaction() as s:
                batch = claim_due(s, NOW, limit=4)
            if not batch:
                return mine
            mine += [i.key for i in batch]

    # When they all sweep
    claims = [key for batch in race(6, sweeper) for key in batch]
    # Then every item went to exactly one sweeper
    assert sorted(claims) == sorted(f"r{n}" for n in range(30))


def test_a_crashed_claim_is_offered_again_after_it_expires(db: Database) -> None:
    claim_for = dt.timedelta(minutes=5)
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW)
    with db.transaction() as s:
        assert len(claim_due(s, NOW, claim_for=claim_for, wall_now=WALL)) == 1
    # The worker died: nobody gets the item while the claim lasts...
    with db.transaction() as s:
        assert claim_due(s, NOW, claim_for=claim_for, wall_now=WALL + claim_for / 2) == []
    # ...and once it expires it is offered again
    with db.transaction() as s:
        again = claim_due(s, NOW, claim_for=claim_for, wall_now=WALL + 2 * claim_for)
    assert [(i.key, i.attempts) for i in again] == [("evt1", 2)]


def test_done_work_is_never_offered_or_reopened(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW)
        claim_due(s, NOW, wall_now=WALL)
        assert mark_done(s, "complete_meeting", "evt1")
        assert not mark_done(s, "complete_meeting", "evt1")
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW + HOUR)  # a late duplicate sync
    with db.transaction() as s:
        assert claim_due(s, NOW + 2 * HOUR, wall_now=WALL + 2 * HOUR) == []
        item = get_due(s, "complete_meeting", "evt1")
    assert item is not None and item.done_at is not None and item.due_at == NOW


def test_released_work_is_offered_again_from_its_retry_time(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "sync", "google.calendar", NOW)
        claim_due(s, NOW, wall_now=WALL)
        release(s, "sync", "google.calendar", error="503 from Google", retry_at=NOW + HOUR)
    with db.transaction() as s:
        assert claim_due(s, NOW, wall_now=WALL) == []
        retried = claim_due(s, NOW + HOUR, wall_now=WALL)
    assert [(i.key, i.last_error) for i in retried] == [("google.calendar", "503 from Google")]


def test_cancelled_work_is_not_offered(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW)
        assert cancel(s, "complete_meeting", "evt1")
    with db.transaction() as s:
        assert claim_due(s, NOW, wall_now=WALL) == []
        item = get_due(s, "complete_meeting", "evt1")
    assert item is not None and item.cancelled


def test_accounts_see_only_their_own_work_but_the_sweep_sees_all(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW, account="alice")
        schedule(s, "complete_meeting", "evt1", NOW, account="bob")
    with db.read() as s:
        assert [i.account for i in pending(s, account="alice")] == ["alice"]
        assert pending(s) == []
    with db.transaction() as s:
        assert [i.account for i in claim_due(s, NOW, account="bob")] == ["bob"]
        assert [i.account for i in claim_due(s, NOW)] == ["alice"]


def test_finished_work_that_fell_due_long_ago_is_purged_and_nothing_else(db: Database) -> None:
    # Given done, cancelled and pending work that fell due an hour ago, and done work due now,
    # in two accounts
    with db.transaction() as s:
        for key in ("done", "cancelled", "pending", "recent"):
            due_at = NOW if key == "recent" else NOW - HOUR
            schedule(s, "complete_meeting", key, due_at)
            schedule(s, "complete_meeting", key, due_at, account="bob")
        for account in ("default", "bob"):
            mark_done(s, "complete_meeting", "done", account=account, wall_now=WALL)
            mark_done(s, "complete_meeting", "recent", account=account, wall_now=WALL)
            cancel(s, "complete_meeting", "cancelled", account=account)
    # When the default account's finished work due before now is purged
    with db.transaction() as s:
        assert purge_done(s, NOW) == 2
    # Then what was finished long ago is gone, and the rest stays
    with db.read() as s:
        assert get_due(s, "complete_meeting", "done") is None
        assert get_due(s, "complete_meeting", "cancelled") is None
        assert [i.key for i in pending(s)] == ["pending"]
        assert get_due(s, "complete_meeting", "recent") is not None
        assert len(pending(s, account="bob")) == 1
        assert get_due(s, "complete_meeting", "done", account="bob") is not None


def test_a_revived_cancelled_item_is_offered_again_but_done_work_is_not(db: Database) -> None:
    with db.transaction() as s:
        schedule(s, "complete_meeting", "evt1", NOW)
        schedule(s, "complete_meeting", "evt2", NOW)
        cancel(s, "complete_meeting", "evt1")
        mark_done(s, "complete_meeting", "evt2", wall_now=WALL)
    with db.transaction() as s:
        assert reopen(s, "complete_meeting", "evt1")
        assert not reopen(s, "complete_meeting", "evt2")
        assert [i.key for i in claim_due(s, NOW, wall_now=WALL)] == ["evt1"]
