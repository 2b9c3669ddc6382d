"""The distributed shape: PostgreSQL, dramatiq over Redis or RabbitMQ, a real Worker.

What the user sees is the same as in the embedded shape: one thank-you draft and the
promised follow-ups, also when a message reaches the workers twice.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest

from connectors.airtable.client import AirtableClient
from connectors.airtable.schema import init_schema
from connectors.airtable.webhooks import list_webhooks
from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.broker import make_broker, start_worker
from service.settings import Settings
from tests.processes import sandbox_environment
from tests.service.test_embedded import GRACE_CHAT, free_port, wait_until
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from workflows.actors import Actors, declare_actors
from workflows.duework.dispatch import claim
from workflows.migrations import upgrade
from workflows.passes import PassReport, sync_all
from workflows.runtime import Runtime, install
from workflows.store import due

pytestmark = pytest.mark.usefixtures("clean_settings_env")

NOW_AFTER_ADA = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


class Cluster:
    """A broker with the actors on a queue of their own and a Worker consuming it."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker
        self.actors: Actors = declare_actors(broker, queue_name=f"test_{uuid.uuid4().hex[:10]}")
        self.worker = start_worker(
            broker, threads=4, queues=set(self.actors.queues), bulk={self.actors.sync_queue_name}
        )

    def settle(self, runtime: Runtime, until: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until `until` holds, no due work is open and the queue is empty.

        (A broker's queue looks empty while its one message is in a worker's hands, so the
        outcome itself is awaited first.)
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until() and not self._open_work(runtime):
                for queue in self.actors.queues:
                    self.broker.join(queue, timeout=int(timeout * 1000))
                time.sleep(0.5)  # a duplicate still in a worker's hands finishes meanwhile
                return
            time.sleep(0.1)
        pytest.fail("the workers did not finish the due work in time")

    @staticmethod
    def _open_work(runtime: Runtime) -> bool:
        with runtime.db.read() as session:
            return bool(due.pending(session, account=runtime.account))

    def stop(self) -> None:
        self.worker.stop(timeout=5000)
        if type(self.broker).__name__ == "RabbitmqBroker":
            for queue in self.actors.queues:
                for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                    self.broker.channel.queue_delete(name)  # type: ignore[attr-defined]
        self.broker.close()


@pytest.fixture(params=["redis", "rabbitmq"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The same tests over Redis and over RabbitMQ."""
    previous = dramatiq.broker.global_broker
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    running = Cluster(make_broker(Settings(broker_url=url)))
    yield running
    running.stop()
    dramatiq.broker.global_broker = previous


@pytest.fixture
def world(
    sandbox_factory: Callable[..., Sandbox],
    make_runtime: RuntimeFactory,  # noqa: F811
    postgres_url: str,
) -> tuple[Sandbox, Runtime]:
    """The small world after Ada's interview, with its store on PostgreSQL."""
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW_AFTER_ADA, database_url=postgres_url)
    install(runtime)
    return sandbox, runtime


def follow_up_kinds(sandbox: Sandbox) -> list[str]:
    return sorted(r["fields"]["Kind"] for r in sandbox.airtable.records("Follow-ups"))


def test_a_sync_through_the_broker_ends_in_one_draft_and_the_follow_ups(
    world: tuple[Sandbox, Runtime], cluster: Cluster
) -> None:
    sandbox, runtime = world

    cluster.actors.sync.send(runtime.account)
    cluster.settle(runtime, until=lambda: len(follow_up_kinds(sandbox)) >= 2)

    drafts = sandbox.drafts()
    assert len(drafts) == 1
    assert "Ada" in drafts[0]["subject"]
    assert follow_up_kinds(sandbox) == ["Action item", "Thank-you"]
    assert [r["fields"]["Status"] for r in sandbox.airtable.records("Meetings")] == ["Completed"]


def test_the_same_message_delivered_twice_makes_one_of_everything(
    world: tuple[Sandbox, Runtime], cluster: Cluster
) -> None:
    # Given the sources synced and a sweep's claim of the meeting's completion
    sandbox, runtime = world
    sync_all(runtime, PassReport())
    items = claim(runtime)
    assert items

    # When every run message reaches the workers twice, and the sweep runs twice as well
    for item in items:
        message: Any = cluster.actors.run_due.message(runtime.account, item.kind, [item.key])
        cluster.broker.enqueue(message)
        cluster.actors.run_due.send(runtime.account, item.kind, [item.key])
    cluster.actors.sweep.send(runtime.account)
    cluster.actors.sweep.send(runtime.account)
    cluster.settle(runtime, until=lambda: len(follow_up_kinds(sandbox)) >= 2)

    # Then the user finds one draft and one of each follow-up
    assert len(sandbox.drafts()) == 1
    assert follow_up_kinds(sandbox) == ["Action item", "Thank-you"]
    ada = next(
        r["fields"]
        for r in sandbox.airtable.records("Contacts")
        if r["fields"].get("Email") == "ada@analytical.example"
    )
    assert (ada["Stage"], ada["Next Update Due"]) == ("Keeping in touch", "2026-04-01")


def test_web_worker_and_two_schedulers_as_processes_serve_one_user(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    postgres_url: str,
    redis_url: str,
) -> None:
    # Given the distributed shape: web, a worker and two scheduler replicas on Redis + PostgreSQL
    sandbox = sandbox_factory(small_fixture())
    airtable = AirtableClient(
        sandbox.airtable_token, sandbox.airtable_base_id, endpoint=sandbox.url
    )
    init_schema(airtable)  # what `followthrough airtable init` does
    port = free_port()
    env = process_environment(tmp_path, sandbox, postgres_url, redis_url, port)
    upgrade(postgres_url)  # as a deployment's first start would; then every process finds it done
    commands = {"web": ["web"], "worker": ["worker", "--threads", "4"]}
    commands |= {"scheduler-a": ["scheduler"], "scheduler-b": ["scheduler"]}
    running = {name: spawn(tmp_path, env, name, args) for name, args in commands.items()}
    try:
        # Then Ada's draft is made once, and one scheduler leads
        wait_until(lambda: len(sandbox.drafts()) == 1, 90, "Ada's thank-you draft")
        schedulers = ("scheduler-a", "scheduler-b")
        assert sum(leads(tmp_path / f"{name}.log") for name in schedulers) == 1

        # And a calendar change pushed to the web app reaches a worker through Redis
        wait_until(sandbox.push_log, 30, "the calendar channel opened by a worker")
        sandbox.add_event(GRACE_CHAT)
        wait_until(lambda: len(sandbox.drafts()) == 2, 30, "Grace's thank-you draft")
        thank_yous = lambda: follow_up_kinds(sandbox).count("Thank-you") == 2  # noqa: E731
        wait_until(thank_yous, 30, "the two Thank-you follow-ups")
        time.sleep(0.5)
        assert follow_up_kinds(sandbox) == ["Action item", "Thank-you", "Thank-you"]
        assert len(sandbox.drafts()) == 2
    finally:
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        codes = {name: stop_process(process) for name, process in running.items()}
    # And every process stops cleanly on SIGTERM
    assert codes == dict.fromkeys(running, 0), [
        (tmp_path / f"{name}.log").read_text()[-2000:] for name, code in codes.items() if code != 0
    ]


def leads(log: Path) -> bool:
    """True once a scheduler process's JSON log says it leads."""
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "scheduler.lease" and entry.get("leading") is True:
            return True
    return False


def process_environment(
    tmp_path: Path, sandbox: Sandbox, database_url: str, broker_url: str, port: int
) -> dict[str, str]:
    return sandbox_environment(
        tmp_path,
        sandbox,
        database_url=database_url,
        broker_url=broker_url,
        now=NOW_AFTER_ADA.isoformat(),
        http_port=str(port),
        public_url=f"http://127.0.0.1:{port}",
        poll_minutes="60",
    )


def spawn(
    tmp_path: Path, env: dict[str, str], name: str, args: list[str]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("wb"),
    )


def stop_process(process: subprocess.Popen[bytes]) -> int | None:
    """The exit code after SIGTERM (sent already); None when it had to be killed."""
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        return None


def test_syncs_running_at_once_on_postgresql_still_make_one_of_everything(
    world: tuple[Sandbox, Runtime], cluster: Cluster
) -> None:
    # Given a push arriving while the periodic poll runs: four syncs on four worker threads
    sandbox, runtime = world
    for sources in (None, ["google_calendar"], None, ["google_calendar"]):
        cluster.actors.sync.send(runtime.account, sources)
    cluster.settle(runtime, until=lambda: len(follow_up_kinds(sandbox)) >= 2)

    # Then the user still finds one draft, one Meetings row and one of each follow-up
    assert len(sandbox.drafts()) == 1
    assert follow_up_kinds(sandbox) == ["Action item", "Thank-you"]
    assert len(sandbox.airtable.records("Meetings")) == 1
    assert len(list_webhooks(runtime.need_airtable())) == 1  # one change feed, not one per sync
