"""Two `followthrough scheduler` processes on PostgreSQL: when the leader is killed (SIGKILL,
no clean stop), the standby leads and enqueues within 10 seconds."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from tests.processes import sandbox_environment
from tests.service.test_distributed import NOW_AFTER_ADA, leads, spawn, stop_process
from tests.service.test_embedded import wait_until
from workflows.migrations import upgrade
from workflows.store import due
from workflows.store.db import Database

pytestmark = pytest.mark.usefixtures("clean_settings_env")

QUEUED = "followthrough:followthrough.msgs"  # the Redis broker's messages waiting on the queue


def started(log: Path) -> bool:
    """True once the scheduler process has started."""
    return log.exists() and '"scheduler.started"' in log.read_text()


def test_the_standby_leads_and_enqueues_within_ten_seconds_of_the_leader_being_killed(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    postgres_url: str,
    redis_url: str,
) -> None:
    # Given a meeting's work due and unclaimed (no worker runs): the leader sweeps every tick
    upgrade(postgres_url)
    db = Database(postgres_url)
    with db.transaction() as session:
        due.schedule(session, "complete_meeting", "m1", NOW_AFTER_ADA)
    db.dispose()
    env = sandbox_environment(
        tmp_path,
        sandbox_factory(small_fixture()),
        database_url=postgres_url,
        broker_url=redis_url,
        now=NOW_AFTER_ADA.isoformat(),
        poll_minutes="60",
    )
    queue = redis.Redis.from_url(redis_url)
    leader = spawn(tmp_path, env, "leader", ["scheduler"])
    standby: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: leads(tmp_path / "leader.log"), 60, "the first scheduler to lead")
        standby = spawn(tmp_path, env, "standby", ["scheduler"])
        wait_until(lambda: started(tmp_path / "standby.log"), 60, "the second scheduler")
        time.sleep(3)  # it has tried for the lock and stands by
        assert not leads(tmp_path / "standby.log")

        # When the leader is killed
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        killed, queued = time.monotonic(), queue.hlen(QUEUED)

        # Then the standby leads, and sweeps, within 10 seconds
        wait_until(lambda: leads(tmp_path / "standby.log"), 15, "the standby to lead")
        wait_until(lambda: queue.hlen(QUEUED) > queued, 15, "the new leader's sweep")
        assert time.monotonic() - killed < 10
    finally:
        queue.close()
        for process in filter(None, (leader, standby)):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                stop_process(process)
