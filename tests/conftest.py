"""Shared fixtures: real servers (PostgreSQL, Redis, RabbitMQ) that skip without them (fail on CI).

And the sandbox, in-process on a free port.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from connectors.sandbox.server import Sandbox

POSTGRES_URL = os.environ.get(
    "FOLLOWTHROUGH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FOLLOWTHROUGH_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
AMQP_URL = os.environ.get("FOLLOWTHROUGH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

# scripts/mutation runs the property tests once per mutant, on a busy machine: fewer examples,
# the same ones every run (a verdict must not depend on luck), and no timing checks.
settings.register_profile(
    "mutation",
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def skip_or_fail(message: str) -> NoReturn:
    """Skip for want of a server or package; with FOLLOWTHROUGH_REQUIRE_SERVICES=1 (CI), fail."""
    if os.environ.get("FOLLOWTHROUGH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, with FOLLOWTHROUGH_REQUIRE_SERVICES=1, fail) when a server is not reachable."""
    if not _port_open(host, port):
        skip_or_fail(
            f"{name} is not reachable on {host}:{port}; start it (see README) to run this test"
        )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test; dropped afterwards."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL on a database flushed before and after the test (FOLLOWTHROUGH_TEST_REDIS_URL
    names another database, so that two test runs on one server keep apart)."""
    require_server("Redis", "127.0.0.1", 6379)
    import redis

    url = REDIS_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def amqp_url() -> str:
    """The RabbitMQ URL (tests use uniquely named queues)."""
    require_server("RabbitMQ", "127.0.0.1", 5672)
    return AMQP_URL


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with any fixture and settings (`sandbox_factory(fixture, latency=...)`).

    All of them stop after the test.
    """
    from connectors.sandbox.server import Sandbox

    started: list[Sandbox] = []

    def start(fixture: Any = None, **settings: Any) -> Sandbox:
        settings.setdefault("airtable_penalty_seconds", 0.5)
        box = Sandbox(fixture, **settings).start()
        started.append(box)
        return box

    try:
        yield start
    finally:
        for box in started:
            box.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A running sandbox seeded with the small default fixture (`fixture.small_fixture`)."""
    return sandbox_factory()
