"""The actors through a real dramatiq Worker: a finished interview becomes exactly one draft."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, default_middleware

from connectors.airtable.webhooks import list_webhooks
from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import followups
from workflows.actors import Actors, declare_actors
from workflows.duework import complete_meeting
from workflows.duework.dispatch import claim
from workflows.passes import PassReport, sync_all
from workflows.runtime import Runtime, install
from workflows.store import due

NOW_AFTER_ADA = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    """An in-process broker with a real Worker consuming it (retries after tenths of a second)."""
    middleware = [
        Retries(min_backoff=50, max_backoff=500) if kind is Retries else kind()
        for kind in default_middleware
    ]
    stub = StubBroker(middleware=middleware)
    worker = dramatiq.Worker(stub, worker_threads=4, worker_timeout=100)
    worker.start()
    yield stub
    worker.stop(timeout=5000)
    stub.close()


AfterAda = tuple[Sandbox, Runtime, Actors]


@pytest.fixture
def after_ada(sandbox_factory: Any, make_runtime: RuntimeFactory, broker: StubBroker) -> AfterAda:
    """Ada's interview ended at 10:30; at 11:00 a worker runs the actors on `broker`."""
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW_AFTER_ADA)
    install(runtime)
    return sandbox, runtime, declare_actors(broker)


def settle(broker: StubBroker, actors: Actors) -> None:
    """Wait until every message, and every message those sent, has been processed."""
    for queue in actors.queues:
        broker.join(queue, timeout=30_000)


def kinds_of_follow_ups(sandbox: Sandbox) -> list[str]:
    return sorted(f["Kind"] for f in followups(sandbox))


def open_work(runtime: Runtime) -> list[str]:
    with runtime.db.read() as session:
        return [i.kind for i in due.pending(session, account=runtime.account)]


def test_a_sync_message_ends_in_one_draft_and_the_promised_follow_ups(
    after_ada: AfterAda, broker: StubBroker
) -> None:
    # Given Ada's interview ended at 10:30 and a worker runs the actors at 11:00
    sandbox, runtime, actors = after_ada

    # When one sync message is sent (the scheduler's periodic poll)
    actors.sync.send(runtime.account)
    settle(broker, actors)

    # Then Gmail holds one thank-you draft to Ada, Airtable the two follow-ups
    drafts = sandbox.drafts()
    assert [d["subject"] for d in drafts if "Ada" in d["subject"]] == [drafts[0]["subject"]]
    assert len(drafts) == 1
    assert "Start with the data model." in drafts[0]["body"]
    assert kinds_of_follow_ups(sandbox) == ["Action item", "Thank-you"]
    assert open_work(runtime) == []
    assert [r["fields"]["Status"] for r in sandbox.airtable.records("Meetings")] == ["Completed"]


def test_every_message_delivered_twice_still_makes_one_of_everything(
    after_ada: AfterAda, broker: StubBroker
) -> None:
    # Given the sources synced and the meeting's completion claimed by a sweep
    sandbox, runtime, actors = after_ada
    sync_all(runtime, PassReport())
    items = claim(runtime)
    assert complete_meeting.KIND in [i.kind for i in items]

    # When each run message reaches the broker twice (a redelivery), and two sweeps run too
    for item in items:
        message = actors.run_due.message(runtime.account, item.kind, [item.key])
        broker.enqueue(message)
        broker.enqueue(message)
    actors.sweep.send(runtime.account)
    actors.sweep.send(runtime.account)
    settle(broker, actors)

    # Then there is still exactly one draft and one of each follow-up
    assert len(sandbox.drafts()) == 1
    assert kinds_of_follow_ups(sandbox) == ["Action item", "Thank-you"]
    assert open_work(runtime) == []


def test_a_run_message_for_work_already_done_changes_nothing(
    after_ada: AfterAda, broker: StubBroker
) -> None:
    sandbox, runtime, actors = after_ada
    actors.sync.send(runtime.account)
    settle(broker, actors)
    requests_before = sum(sandbox.request_counts().values())

    # A message that arrives late, after a sweep's copy did the work, and one for unknown work
    ada = "evtinterviewada01@2026-03-02T15:00:00+00:00"
    actors.run_due.send(runtime.account, complete_meeting.KIND, [ada])
    actors.run_due.send(runtime.account, complete_meeting.KIND, ["no-such-key"])
    settle(broker, actors)

    assert len(sandbox.drafts()) == 1
    assert sum(sandbox.request_counts().values()) == requests_before


def test_syncs_running_at_once_still_make_one_of_everything(
    after_ada: AfterAda, broker: StubBroker
) -> None:
    # Given a push arriving while the periodic poll runs: four syncs on four worker threads
    sandbox, runtime, actors = after_ada

    actors.sync.send(runtime.account)
    actors.sync.send(runtime.account, ["google_calendar"])
    actors.sync.send(runtime.account)
    actors.sync.send(runtime.account, ["google_calendar"])
    settle(broker, actors)

    # Then the user still finds one draft and one of each follow-up
    assert len(sandbox.drafts()) == 1
    assert kinds_of_follow_ups(sandbox) == ["Action item", "Thank-you"]
    assert len(sandbox.airtable.records("Meetings")) == 1
    assert len(list_webhooks(runtime.need_airtable())) == 1  # one change feed, not one per sync
    assert open_work(runtime) == []
