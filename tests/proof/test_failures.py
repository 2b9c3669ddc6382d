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
RabbitMQ) for 20 accounts at once: the settings' own and 19 stored in the database, each with
its own sandbox and world (the N interviews shared out among them), all under the same faults.
Each account gets exactly its own drafts and follow-ups, and nothing of one reaches another's
Gmail or base, nor its token another's sandbox. And in the embedded shape, one account
(`followthrough run` on SQLite, where the process killed is the whole service, then started
again; its in-process broker dies with it).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from connectors.airtable.webhooks import list_webhooks
from connectors.sandbox.server import Sandbox
from tests.processes import free_port
from tests.proof.failure_accounts import (
    Account,
    channels_opened,
    foreign_credentials,
    misrouted,
    open_account,
    pushes_routed,
    store_accounts,
    tagged_worlds,
)
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
from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.db import Database

N = 200
"""Interviews per scenario, as the issue asks (shared out among the accounts when many)."""
LATE = 24
"""Of those, how many the user adds to the calendar during the run (pushed, not in the fixture)."""
ACCOUNTS = 20
"""Accounts the distributed shape serves at once (the issue's number)."""
CONVERGE_WITHIN = 90.0
"""Seconds after the faults stop by which everything must be done."""
PROGRESS_TIMEOUT = 120.0


