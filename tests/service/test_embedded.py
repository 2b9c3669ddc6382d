"""`followthrough run`, the embedded shape, as a real process against a sandbox process.

Calendar pushes lead to syncs, SIGTERM stops cleanly with exit code 0, and a SIGKILL in the
middle of a meeting's effects loses nothing and doubles nothing once it runs again.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from dramatiq.brokers.stub import StubBroker

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.remote import RemoteSandbox
from service.embedded import hand_back_after_crash, hand_back_queued
from tests.processes import free_port, sandbox_environment
from tests.workflows.world import init_base
from workflows.actors import declare_actors, sync_lease
from workflows.duework.dispatch import claim
from workflows.migrations import upgrade
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store import due, ledger
from workflows.store.db import Database
from workflows.store.lease import acquire_lease

NOW = "2026-03-02T11:00:00-05:00"  # Ada's interview ended at 10:30
GRACE_CHAT = {
    "id": "evtcoffeegrace01",
    "summary": "Coffee chat with Grace Hopper",
    "description": "Insight: ship the compiler early.",
    "start": {"dateTime": "2026-03-02T10:10:00-05:00"},
    "end": {"dateTime": "2026-03-02T10:40:00-05:00"},
    "attendees": [
        {"email": "sam.seeker@example.com", "self": True, "responseStatus": "accepted"},
        {"email": "grace.hopper@gmail.com", "responseStatus": "accepted"},
    ],
}


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[Any]]]:
    """Processes started by a test; any still running at the end is killed."""
    started: list[subprocess.Popen[Any]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def start_sandbox(
    tmp_path: Path, processes: list[subprocess.Popen[Any]], *, latency: float = 0.0
) -> RemoteSandbox:
    sandbox = RemoteSandbox(
        small_fixture(),
        tmp_path,
        latency=latency,
        args=["--airtable-penalty", "0.5"],
        stderr=(tmp_path / "sandbox.log").open("wb"),
    )
    processes.append(sandbox.process)
    init_base(sandbox)  # what `followthrough airtable init` does
    return sandbox


def records(sandbox: RemoteSandbox, table: str) -> list[dict[str, Any]]:
    """The cells of every record of an Airtable table."""
    return [r["fields"] for r in sandbox.airtable("records", table=table)]


def drafts(sandbox: RemoteSandbox) -> list[dict[str, Any]]:
    """Every Gmail draft in the sandbox."""
    return list(sandbox.call("drafts"))


def service_environment(tmp_path: Path, sandbox: RemoteSandbox, port: int) -> dict[str, str]:
    return sandbox_environment(
        tmp_path,
        sandbox,
        database_url=f"sqlite:///{tmp_path / 'followthrough.db'}",
        now=NOW,
        http_port=str(port),
        public_url=f"http://127.0.0.1:{port}",
        poll_minutes="60",  # no poll during the test: only pushes and due work drive it
    )


def start_service(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[Any]], name: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("wb"),
    )
    processes.append(process)
    return process


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def follow_up_kinds(sandbox: RemoteSandbox) -> list[str]:
    return sorted(f["Kind"] for f in records(sandbox, "Follow-ups"))


def test_a_calendar_push_leads_to_a_sync_and_sigterm_exits_0(
    tmp_path: Path, processes: list[subprocess.Popen[Any]]
) -> None:
    # Given the embedded service running against the sandbox, with a public URL for pushes
    sandbox = start_sandbox(tmp_path, processes)
    port = free_port()
    env = service_environment(tmp_path, sandbox, port)
    service = start_service(tmp_path, env, processes, "run")
    wait_until(lambda: len(drafts(sandbox)) == 1, 30, "Ada's thank-you draft")
    wait_until(lambda: sandbox.call("push_log"), 10, "the calendar channel's first message")

    # When a coffee chat that ended at 10:40 shows up in the calendar (no poll is due for an hour)
    sandbox.call("add_event", event=GRACE_CHAT)

    # Then the push makes the service sync the calendar and draft Grace's thank-you
    wait_until(lambda: len(drafts(sandbox)) == 2, 20, "Grace's thank-you draft")
    assert any("Grace" in d["subject"] for d in drafts(sandbox))
    pushes = sandbox.call("push_log")
    assert [p["headers"]["X-Goog-Resource-State"] for p in pushes] == ["sync", "exists"]
    assert all(p["status"] == 200 for p in pushes)
    assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200

    # And SIGTERM stops it cleanly
    assert stop(service) == 0, (tmp_path / "run.log").read_text()[-3000:]


def test_a_sigkill_in_the_middle_then_a_restart_ends_with_the_same_totals(
    tmp_path: Path, processes: list[subprocess.Popen[Any]]
) -> None:
    # Given a slow world (every sandbox request takes 50 ms), so the effects take a while
    sandbox = start_sandbox(tmp_path, processes, latency=0.05)
    env = service_environment(tmp_path, sandbox, free_port())
    first = start_service(tmp_path, env, processes, "first")

    # When the service is killed as soon as the draft exists, before the rest is written
    wait_until(lambda: drafts(sandbox), 60, "the draft")
    first.kill()
    first.wait(timeout=10)
    killed_with = (len(drafts(sandbox)), follow_up_kinds(sandbox))

    # and started again
    second = start_service(tmp_path, env, processes, "second")
    wait_until(lambda: len(follow_up_kinds(sandbox)) >= 2, 60, "the follow-ups after restart")
    time.sleep(1.0)  # anything doubled would show up by now

    # Then the totals are exactly those of an uninterrupted run
    assert killed_with[0] == 1
    assert len(drafts(sandbox)) == 1
    assert follow_up_kinds(sandbox) == ["Action item", "Thank-you"]
    assert [m["Status"] for m in records(sandbox, "Meetings")] == ["Completed"]
    ada = next(
        c for c in records(sandbox, "Contacts") if c.get("Email") == "ada@analytical.example"
    )
    assert (ada["Stage"], ada["Last Met"]) == ("Keeping in touch", "2026-03-02")
    assert stop(second) == 0


def test_work_still_queued_at_shutdown_is_handed_back_to_the_next_sweep(tmp_path: Path) -> None:
    # Given a sweep claimed two items and queued their messages, and the worker stopped
    url = f"sqlite:///{tmp_path / 'handback.db'}"
    upgrade(url)
    runtime = Runtime(db=Database(url), config=WorkflowConfig())
    runtime.clock = Clock.frozen_at(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC))
    broker = StubBroker()
    actors = declare_actors(broker)
    with runtime.db.transaction() as session:
        for key in ("m1", "m2"):
            due.schedule(session, "complete_meeting", key, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    claimed = claim(runtime)
    for item in claimed:
        actors.run_due.send(runtime.account, item.kind, [item.key])
    assert claim(runtime) == []  # claimed: nobody else may take them for a while

    # When the embedded service hands back what never ran
    handed_back = hand_back_queued(broker, actors, runtime)

    # Then the next sweep gets both at once
    assert handed_back == 2
    assert sorted(i.key for i in claim(runtime)) == ["m1", "m2"]
    runtime.db.dispose()


def test_a_restart_hands_back_every_accounts_claims_holds_and_leases(tmp_path: Path) -> None:
    # Given the last embedded run died holding work, an effect and its leases for two accounts
    url = f"sqlite:///{tmp_path / 'crashed.db'}"
    upgrade(url)
    runtime = Runtime(db=Database(url), config=WorkflowConfig())
    runtime.clock = Clock.frozen_at(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC))
    due_at, hour = dt.datetime(2026, 3, 2, tzinfo=dt.UTC), dt.timedelta(hours=1)
    with runtime.db.transaction() as session:
        for account in ("default", "bob"):
            due.schedule(session, "complete_meeting", "m1", due_at, account=account)
            assert due.claim_due(session, runtime.now(), account=account)
            assert ledger.begin_effect(session, "thank:m1", "gmail.draft", account=account)
            assert acquire_lease(
                session, sync_lease("google_calendar"), "dead", hour, account=account
            )

    # When `followthrough run` starts again
    hand_back_after_crash(runtime)

    # Then Bob's work is offered again at once, as the default account's is, and his leases
    # and his unfinished effect are free for the new process
    with runtime.db.transaction() as session:
        for account in ("default", "bob"):
            assert [i.key for i in due.claim_due(session, runtime.now(), account=account)] == ["m1"]
            assert (
                ledger.begin_effect(session, "thank:m1", "gmail.draft", account=account).action
                == "reconcile"
            )
            assert acquire_lease(
                session, sync_lease("google_calendar"), "new", hour, account=account
            )
    runtime.db.dispose()
