"""Many accounts, one scheduler: polls spread over the interval, each account once an interval,
through a change of leader and accounts added."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message

from service.runtimes import AccountRuntimes, build_runtimes
from service.scheduler import Scheduler
from service.settings_loading import load_settings
from tests.service.test_scheduler import database_url  # noqa: F401 (fixture)
from workflows.accounts import AccountBook
from workflows.actors import Actors, declare_actors
from workflows.sealing import Sealer

ACCOUNTS = 200
EVERY = 60.0  # seconds between an account's polls
TICK = 2.0
SHARE = ACCOUNTS * TICK / EVERY  # polls a tick sends when spread evenly


class WallClock:
    """The scheduler's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def polls(broker: StubBroker, actors: Actors) -> list[str]:
    """The accounts whose sync the queue holds (drained)."""
    queue = broker.queues[actors.sync_queue_name]
    found = []
    while not queue.empty():
        message = Message.decode(queue.get_nowait())
        queue.task_done()
        if message.actor_name == "sync":
            found.append(message.args[0])
    return found


@pytest.fixture
def deployment(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """A deployment whose settings define no account, with 200 stored ones."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no Google credentials of its own
    settings = load_settings(
        database_url=database_url, encryption_key=Fernet.generate_key().decode()
    )
    runtimes = build_runtimes(settings)
    book = AccountBook(runtimes.default.db, Sealer(settings.encryption_keys()))
    for index in range(ACCOUNTS):
        book.add(f"seeker-{index:03d}")
    yield runtimes, book
    runtimes.default.db.dispose()


def test_polls_of_many_accounts_spread_over_the_interval_through_a_change_of_leader(
    deployment: tuple[AccountRuntimes, AccountBook],
) -> None:
    runtimes, book = deployment
    broker, wall = StubBroker(), WallClock()
    actors = declare_actors(broker)

    def replica(name: str) -> Scheduler:
        every, tick = dt.timedelta(seconds=EVERY), dt.timedelta(seconds=TICK)
        return Scheduler(runtimes, actors, poll_every=every, tick=tick, holder=name, wall=wall)

    leader, standby = replica("a"), replica("b")
    sends: list[list[str]] = []  # per tick
    polled: dict[str, list[float]] = defaultdict(list)

    def run_for(seconds: float, scheduler: Scheduler) -> None:
        for _ in range(int(seconds / TICK)):
            assert scheduler.tick()
            sent = polls(broker, actors)
            sends.append(sent)
            for account in sent:
                polled[account].append(wall.now)
            wall.now += TICK

    # A first start polls every account, never more than twice a tick's share at once
    run_for(EVERY, leader)
    assert set(polled) == {f"seeker-{i:03d}" for i in range(ACCOUNTS)}
    assert max(len(sent) for sent in sends) <= math.ceil(2 * SHARE)

    # Then, settled, each tick sends its share, give or take one
    run_for(2 * EVERY, leader)
    settled = len(sends)
    run_for(EVERY, leader)
    assert max(len(sent) for sent in sends[settled:]) <= math.ceil(SHARE) + 1

    # When the leader stops, the standby goes on with the same schedule: no burst
    leader.close()
    handover = len(sends)
    run_for(2 * EVERY, standby)
    assert max(len(sent) for sent in sends[handover:]) <= math.ceil(SHARE) + 1

    # And twenty accounts added meanwhile are polled soon, no account waiting longer
    for index in range(ACCOUNTS, ACCOUNTS + 20):
        book.add(f"seeker-{index:03d}")
    added = wall.now
    run_for(2 * EVERY, standby)
    assert all(polled[f"seeker-{i:03d}"][0] <= added + 2 * TICK for i in range(ACCOUNTS, 220))
    assert max(len(sent) for sent in sends) <= math.ceil(2 * SHARE) + 2

    # Every account was polled at least once an interval (give or take the tick its moment
    # waits for),
    # and, settled, exactly once an interval
    start = min(times[0] for times in polled.values())
    for account, times in polled.items():
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert max(gaps) <= EVERY + 2 * TICK, account
        assert times[-1] >= wall.now - EVERY - TICK, account
    settled_from = start + 2 * EVERY
    late = Counter(
        account
        for account, times in polled.items()
        for at in times
        if settled_from <= at < added and int(account.split("-")[1]) < ACCOUNTS
    )
    assert set(late.values()) == {round((added - settled_from) / EVERY)}
    standby.close()
    broker.close()
