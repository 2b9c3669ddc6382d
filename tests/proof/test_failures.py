"""The failure suite (issue 6): exactly-once follow-through whatever network, broker, process do.

N informational interviews complete (a tenth of them with someone a contact introduced)
while 20% of API calls fail with 429 or 5xx, 5% of writes are applied with their response
lost, every webhook reaches the web app three times, the process doing the work is killed with
SIGKILL twice in the middle of its batches, the broker restarts once without its data
(connections dropped, queued messages lost), and the Calendar sync token expires once. Once
the faults stop, the user finds, within a bounded time, exactly one draft and one Thank-you per
interview, one Action item per promise, and one thank-you draft and Thank introducer follow-up
per introduction: nothing missing, nothing doubled.

Run in the distributed shape (web, scheduler and workers on PostgreSQL, over Redis and over
RabbitMQ) and in the embedded shape (`followthrough run` on SQLite, where the process killed
is the whole service, then started again; its in-process broker dies with it).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter
from connectors.airtable.schema import init_schema
from connectors.airtable.webhooks import list_webhooks
from connectors.policy import FAST_POLICY
from connectors.sandbox.server import Sandbox
from tests.processes import free_port
from tests.proof.failure_harness import (
    Fleet,
    TripleRelay,
    add_events,
    faults_on,
    loose_ends,
    restart_broker,
    service_env,
    tagged,
    totals,
    wait_until,
)
from tests.proof.failure_world import NOW, FailureWorld
from workflows.migrations import upgrade
from workflows.store import due
from workflows.store.db import Database

N = 200
"""Interviews per scenario, as the issue asks (the three scenarios take about 3.5 minutes here)."""
LATE = 24
"""Of those, how many the user adds to the calendar during the run (pushed, not in the fixture)."""
CONVERGE_WITHIN = 90.0
"""Seconds after the faults stop by which everything must be done."""
PROGRESS_TIMEOUT = 120.0


@dataclass
class Scenario:
    """One run of the story: the world, the sandbox, the relay and the service's processes."""

    world: FailureWorld
    sandbox: Sandbox
    fleet: Fleet
    database_url: str
    airtable: AirtableClient
    faulted_requests: int = 0  # requests the sandbox had served when the faults stopped

    def drafts_reach(self, fraction: float) -> None:
        """Wait until that fraction of the drafts exists (the service is mid-way)."""
        target = int(self.world.n * fraction)
        wait_until(
            lambda: len(self.sandbox.drafts()) >= target,
            PROGRESS_TIMEOUT,
            lambda: f"{target} drafts: {self._logs()}",
        )

    def converge(self) -> float:
        """Stop the faults; wait until every effect exists and no work is left; the seconds."""
        self.faulted_requests = len(self.sandbox.requests_log())
        self.sandbox.clear_faults()
        started = time.monotonic()
        expected = self.world.expected()
        wait_until(
            lambda: totals(self.sandbox).done(expected) and not self._open_work(),
            CONVERGE_WITHIN,
            lambda: f"every effect after the faults stopped: {self._problems()} {self._logs()}",
        )
        return time.monotonic() - started

    def assert_exact(self) -> None:
        """Exactly the planned effects, with time given for a late duplicate to show up."""
        time.sleep(3.0)
        assert self._problems() == {}, self._logs()
        found = totals(self.sandbox)
        expected = self.world.expected()
        assert len(found.drafts) == len(expected.draft_message_ids)
        assert sum(found.thank_yous.values()) == self.world.n
        assert sum(found.actions.values()) == len(expected.action_keys)
        assert sum(found.asks.values()) == len(expected.ask_keys)
        assert loose_ends(self.sandbox) == {}
        webhooks = list_webhooks(self.airtable)
        assert len(webhooks) == 1, webhooks  # no stray webhook left behind (a base holds ten)

    def assert_faults_struck(self) -> float:
        """The sandbox really refused, dropped and expired what the story says; the share of
        API calls that failed while the faults were on."""
        served = Counter(
            (e["route"].split(".")[0], e["status"]) for e in self.sandbox.requests_log()
        )
        statuses = Counter[int | None]()
        for (_, status), count in served.items():
            statuses[status] += count
        assert all(statuses[s] > 0 for s in (429, 500, 503)), statuses
        assert statuses[0] > 0, "no write lost its response"  # 0: applied, response dropped
        assert served[("calendar", 410)] > 0, "the Calendar sync token never expired"
        api_calls = [
            e["status"]
            for e in self.sandbox.requests_log()[: self.faulted_requests]
            if not e["route"].startswith("control.")
        ]
        failed = sum(1 for status in api_calls if status in (429, 500, 503))
        assert 0.12 < failed / len(api_calls) < 0.30, (failed, len(api_calls))  # about a fifth
        return failed / len(api_calls)

    def _problems(self) -> dict[str, object]:
        return totals(self.sandbox).problems(self.world.expected())

    def _open_work(self) -> bool:
        db = Database(self.database_url)
        try:
            with db.read() as session:
                return any(item.due_at <= NOW for item in due.pending(session))
        finally:
            db.dispose()

    def _logs(self) -> str:
        names = sorted(p.name.removesuffix(".log") for p in self.fleet.tmp_path.glob("*.log"))
        return "\n".join(f"--- {n}\n{self.fleet.log_tail(n, 1500)}" for n in names)