@dataclass
class Scenario:
    """One run of the story: the accounts with their worlds and sandboxes, the service's
    processes and its store."""

    accounts: list[Account]
    fleet: Fleet
    database_url: str
    expired_in: int = 0  # accounts whose Calendar answered 410 for an expired sync token

    @property
    def interviews(self) -> int:
        """Interviews across every account."""
        return sum(account.world.n for account in self.accounts)

    def late_events(self) -> list[tuple[Sandbox, dict[str, object]]]:
        """Every account's interviews that show up during the run, with the calendar they
        are added to."""
        return [(a.sandbox, e) for a in self.accounts for e in a.world.late_events()]

    def drafts_reach(self, fraction: float) -> None:
        """Wait until that fraction of the drafts exists (the service is mid-way)."""
        target = int(self.interviews * fraction)
        wait_until(
            lambda: sum(len(a.sandbox.drafts()) for a in self.accounts) >= target,
            PROGRESS_TIMEOUT,
            lambda: f"{target} drafts: {self._logs()}",
        )

    def channels_live(self) -> None:
        """Wait until every account's Calendar push channel is open and stored: a change made
        before then is only polled."""
        names = {account.name for account in self.accounts}
        wait_until(
            lambda: channels_opened(sorted(self.fleet.tmp_path.glob("worker-*.log"))) >= names,
            PROGRESS_TIMEOUT,
            lambda: f"every account's Calendar channel: {self._logs()}",
        )

    def converge(self) -> float:
        """Stop the faults; wait until every effect exists and no work is left; the seconds."""
        for account in self.accounts:
            account.faulted_requests = len(account.sandbox.requests_log())
            account.sandbox.clear_faults()
        started = time.monotonic()
        wait_until(
            lambda: self._all_done() and not self._open_work(),
            CONVERGE_WITHIN,
            lambda: f"every effect after the faults stopped: {self._problems()} {self._logs()}",
        )
        return time.monotonic() - started

    def assert_exact(self) -> None:
        """Exactly the planned effects in every account, with time given for a late duplicate
        to show up; nothing of one account in another's Gmail, base or sandbox."""
        time.sleep(3.0)
        assert self._problems() == {}, self._logs()
        for account in self.accounts:
            found, expected = totals(account.sandbox), account.world.expected()
            assert len(found.drafts) == len(expected.draft_message_ids)
            assert sum(found.thank_yous.values()) == account.world.n
            assert sum(found.actions.values()) == len(expected.action_keys)
            assert sum(found.asks.values()) == len(expected.ask_keys)
            assert loose_ends(account.sandbox) == {}
            webhooks = list_webhooks(account.airtable)
            assert len(webhooks) == 1, webhooks  # no stray webhook left behind (a base holds ten)
        assert misrouted(self.accounts) == {}
        assert foreign_credentials(self.accounts) == {}

    def assert_faults_struck(self) -> float:
        """The sandboxes really refused, dropped and expired what the story says; the share
        of API calls that failed while the faults were on."""
        served = Counter(
            (e["route"].split(".")[0], e["status"])
            for account in self.accounts
            for e in account.sandbox.requests_log()
        )
        statuses = Counter[int | None]()
        for (_, status), count in served.items():
            statuses[status] += count
        assert all(statuses[s] > 0 for s in (429, 500, 503)), statuses
        assert statuses[0] > 0, "no write lost its response"  # 0: applied, response dropped
        assert served[("calendar", 410)] > 0, "the Calendar sync token never expired"
        self.expired_in = sum(
            any(e["route"].startswith("calendar.") and e["status"] == 410 for e in log)
            for log in (a.sandbox.requests_log() for a in self.accounts)
        )
        api_calls = [
            e["status"]
            for account in self.accounts
            for e in account.sandbox.requests_log()[: account.faulted_requests]
            if not e["route"].startswith("control.")
        ]
        failed = sum(1 for status in api_calls if status in (429, 500, 503))
        assert 0.12 < failed / len(api_calls) < 0.30, (failed, len(api_calls))  # about a fifth
        return failed / len(api_calls)

    def _all_done(self) -> bool:
        return all(totals(a.sandbox).done(a.world.expected()) for a in self.accounts)

    def _problems(self) -> dict[str, object]:
        found = {a.name: totals(a.sandbox).problems(a.world.expected()) for a in self.accounts}
        return {name: problems for name, problems in found.items() if problems}

    def _open_work(self) -> bool:
        db = Database(self.database_url)
        try:
            with db.read() as session:
                return any(
                    item.due_at <= NOW
                    for account in self.accounts
                    for item in due.pending(session, account=account.name)
                )
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
    accounts: int = 1,
    encryption_key: str = "",
) -> Scenario:
    """Each account's world in its own sandbox, its Airtable base initialised, and the
    environment of the service (the first account is the settings' own)."""
    if accounts == 1:
        worlds = [FailureWorld(n=N, late=LATE)]
    else:
        worlds = tagged_worlds(accounts, n=max(2, N // accounts), late=max(1, LATE // accounts))
    names = [DEFAULT_ACCOUNT, *(world.tag for world in worlds[1:])]
    opened = [open_account(sandbox_factory, n, w) for n, w in zip(names, worlds, strict=True)]
    relay, port = relay_port
    env = service_env(
        tmp_path,
        opened[0].sandbox,
        database_url=database_url,
        broker_url=broker_url,
        http_port=port,
        public_url=relay.url,
        **({"encryption_key": encryption_key} if encryption_key else {}),
    )
    return Scenario(opened, Fleet(tmp_path, env), database_url)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """The distributed shape over Redis, then over RabbitMQ."""
    return str(request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url"))


def test_distributed_shape_serves_twenty_accounts_through_every_fault_each_exactly_its_own(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    relay_port: tuple[TripleRelay, int],
    postgres_url: str,
    broker_url: str,
) -> None:
    # Given twenty accounts, the settings' own and nineteen stored with sealed credentials,
    # and web, scheduler and a worker on PostgreSQL and the broker, with every fault on
    tag = f"ftproof-{uuid.uuid4().hex[:8]}"  # names the service's broker connections
    service_broker = tagged(broker_url, tag)
    key = Fernet.generate_key().decode()
    story = prepare(
        tmp_path,
        sandbox_factory,
        relay_port,
        database_url=postgres_url,
        broker_url=service_broker,
        accounts=ACCOUNTS,
        encryption_key=key,
    )
    upgrade(postgres_url)
    store_accounts(postgres_url, key, story.accounts[1:])
    fleet = story.fleet
    for account in story.accounts:
        faults_on(account.sandbox)
    started = time.monotonic()
    fleet.start("web", "web")
    fleet.start("scheduler", "scheduler")
    fleet.start("worker-1", "worker", "--threads", "4")
    late = story.late_events()
    try:
        # When the worker is killed mid-batch, and a fresh one takes over
        story.drafts_reach(0.2)
        story.channels_live()
        fleet.kill("worker-1")
        fleet.start("worker-2", "worker", "--threads", "4")
        for sandbox, event in late[: len(late) // 2]:
            add_events(sandbox, [event])
        # and the broker restarts without its data, every Calendar sync token expires
        story.drafts_reach(0.4)
        restart_broker(broker_url, tag)
        for account in story.accounts:
            account.sandbox.expire_sync_tokens("calendar")
        for sandbox, event in late[len(late) // 2 :]:
            add_events(sandbox, [event])
        # and the second worker is killed mid-batch too
        story.drafts_reach(0.6)
        fleet.kill("worker-2")
        fleet.start("worker-3", "worker", "--threads", "4")

        # Then, once the faults stop, every account has exactly its own effects in time
        converged = story.converge()
        story.assert_exact()
        failed_share = story.assert_faults_struck()
    finally:
        codes = fleet.stop_all()
    # and each account's pushes reached the app, thrice each, and were routed to it
    assert relay_port[0].deliveries[200] >= 3 * (len(late) + ACCOUNTS)
    pushed = {a.name for a in story.accounts if a.world.late}
    assert set(pushes_routed(tmp_path / "web.log")) == pushed
    assert set(codes.values()) == {0}, codes
    print(
        f"\nfailure suite [{broker_url.split(':')[0]}]: {ACCOUNTS} accounts, "
        f"N={story.interviews}, converged {converged:.1f}s after the faults stopped, "
        f"{time.monotonic() - started:.1f}s in all, {failed_share:.0%} of API calls failed "
        f"meanwhile, {story.expired_in} accounts read past an expired sync token"
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
    [account] = story.accounts
    faults_on(account.sandbox)
    started = time.monotonic()
    fleet.start("run-1", "run")
    late = account.world.late_events()
    try:
        # When the whole process is killed in the middle of a run, then started again
        story.drafts_reach(0.2)
        fleet.kill("run-1")
        fleet.start("run-2", "run")
        add_events(account.sandbox, late[: len(late) // 2])
        # and the Calendar sync token expires
        story.drafts_reach(0.4)
        account.sandbox.expire_sync_tokens("calendar")
        add_events(account.sandbox, late[len(late) // 2 :])
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
