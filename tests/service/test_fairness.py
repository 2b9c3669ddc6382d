"""Fairness in one worker: an account's bulk work never takes the threads another's needs.

Real dramatiq Workers on the in-process broker, with the service's middleware
(`service.broker.make_broker`) and worker (`service.broker.start_worker`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from service.broker import make_broker, start_worker
from service.fairness import bulk_threads
from service.settings import Settings
from tests.proof.conftest import CapturedLog, captured_log  # noqa: F401 (fixture)
from tests.service.test_runtimes import Deployment, deploy
from workflows.actors import ACCOUNT_FIRST, DEFAULT_QUEUE, SYNC_QUEUE_SUFFIX
from workflows.rules.clock import Clock

pytestmark = pytest.mark.usefixtures("clean_settings_env")

NY = dt.timezone(dt.timedelta(hours=-5))
BEFORE_ADA_IS_DUE = dt.datetime(2026, 3, 2, 10, 20, tzinfo=NY)  # her interview ends at 10:30
AFTER_ADA_IS_DUE = dt.datetime(2026, 3, 2, 11, 0, tzinfo=NY)
SLOW = 3.0  # seconds Bob's sandbox takes to answer each request: his first sync is long


@pytest.fixture
def service_broker() -> Iterator[StubBroker]:
    """The service's in-process broker, two messages per account at once; put back after."""
    previous = dramatiq.broker.global_broker
    broker = make_broker(Settings(broker_url="", account_concurrency=2))
    assert isinstance(broker, StubBroker)
    yield broker
    broker.close()
    dramatiq.broker.global_broker = previous


class Gate:
    """Messages that hold their thread until opened, counting how many run at once."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.running: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.done: Counter[str] = Counter()

    def work(self, account: str, *, hold: bool = True) -> None:
        with self.lock:
            self.running[account] += 1
            self.most[account] = max(self.most[account], self.running[account])
        if hold:
            self.opened.wait(timeout=30)
        with self.lock:
            self.running[account] -= 1
            self.done[account] += 1


def account_actor(broker: StubBroker, fn: Callable[..., None], queue: str) -> Any:
    """An actor whose first argument is the account, as the service's are."""

    def run(account: str, *args: Any, **kwargs: Any) -> None:
        fn(account, *args, **kwargs)

    setattr(run, ACCOUNT_FIRST, True)
    return dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"work_{queue}")(run)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_one_account_holds_at_most_its_limit_of_threads_and_loses_no_message(
    service_broker: StubBroker,
    captured_log: CapturedLog,  # noqa: F811
) -> None:
    # Given a worker of four threads, and account a sending six messages that take long
    gate, queue = Gate(), f"test_{uuid.uuid4().hex[:10]}"
    work = account_actor(service_broker, gate.work, queue)
    worker = start_worker(service_broker, threads=4, queues={queue})
    try:
        for _ in range(6):
            work.send("a")
        wait_for(lambda: gate.running["a"] == 2)

        # When account b sends one message meanwhile
        work.send("b", hold=False)

        # Then b's runs while a's wait; a never has more than two running at once
        wait_for(lambda: gate.done["b"] == 1)
        assert gate.done["a"] == 0 and gate.running["a"] == 2
        # and once a's first ones finish, every one of a's runs, none lost, none twice
        gate.opened.set()
        wait_for(lambda: gate.done["a"] == 6)
        assert gate.most["a"] == 2
    finally:
        gate.opened.set()
        worker.stop(timeout=10_000)
    # and sending a message back for later is no news: a debug line, no warning
    assert captured_log.events("task.deferred")
    assert not captured_log.events("task.skipped")
    assert '"level": "warning"' not in captured_log.text


def test_bulk_work_of_many_accounts_leaves_a_thread_for_work_due_now(
    service_broker: StubBroker,
) -> None:
    # Given a worker of four threads, and six accounts' syncs that take long
    gate, name = Gate(), f"test_{uuid.uuid4().hex[:10]}"
    bulk, due = f"{name}_sync", name
    sync = account_actor(service_broker, gate.work, bulk)
    run_due = account_actor(service_broker, gate.work, due)
    worker = start_worker(service_broker, threads=4, queues={bulk, due}, bulk={bulk})
    try:
        for index in range(6):
            sync.send(f"account{index}")
        wait_for(lambda: sum(gate.running.values()) == bulk_threads(4))

        # When another account's thank-you falls due
        run_due.send("z", hold=False)

        # Then it runs while the syncs still hold their threads
        wait_for(lambda: gate.done["z"] == 1)
        assert sum(gate.done.values()) == 1 and sum(gate.running.values()) == 3
        gate.opened.set()
        wait_for(lambda: sum(gate.done.values()) == 7)
    finally:
        gate.opened.set()
        worker.stop(timeout=10_000)


@pytest.fixture
def fair_deployment(
    sandbox_factory: Any, tmp_path: Path, service_broker: StubBroker
) -> Iterator[Deployment]:
    """Ours and Bob's accounts on the service's worker: three threads, two per account."""
    bulk = DEFAULT_QUEUE + SYNC_QUEUE_SUFFIX
    worker = start_worker(service_broker, threads=3, bulk={bulk})
    try:
        yield from deploy(
            sandbox_factory, tmp_path, service_broker, now=BEFORE_ADA_IS_DUE.isoformat()
        )
    finally:
        worker.stop(timeout=60_000)


def test_a_long_first_sync_of_one_account_does_not_hold_up_anothers_thank_you(
    fair_deployment: Deployment,
) -> None:
    # Given our calendar synced before Ada's interview ended, and Bob just added
    deployment = fair_deployment
    deployment.actors.sync.send(deployment.runtimes.default.account)
    deployment.settle()
    assert deployment.ours.drafts() == []
    deployment.add_bob()

    # When Bob's first sync of every source starts, slowly (a calendar of 50,000 events)
    deployment.bobs.faults.latency["*"] = SLOW
    for source in ("airtable", "google_contacts", "google_calendar"):
        deployment.actors.sync.send("bob", [source])
    wait_for(lambda: sum(deployment.bobs.request_counts().values()) > 0)
    # and meanwhile Ada's interview ends: the scheduler sends our sweep
    deployment.runtimes.default.clock = Clock.frozen_at(AFTER_ADA_IS_DUE)
    deployment.actors.sweep.send(deployment.runtimes.default.account)

    # Then Ada's thank-you is drafted while Bob's first sync is still under way
    wait_for(lambda: len(deployment.ours.drafts()) == 1, timeout=60)
    asked_of_bob = sum(deployment.bobs.request_counts().values())
    assert deployment.bobs.drafts() == []
    # and Bob's sync goes on to the end: his own thank-you follows
    deployment.bobs.faults.latency.clear()
    wait_for(lambda: len(deployment.bobs.drafts()) == 1, timeout=60)
    assert sum(deployment.bobs.request_counts().values()) > asked_of_bob
    deployment.settle()
    assert len(deployment.ours.drafts()) == 1 and len(deployment.bobs.drafts()) == 1