@pytest.fixture
def relay_port() -> Iterator[tuple[TripleRelay, int]]:
    """The web app's port and the relay that delivers every webhook to it three times."""
    port = free_port()
    relay = TripleRelay(port).start()
    yield relay, port
    relay.stop()


def prepare(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    relay_port: tuple[TripleRelay, int],
    *,
    database_url: str,
    broker_url: str,
) -> Scenario:
    """The world in the sandbox, its Airtable base initialised, the environment ready."""
    world = FailureWorld(n=N, late=LATE)
    sandbox = sandbox_factory(world.fixture())
    airtable = AirtableClient(
        sandbox.airtable_token,
        sandbox.airtable_base_id,
        endpoint=sandbox.url,
        policy=FAST_POLICY,
        limiter=LocalRateLimiter(),
    )
    init_schema(airtable)  # what `followthrough airtable init` does
    relay, port = relay_port
    env = service_env(
        tmp_path,
        sandbox,
        database_url=database_url,
        broker_url=broker_url,
        http_port=port,
        public_url=relay.url,
    )
    return Scenario(world, sandbox, Fleet(tmp_path, env), database_url, airtable)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """The distributed shape over Redis, then over RabbitMQ."""
    return str(request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url"))


def test_distributed_shape_survives_every_fault_with_exact_totals(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    relay_port: tuple[TripleRelay, int],
    postgres_url: str,
    broker_url: str,
) -> None:
    # Given web, scheduler and a worker on PostgreSQL and the broker, with every fault on
    tag = f"ftproof-{uuid.uuid4().hex[:8]}"  # names the service's broker connections
    service_broker = tagged(broker_url, tag)
    story = prepare(
        tmp_path, sandbox_factory, relay_port, database_url=postgres_url, broker_url=service_broker
    )
    upgrade(postgres_url)
    fleet = story.fleet
    faults_on(story.sandbox)
    started = time.monotonic()
    fleet.start("web", "web")
    fleet.start("scheduler", "scheduler")
    fleet.start("worker-1", "worker", "--threads", "4")
    late = story.world.late_events()
    try:
        # When the worker is killed mid-batch, and a fresh one takes over
        story.drafts_reach(0.2)
        fleet.kill("worker-1")
        fleet.start("worker-2", "worker", "--threads", "4")
        add_events(story.sandbox, late[: len(late) // 2])
        # and the broker restarts without its data, the Calendar sync token expires
        story.drafts_reach(0.4)
        restart_broker(broker_url, tag)
        story.sandbox.expire_sync_tokens("calendar")
        add_events(story.sandbox, late[len(late) // 2 :])
        # and the second worker is killed mid-batch too
        story.drafts_reach(0.6)
        fleet.kill("worker-2")
        fleet.start("worker-3", "worker", "--threads", "4")

        # Then, once the faults stop, everything is done within a bounded time
        converged = story.converge()
        story.assert_exact()
        failed_share = story.assert_faults_struck()
    finally:
        codes = fleet.stop_all()
    assert relay_port[0].deliveries[200] >= 3 * (LATE + 1)  # pushes reached the app, thrice each
    assert set(codes.values()) == {0}, codes
    print(
        f"\nfailure suite [{broker_url.split(':')[0]}]: N={N}, converged {converged:.1f}s "
        f"after the faults stopped, {time.monotonic() - started:.1f}s in all, "
        f"{failed_share:.0%} of API calls failed meanwhile"
    )


def test_embedded_shape_killed_twice_and_restarted_ends_with_exact_totals(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    relay_port: tuple[TripleRelay, int],
) -> None:
    # Given `followthrough run` on SQLite with every fault on
    database_url = f"sqlite:///{tmp_path / 'followthrough.db'}"
    story = prepare(tmp_path, sandbox_factory, relay_port, database_url=database_url, broker_url="")
    fleet = story.fleet
    faults_on(story.sandbox)
    started = time.monotonic()
    fleet.start("run-1", "run")
    late = story.world.late_events()
    try:
        # When the whole process is killed in the middle of a run, then started again
        story.drafts_reach(0.2)
        fleet.kill("run-1")
        fleet.start("run-2", "run")
        add_events(story.sandbox, late[: len(late) // 2])
        # and the Calendar sync token expires
        story.drafts_reach(0.4)
        story.sandbox.expire_sync_tokens("calendar")
        add_events(story.sandbox, late[len(late) // 2 :])
        # and it is killed and started once more
        story.drafts_reach(0.6)
        fleet.kill("run-2")
        fleet.start("run-3", "run")

        # Then the totals are exactly those of an undisturbed run
        converged = story.converge()
        story.assert_exact()
        failed_share = story.assert_faults_struck()
    finally:
        codes = fleet.stop_all()
    assert relay_port[0].deliveries[200] >= 3 * (LATE + 1)
    assert set(codes.values()) == {0}, codes
    print(
        f"\nfailure suite [embedded]: N={N}, converged {converged:.1f}s after the faults "
        f"stopped, {time.monotonic() - started:.1f}s in all, "
        f"{failed_share:.0%} of API calls failed meanwhile"
    )
