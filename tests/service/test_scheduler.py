"""The scheduler: one leader per database, syncs on schedule, a sweep as soon as work falls due."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message

from connectors.sandbox.fixture import small_fixture
from service.broker import start_worker
from service.runtimes import build_runtimes
from service.scheduler import LEASE_NAME, Scheduler
from service.settings_loading import load_settings
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from workflows.accounts import AccountBook
from workflows.actors import Actors, declare_actors
from workflows.leadership import lock_connection_name
from workflows.migrations import upgrade
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig, install
from workflows.scheduling import hand_back_all
from workflows.sealing import Sealer
from workflows.store import due
from workflows.store.db import Database

EASTERN = dt.timezone(dt.timedelta(hours=-5))
BEFORE_ADA_IS_DUE = dt.datetime(2026, 3, 2, 10, 40, tzinfo=EASTERN)  # ends 10:30, grace 15 min


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    yield stub
    stub.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same scheduler tests on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduler.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def runtimes(database_url: str) -> Iterator[Callable[[], Runtime]]:
    """Runtimes on one database (one per scheduler replica), without any connector."""
    upgrade(database_url)
    made: list[Runtime] = []

    def build() -> Runtime:
        runtime = Runtime(db=Database(database_url), config=WorkflowConfig())
        runtime.clock = Clock.frozen_at(BEFORE_ADA_IS_DUE)
        made.append(runtime)
        return runtime

    yield build
    for runtime in made:
        runtime.db.dispose()


def sent(broker: StubBroker, actors: Actors) -> list[str]:
    """The actors named by the messages waiting on the queues (drained)."""
    return [name for name, _ in messages(broker, actors)]


def replica(runtime: Runtime, actors: Actors, **options: Any) -> Scheduler:
    options.setdefault("poll_every", dt.timedelta(minutes=5))
    return Scheduler(runtime, actors, **options)


def test_only_one_of_two_schedulers_leads_and_the_other_takes_over_when_it_stops(
    runtimes: Callable[[], Runtime], broker: StubBroker
) -> None:
    actors = declare_actors(broker)
    first = replica(runtimes(), actors, holder="replica-a")
    second = replica(runtimes(), actors, holder="replica-b")

    # Both tick on one database: one leads, the other stands by, and only one poll is sent
    assert first.tick() is True
    assert second.tick() is False
    assert first.tick() is True and second.tick() is False
    assert sent(broker, actors) == ["sync"]

    # When the leader stops, the standby leads at its next tick, and goes on with the
    # schedule: the account polled a moment ago is not polled again
    first.close()
    assert second.tick() is True
    assert first.tick() is False
    assert sent(broker, actors) == []
    second.close()
    first.close()


def test_a_leader_that_dies_on_sqlite_loses_the_lease_after_its_time_to_live(
    tmp_path: Path, broker: StubBroker
) -> None:
    url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    upgrade(url)
    actors = declare_actors(broker)
    ttl = dt.timedelta(seconds=0.5)
    dying = replica(Runtime(db=Database(url), config=WorkflowConfig()), actors, lease_ttl=ttl)
    standby = replica(Runtime(db=Database(url), config=WorkflowConfig()), actors, lease_ttl=ttl)
    assert dying.tick() is True

    # The leader stops ticking without giving the lease up (as after a SIGKILL)
    assert standby.tick() is False
    time.sleep(0.7)

    assert standby.tick() is True
    for scheduler in (dying, standby):
        scheduler.runtime.db.dispose()


def test_an_embedded_start_after_a_crash_polls_at_once(tmp_path: Path, broker: StubBroker) -> None:
    # Given an embedded process that polled, then died with the poll still in its queue
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    upgrade(url)
    actors = declare_actors(broker)
    dead = replica(Runtime(db=Database(url), config=WorkflowConfig()), actors)
    assert dead.tick() is True
    broker.flush_all()

    # When the next start hands back what the dead process held
    restarted = Runtime(db=Database(url), config=WorkflowConfig())
    hand_back_all(restarted, [LEASE_NAME])

    # Then its scheduler leads and polls at once, not an interval later
    assert replica(restarted, actors).tick() is True
    assert sent(broker, actors) == ["sync"]
    for runtime in (dead.runtime, restarted):
        runtime.db.dispose()


def test_a_leader_whose_connection_drops_stops_leading_and_the_standby_leads(
    postgres_url: str, broker: StubBroker
) -> None:
    # Given two replicas on PostgreSQL, one leading on its advisory lock
    upgrade(postgres_url)
    actors = declare_actors(broker)
    leader = replica(Runtime(db=Database(postgres_url), config=WorkflowConfig()), actors)
    standby = replica(Runtime(db=Database(postgres_url), config=WorkflowConfig()), actors)
    assert leader.tick() is True and standby.tick() is False

    # When the server ends the leader's session (a network blip, a failover)
    admin = Database(postgres_url)
    with admin.transaction() as session:
        ended = session.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": lock_connection_name(leader.holder)},
        ).scalars()
        assert list(ended) == [True]

    # Then the standby leads at its next tick, and the old leader knows it does not
    assert standby.tick() is True
    assert leader.tick() is False
    assert standby.tick() is True
    for scheduler in (leader, standby):
        scheduler.close()
        scheduler.runtime.db.dispose()
    admin.dispose()


def test_replicas_of_two_deployments_on_one_database_each_lead_their_own(
    postgres_url: str, broker: StubBroker
) -> None:
    # Two deployments in schemas of their own, on one PostgreSQL database
    other_schema = postgres_url.replace("search_path%3D", "search_path%3Dx")
    schema = other_schema.rsplit("search_path%3D", 1)[1]
    admin = Database(postgres_url)
    with admin.transaction() as session:
        session.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        actors = declare_actors(broker)
        ours = replica(Runtime(db=Database(postgres_url), config=WorkflowConfig()), actors)
        theirs = replica(Runtime(db=Database(other_schema), config=WorkflowConfig()), actors)
        upgrade(other_schema)
        upgrade(postgres_url)
        assert ours.tick() is True
        assert theirs.tick() is True
        for scheduler in (ours, theirs):
            scheduler.close()
            scheduler.runtime.db.dispose()
    finally:
        with admin.transaction() as session:
            session.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_leader_sweeps_only_when_work_is_due(
    runtimes: Callable[[], Runtime], broker: StubBroker
) -> None:
    runtime = runtimes()
    actors = declare_actors(broker)
    scheduler = replica(runtime, actors)
    scheduler.tick()
    assert sent(broker, actors) == ["sync"]

    # Nothing due yet: ticks send nothing
    with runtime.db.transaction() as session:
        due.schedule(session, "complete_meeting", "m1", BEFORE_ADA_IS_DUE + dt.timedelta(minutes=5))
    scheduler.tick()
    assert sent(broker, actors) == []

    # The due time arrives: the next tick sends a sweep
    runtime.clock = Clock.frozen_at(BEFORE_ADA_IS_DUE + dt.timedelta(minutes=6))
    scheduler.tick()
    assert sent(broker, actors) == ["sweep"]

    # Once the sweep claimed the work, it is in a worker's hands: no more sweeps for it
    with runtime.db.transaction() as session:
        assert due.claim_due(session, runtime.now())
    scheduler.tick()
    assert sent(broker, actors) == []


def test_the_leader_wakes_when_work_falls_due_not_at_its_next_tick(
    runtimes: Callable[[], Runtime], broker: StubBroker
) -> None:
    # Given a leader that ticks every 5 s, and a meeting's completion due 0.6 s from now
    runtime = runtimes()
    runtime.clock = Clock()
    actors = declare_actors(broker)
    scheduler = replica(runtime, actors, tick=dt.timedelta(seconds=5))
    started = time.monotonic()  # before the due time is taken: it counts from here
    with runtime.db.transaction() as session:
        due.schedule(session, "complete_meeting", "m1", runtime.now() + dt.timedelta(seconds=0.6))
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    try:
        # Then the sweep for it is sent as it falls due, seconds before the next tick
        names: list[str] = []
        while "sweep" not in names and time.monotonic() - started < 4:
            names += sent(broker, actors)
            time.sleep(0.02)
        assert "sweep" in names
        assert 0.5 <= time.monotonic() - started < 1.5
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_draft_follows_the_end_of_a_meeting_plus_grace_within_seconds(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,  # noqa: F811
    broker: StubBroker,
) -> None:
    # Given the service running (scheduler and worker), 10 minutes before Ada's effects are due
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=BEFORE_ADA_IS_DUE)
    install(runtime)
    actors = declare_actors(broker)
    worker = start_worker(broker, threads=2)
    stop = threading.Event()
    scheduler = replica(runtime, actors, tick=dt.timedelta(seconds=0.2))
    thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    thread.start()
    try:
        for queue in actors.queues:
            broker.join(queue, timeout=20_000)
        time.sleep(0.5)
        assert sandbox.drafts() == []

        # When the clock passes the meeting's end plus grace
        runtime.clock = Clock.frozen_at(BEFORE_ADA_IS_DUE + dt.timedelta(minutes=6))
        started = time.monotonic()
        while not sandbox.drafts() and time.monotonic() - started < 10:
            time.sleep(0.05)

        # Then the draft is there within seconds, with no sync needed
        assert len(sandbox.drafts()) == 1
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        thread.join(timeout=5)
        worker.stop(timeout=5000)


def test_the_leader_polls_every_active_account_and_sweeps_only_where_work_is_due(
    database_url: str, broker: StubBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment whose settings define no account of their own, and two stored ones
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no Google credentials of its own
    settings = load_settings(
        database_url=database_url,
        encryption_key=Fernet.generate_key().decode(),
        now=BEFORE_ADA_IS_DUE.isoformat(),
    )
    accounts = build_runtimes(settings)
    book = AccountBook(accounts.default.db, Sealer(settings.encryption_keys()))
    book.add("alice")
    book.add("bob")
    actors = declare_actors(broker)
    wall = [1_800_000_000.0]  # the clock polls are timed by, moved by the test
    every = dt.timedelta(minutes=5)
    scheduler = Scheduler(accounts, actors, poll_every=every, wall=lambda: wall[0])

    # The first tick polls each account, in its own message
    scheduler.tick()
    assert messages(broker, actors) == [("sync", ("alice",)), ("sync", ("bob",))]

    # Work falls due for Bob only: the next tick sweeps Bob only
    with accounts.default.db.transaction() as session:
        due.schedule(session, "complete_meeting", "m1", BEFORE_ADA_IS_DUE, account="bob")
    scheduler.tick()
    assert messages(broker, actors) == [("sweep", ("bob",))]

    # Alice disabled: the next poll leaves her out
    book.disable("alice")
    wall[0] += every.total_seconds()
    scheduler.tick()
    assert messages(broker, actors) == [("sync", ("bob",))]
    scheduler.close()
    accounts.default.db.dispose()


def messages(broker: StubBroker, actors: Actors) -> list[tuple[str, tuple[Any, ...]]]:
    """The messages waiting on the queues, syncs first (drained): actor and arguments."""
    found = []
    for name in actors.queues:
        queue = broker.queues[name]
        while not queue.empty():
            message = Message.decode(queue.get_nowait())
            found.append((message.actor_name, tuple(message.args)))
            queue.task_done()
    return found
