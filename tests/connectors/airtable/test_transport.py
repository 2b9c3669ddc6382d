"""Throttling and retries on the sandbox rate limit: no penalty in normal use, one waited out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from urllib3 import HTTPResponse

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter, RedisRateLimiter
from connectors.airtable.readers import read_contacts
from connectors.airtable.transport import AirtableRetry, TransportStats
from connectors.airtable.webhooks import create_webhook, list_webhooks
from connectors.errors import AmbiguousWrite, RetryLater
from connectors.policy import FAST_POLICY, RetryPolicy
from connectors.sandbox.server import Sandbox
from tests.connectors.airtable.conftest import make_client


def read_in_threads(clients: list[AirtableClient], reads_each: int) -> float:
    """Read Contacts `reads_each` times from every client at once; the seconds it took."""
    errors: list[BaseException] = []

    def run(client: AirtableClient) -> None:
        try:
            for _ in range(reads_each):
                list(read_contacts(client))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return time.monotonic() - started


def statuses(box: Sandbox) -> list[int]:
    return [e["status"] for e in box.requests_log() if e["route"].startswith("airtable.")]


def test_a_burst_from_many_threads_stays_under_the_limit(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box(airtable_rate_limit=5.0, airtable_penalty_seconds=30.0)
    shared = LocalRateLimiter()  # Airtable's 5 requests per second
    client = make_client(box, limiter=shared, penalty_seconds=30.0)
    took = read_in_threads([client] * 4, reads_each=4)
    assert statuses(box) == [200] * 16  # no 429: the 30 s penalty was never hit
    assert took >= 2.0  # 16 requests at 5 a second
    assert client.stats.penalties == 0


@pytest.mark.services
def test_workers_sharing_redis_stay_under_the_limit_together(
    airtable_box: Callable[..., Sandbox], redis_url: str
) -> None:
    box = airtable_box(airtable_rate_limit=5.0, airtable_penalty_seconds=30.0)
    workers = [
        make_client(box, limiter=RedisRateLimiter(redis_url), penalty_seconds=30.0)
        for _ in range(3)
    ]
    took = read_in_threads(workers, reads_each=5)
    assert statuses(box) == [200] * 15
    assert took >= 2.0


def test_a_penalty_is_waited_out_without_hammering(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box(airtable_rate_limit=5.0, airtable_penalty_seconds=0.8)
    # a limiter that allows too much, so the sandbox's limit is hit
    client = make_client(box, limiter=LocalRateLimiter(rate=50), penalty_seconds=0.8)
    started = time.monotonic()
    for _ in range(12):
        list(read_contacts(client))
    took = time.monotonic() - started
    codes = statuses(box)
    assert codes.count(200) == 12  # every read succeeded in the end
    penalties = codes.count(429)
    assert penalties >= 1 and client.stats.penalties == penalties
    # nothing was sent during a penalty (it would have been refused with another 429)
    assert took >= penalties * 0.8


def test_a_create_is_never_sent_twice(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box()
    client = make_client(box)
    box.fail_next("airtable.webhooks.create", 500)
    with pytest.raises(RetryLater):
        create_webhook(client)
    box.drop_next_writes("airtable.webhooks.create")
    with pytest.raises(AmbiguousWrite, match="may or may not"):
        create_webhook(client)
    assert box.request_counts()["airtable.webhooks.create"] == 2
    [stray] = list_webhooks(client)  # the dropped one was applied, once: find it to clean up
    assert stray.cursor_for_next_payload == 1


def test_a_429_on_a_create_is_retried_because_nothing_was_applied(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    box.fail_next("airtable.webhooks.create", 429)
    create_webhook(make_client(box, penalty_seconds=0.1))
    assert box.request_counts()["airtable.webhooks.create"] == 2
    assert len(box.airtable.snapshot()["webhooks"]) == 1


def test_retry_after_is_honoured_and_a_missing_one_means_the_full_penalty() -> None:
    retry = AirtableRetry.build(
        FAST_POLICY, penalty_seconds=30.0, limiter=None, limiter_key="appX", stats=TransportStats()
    )
    assert retry.wait_seconds(HTTPResponse(status=429, headers={"Retry-After": "7"})) == 7.0
    assert retry.wait_seconds(HTTPResponse(status=429)) == 30.0
    assert retry.wait_seconds(HTTPResponse(status=503, headers={"Retry-After": "1"})) == 1.0
    assert retry.wait_seconds(HTTPResponse(status=500)) <= FAST_POLICY.max_delay


def test_reads_ride_out_injected_server_errors(airtable_box: Callable[..., Sandbox]) -> None:
    box = airtable_box()
    box.fail_next("airtable.records.list", 500, times=2)
    box.fail_next("airtable.records.list", 503)
    [page] = list(read_contacts(make_client(box)))
    assert page.last and box.request_counts()["airtable.records.list"] == 4


def test_a_request_that_times_out_every_time_ends_in_retry_later(
    airtable_box: Callable[..., Sandbox],
) -> None:
    box = airtable_box()
    box.set_latency(1.0, "airtable.records.list")
    policy = RetryPolicy(timeout=0.2, attempts=2, base_delay=0.01, max_delay=0.02)
    with pytest.raises(RetryLater, match="try again later"):
        list(read_contacts(make_client(box, policy=policy)))
