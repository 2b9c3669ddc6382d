"""A worker's PostgreSQL connections are bounded by its threads, not by the accounts it serves."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker

from service.broker import make_broker, start_worker
from service.cli_processes import worker_connections
from service.runtimes import build_runtimes
from service.settings import Settings
from service.settings_loading import load_settings
from tests.conftest import POSTGRES_URL
from workflows.accounts import AccountBook
from workflows.actors import declare_actors
from workflows.duework.dispatch import PURGED_ON
from workflows.facts import get_fact
from workflows.runtime import install
from workflows.sealing import Sealer

pytestmark = pytest.mark.usefixtures("clean_settings_env")

ACCOUNTS = 30
THREADS = 4


class ConnectionCount:
    """Samples, from a connection of its own, how many connections carry `name` on the server."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.most = 0
        self._stop = threading.Event()
        self._engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ConnectionCount:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._engine.dispose()

    def _sample(self) -> None:
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        with self._engine.connect() as connection:
            while not self._stop.wait(0.02):
                count = connection.execute(query, {"name": self.name}).scalar_one()
                self.most = max(self.most, int(count))


@pytest.fixture
def worker_broker() -> Iterator[StubBroker]:
    """The service's in-process broker; the global broker put back after."""
    previous = dramatiq.broker.global_broker
    broker = make_broker(Settings(broker_url=""))
    assert isinstance(broker, StubBroker)
    yield broker
    broker.close()
    dramatiq.broker.global_broker = previous


def test_thirty_accounts_on_one_worker_hold_no_more_connections_than_its_threads_allow(
    postgres_url: str,
    worker_broker: StubBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a worker of four threads serving thirty accounts stored in PostgreSQL
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no account of the settings' own
    key, name = Fernet.generate_key().decode(), f"followthrough-test-{uuid.uuid4().hex[:8]}"
    settings = load_settings(database_url=postgres_url, encryption_key=key)
    runtimes = build_runtimes(settings, connections=worker_connections(THREADS), process=name)
    names = [f"seeker{index:02d}" for index in range(ACCOUNTS)]
    for account in names:
        AccountBook(runtimes.default.db, Sealer([key])).add(account)
    install(runtimes)
    actors = declare_actors(worker_broker)
    runtimes.default.db.dispose()  # what setting up opened: count the worker's own from here
    worker = start_worker(worker_broker, threads=THREADS, bulk={actors.sync_queue_name})

    # When every account's sweep arrives three times at once
    try:
        with ConnectionCount(name) as connections:
            for _ in range(3):
                for account in names:
                    actors.sweep.send(account)
            for queue in actors.queues:
                worker_broker.join(queue, timeout=120_000)
    finally:
        worker.stop(timeout=10_000)

    # Then every account's sweep ran (its daily upkeep is recorded) on one shared pool,
    today = runtimes.default.now().date().isoformat()
    with runtimes.default.db.read() as session:
        assert all(get_fact(session, PURGED_ON, account=account) == today for account in names)
    assert all(runtimes.runtime_for(account).db is runtimes.default.db for account in names)
    # and PostgreSQL never saw more of the worker's connections than its threads and two
    assert 1 <= connections.most <= worker_connections(THREADS)
    runtimes.default.db.dispose()
