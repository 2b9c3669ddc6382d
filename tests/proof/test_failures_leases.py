"""A worker killed in the middle of a sync holds that source no longer than a claim lasts.

Found by the failure suite: the sync lease outlived a SIGKILLed worker by five minutes
whatever FOLLOWTHROUGH_DUE_CLAIM_SECONDS said, so the Calendar and Airtable syncs (and the
interviews only they reveal) stalled long after the faults stopped.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from dramatiq.brokers.stub import StubBroker

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from tests.workflows.world import at, guest, meeting
from workflows.actors import declare_actors, do_sync, sync_alone, sync_lease
from workflows.runtime import install
from workflows.store.lease import acquire_lease
from workflows.store.meetings import meetings_by_event

NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def test_a_killed_syncers_lease_lapses_after_the_claim_time(
    sandbox: Sandbox,
    make_runtime: RuntimeFactory,  # noqa: F811
) -> None:
    # Given a worker that took the Calendar's sync lease and was killed (it never releases it)
    runtime = make_runtime(sandbox, now=NOW, claim_for=dt.timedelta(seconds=1))
    with runtime.db.transaction() as session:
        assert acquire_lease(
            session, sync_lease("google_calendar"), "killed-worker", runtime.config.claim_for
        )

    # When another worker tries at once, then after the claim time
    at_once = sync_alone(runtime, "google_calendar")
    time.sleep(1.2)
    later = sync_alone(runtime, "google_calendar")

    # Then it stands back at first, and then syncs: the calendar is read
    assert (at_once, later) == (False, True)
    assert sandbox.request_counts().get("calendar.events.list", 0) >= 1


def test_a_sync_that_finds_its_source_busy_leaves_it_to_that_worker_and_sends_no_sweep(
    sandbox: Sandbox,
    make_runtime: RuntimeFactory,  # noqa: F811
) -> None:
    # Given another worker syncing the calendar right now
    runtime = make_runtime(sandbox, now=NOW)
    install(runtime)
    broker = StubBroker()
    actors = declare_actors(broker, queue_name="busy_sync_test")
    with runtime.db.transaction() as session:
        holder_ttl = dt.timedelta(minutes=1)
        assert acquire_lease(session, sync_lease("google_calendar"), "busy-worker", holder_ttl)

    # When a push's sync of the calendar arrives meanwhile
    do_sync(runtime, ["google_calendar"], actors.sweep)

    # Then it is not retried: the sync under way does it, and sweeps (none queued here)
    assert broker.queues["busy_sync_test"].qsize() == 0
    assert sandbox.request_counts().get("calendar.events.list", 0) == 0


def test_pings_during_a_sync_make_one_more_sync_that_reads_what_they_announced(
    sandbox: Sandbox,
    make_runtime: RuntimeFactory,  # noqa: F811
) -> None:
    runtime = make_runtime(sandbox, now=NOW)
    sync_alone(runtime, "google_calendar")  # the first, full pass
    sandbox.faults.latency["calendar.events.list"] = 1.0
    sandbox.reset_requests()
    holder = threading.Thread(target=sync_alone, args=(runtime, "google_calendar"))
    holder.start()
    while not sandbox.request_counts().get("calendar.events.list"):
        time.sleep(0.01)
    # While a worker reads the calendar, an interview is added and five pushes arrive
    sandbox.add_event(
        meeting("evtnew", "Chat", at(2026, 3, 2, 14), attendees=[guest("ada@analytical.example")])
    )
    others = [sync_alone(runtime, "google_calendar") for _ in range(5)]
    holder.join()

    # Then they all leave it to that worker, which reads the calendar once more, not five times
    assert others == [False] * 5
    assert sandbox.request_counts()["calendar.events.list"] == 2
    with runtime.db.read() as session:
        assert "evtnew" in meetings_by_event(session, ["evtnew"], account=runtime.account)


def test_a_worker_syncing_again_and_again_keeps_its_lease_past_the_claim_time(
    sandbox: Sandbox,
    make_runtime: RuntimeFactory,  # noqa: F811
) -> None:
    # Claims last a second; each read of the calendar takes 0.7 s
    runtime = make_runtime(sandbox, now=NOW, claim_for=dt.timedelta(seconds=1))
    sync_alone(runtime, "google_calendar")
    sandbox.faults.latency["calendar.events.list"] = 0.7
    sandbox.reset_requests()
    started = time.monotonic()
    holder = threading.Thread(target=sync_alone, args=(runtime, "google_calendar"))
    holder.start()
    while not sandbox.request_counts().get("calendar.events.list"):
        time.sleep(0.01)

    asked = sync_alone(runtime, "google_calendar")  # a push: the holder reads once more
    time.sleep(max(0.0, started + 1.2 - time.monotonic()))
    asked_again = sync_alone(runtime, "google_calendar")  # past the first claim's end
    holder.join()

    # Then both leave it to the holder, whose lease was renewed with each sync it took on:
    # never two readers of one calendar at once
    assert (asked, asked_again) == (False, False)
    assert sandbox.request_counts()["calendar.events.list"] == 3
