"""Gmail's per-user quota on the client's side: drafts written at once stay within it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connectors.google.client import GoogleClient
from connectors.google.quota import Quota
from connectors.records import DraftMessage
from connectors.sandbox.server import Sandbox


class FakeTime:
    """A clock that only moves when the code sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_of_drafts_then_the_steady_rate_of_250_units_a_second() -> None:
    fake = FakeTime()
    quota = Quota(clock=fake.clock, sleep=fake.sleep)
    # When 60 drafts (10 units each) are written one after another
    for _ in range(60):
        quota.take("gmail.drafts.create")
    # Then the first ten go at once and the other fifty at 25 a second
    assert fake.now == 2.0


def test_drafts_written_from_many_threads_stay_within_gmails_quota(
    sandbox: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    # Given one user's client shared by eight threads writing 60 drafts at once
    client = google_client(sandbox)
    client.gmail.profile()  # the token is fresh: only the drafts are timed
    drafts = [
        DraftMessage(
            to=f"person{i}@example.com",
            to_name=f"Person {i}",
            subject="Thank you",
            body="Thank you for the conversation.\n",
            message_id=f"<quota{i:04d}@followthrough.local>",
        )
        for i in range(60)
    ]
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=lambda part=drafts[n::8]: [client.gmail.create_draft(d) for d in part]
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every draft exists, none was refused by Gmail's quota, and they took the time it allows
    assert len(sandbox.drafts()) == 60
    assert sandbox.request_counts()["gmail.drafts.create"] == 60
    assert time.monotonic() - started >= 1.9  # 600 units: 100 at once, then 250 a second
