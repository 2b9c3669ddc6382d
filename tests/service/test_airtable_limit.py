"""Airtable's limit of 5 requests a second per base, shared by every worker of a deployment.

Each worker process builds its own limiter from the settings (`service.wiring.rate_limiter`)
and shares it among its threads; here two such limiters, each behind a client used by four
threads, read one base as fast as they are let, against a sandbox that answers past 5 a
second as Airtable does: 429, then 30 seconds of 429 to everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from connectors.airtable.client import AirtableClient
from connectors.airtable.readers import read_contacts
from connectors.sandbox.server import Sandbox
from service.settings import Settings
from service.wiring import rate_limiter
from tests.connectors.airtable.conftest import base_fixture, make_client
from workflows.runtime import open_store
from workflows.shared_limits import StoreRateLimiter

WORKERS = 2
THREADS = 4
SECONDS = 5.0


def hammer(clients: list[AirtableClient], seconds: float) -> int:
    """Read Contacts from `THREADS` threads per client until `seconds` pass; the reads made."""
    deadline, reads, errors = time.monotonic() + seconds, [0], []
    lock = threading.Lock()

    def run(client: AirtableClient) -> None:
        try:
            while time.monotonic() < deadline:
                list(read_contacts(client))
                with lock:
                    reads[0] += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    assert not errors, errors
    return reads[0]


def airtable_statuses(box: Sandbox) -> list[int]:
    return [e["status"] for e in box.requests_log() if e["route"].startswith("airtable.")]


@pytest.fixture
def base_at_airtables_limit(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A base that refuses past 5 requests a second, with Airtable's 30 s penalty."""
    return sandbox_factory(base_fixture(), airtable_rate_limit=5.0, airtable_penalty_seconds=30.0)


@pytest.mark.services
def test_two_workers_on_redis_reading_one_base_flat_out_never_earn_a_429(
    base_at_airtables_limit: Sandbox, redis_url: str
) -> None:
    # Given two worker processes of the distributed shape on Redis, each with its own limiter
    box = base_at_airtables_limit
    settings = Settings(broker_url=redis_url)
    clients = [
        make_client(box, limiter=rate_limiter(settings), penalty_seconds=30.0)
        for _ in range(WORKERS)
    ]

    # When eight threads read one base as fast as they are let for five seconds
    reads = hammer(clients, SECONDS)

    # Then Airtable never refused one: no 429, so no 30-second penalty
    statuses = airtable_statuses(box)
    assert 429 not in statuses
    assert statuses.count(200) == reads >= 3 * SECONDS


@pytest.mark.services
def test_two_workers_on_rabbitmq_and_postgresql_reading_one_base_flat_out_never_earn_a_429(
    base_at_airtables_limit: Sandbox, postgres_url: str
) -> None:
    # Given two worker processes on RabbitMQ with no Redis: the limit is kept in PostgreSQL
    box = base_at_airtables_limit
    open_store(postgres_url).dispose()  # the store the service migrates at start
    settings = Settings(broker_url="amqp://guest:guest@127.0.0.1:5672/", database_url=postgres_url)
    limiters = [rate_limiter(settings) for _ in range(WORKERS)]
    assert all(isinstance(limiter, StoreRateLimiter) for limiter in limiters)
    clients = [make_client(box, limiter=limiter, penalty_seconds=30.0) for limiter in limiters]

    # When eight threads read one base as fast as they are let for five seconds
    reads = hammer(clients, SECONDS)

    # Then Airtable never refused one
    statuses = airtable_statuses(box)
    assert 429 not in statuses
    assert statuses.count(200) == reads >= 3 * SECONDS
    for limiter in limiters:
        limiter.close()
