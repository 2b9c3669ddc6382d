"""The broker: in-process, Redis and RabbitMQ, each carrying a message through a real Worker."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from connectors.errors import ConfigurationError, RetryLater
from service.broker import broker_kind, broker_reachable, make_broker, start_worker
from service.logging import configure_logging, reset_logging
from service.settings import Settings
from workflows.actors import declare_actors
from workflows.runtime import Runtime, WorkflowConfig, install
from workflows.store.db import Database

pytestmark = pytest.mark.usefixtures("clean_settings_env", "restore_global_broker")


@pytest.fixture
def restore_global_broker() -> Iterator[None]:
    """Put back whatever global broker other tests had."""
    previous = dramatiq.broker.global_broker
    yield
    dramatiq.broker.global_broker = previous


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """JSON logs captured for the test."""
    stream = io.StringIO()
    configure_logging("json", "DEBUG", stream)
    yield stream
    reset_logging()


def events(stream: io.StringIO) -> list[dict[str, object]]:
    """Followthrough's own JSON log events so far."""
    parsed = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    return [line for line in parsed if str(line.get("event", "")).startswith("task.")]


def deliver_through_worker(broker: dramatiq.Broker) -> tuple[list[str], str]:
    """Given an actor on a fresh queue, when a message is sent, the worker runs it."""
    queue = f"test_{uuid.uuid4().hex[:10]}"
    received: list[str] = []
    done = threading.Event()

    def greet(name: str) -> None:
        received.append(name)
        done.set()

    actor = dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"greet_{queue}")(greet)
    worker = start_worker(broker, threads=2, queues={queue})
    try:
        actor.send("Ada")
        assert done.wait(timeout=15), "the worker never ran the message"
    finally:
        worker.stop(timeout=5000)
    return received, queue


def run_to_the_end(broker: dramatiq.Broker, actor: dramatiq.Actor[..., None], queue: str) -> None:
    """When one message is sent, a real worker runs it (and its retries) until the queue is idle."""
    worker = start_worker(broker, threads=1, queues={queue})
    try:
        actor.send()
        assert isinstance(broker, StubBroker)
        broker.join(queue, timeout=10_000, fail_fast=False)
        worker.join()
    finally:
        worker.stop(timeout=5000)


def test_no_broker_url_is_the_in_process_broker_and_becomes_global(
    log_stream: io.StringIO,
) -> None:
    broker = make_broker(Settings(broker_url=""))

    received, queue = deliver_through_worker(broker)

    assert isinstance(broker, StubBroker)
    assert dramatiq.get_broker() is broker
    assert broker_kind(broker) == "in-process"
    assert broker_reachable(broker)
    assert received == ["Ada"]
    done = [e for e in events(log_stream) if e["event"] == "task.done"]
    assert done and done[0]["queue"] == queue and "duration_ms" in done[0]


def test_a_failing_message_is_logged_with_its_reason(log_stream: io.StringIO) -> None:
    broker = make_broker(Settings(broker_url=""))
    queue = f"test_{uuid.uuid4().hex[:10]}"
    finished = threading.Event()

    def explode() -> None:
        finished.set()
        raise ValueError("the sandbox is down")

    actor = dramatiq.actor(broker=broker, queue_name=queue, max_retries=0)(explode)
    worker = start_worker(broker, threads=1, queues={queue})
    try:
        actor.send()
        assert finished.wait(timeout=10)
        assert isinstance(broker, StubBroker)
        broker.join(queue, timeout=10_000, fail_fast=False)
    finally:
        worker.stop(timeout=5000)

    failed = [e for e in events(log_stream) if e["event"] == "task.failed"]
    assert failed[0]["error"] == "ValueError"
    assert failed[0]["reason"] == "the sandbox is down"
    assert "Traceback" in log_stream.getvalue()  # an unexpected failure keeps its traceback


@pytest.mark.services
def test_redis_broker_url_sends_through_redis(redis_url: str, log_stream: io.StringIO) -> None:
    broker = make_broker(Settings(broker_url=redis_url))
    try:
        received, _ = deliver_through_worker(broker)

        assert broker_kind(broker) == "redis"
        assert broker_reachable(broker)
        assert received == ["Ada"]
    finally:
        broker.close()


@pytest.mark.services
def test_amqp_broker_url_sends_through_rabbitmq(amqp_url: str, log_stream: io.StringIO) -> None:
    broker = make_broker(Settings(broker_url=amqp_url))
    queue = ""
    try:
        received, queue = deliver_through_worker(broker)

        assert broker_kind(broker) == "rabbitmq"
        assert broker_reachable(broker)
        assert received == ["Ada"]
    finally:
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            if queue:
                broker.channel.queue_delete(name)  # type: ignore[attr-defined]
        broker.close()


def test_an_unreachable_redis_is_reported_not_raised() -> None:
    broker = make_broker(Settings(broker_url="redis://127.0.0.1:1/0"))

    assert not broker_reachable(broker)


@pytest.mark.parametrize(
    ("error", "attempts"),
    [(RetryLater("429 from Airtable"), 2), (ConfigurationError("token missing"), 1)],
    ids=["transient-is-retried", "user-action-fails-at-once"],
)
def test_transient_failures_are_retried_and_user_action_failures_are_not(
    error: Exception, attempts: int
) -> None:
    broker = make_broker(Settings(broker_url=""))
    queue = f"test_{uuid.uuid4().hex[:10]}"
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise error

    actor = dramatiq.actor(broker=broker, queue_name=queue, min_backoff=10, max_backoff=20)(flaky)

    run_to_the_end(broker, actor, queue)

    assert len(calls) == attempts
    assert isinstance(broker, StubBroker)
    assert len(broker.dead_letters_by_queue[queue]) == 2 - attempts


def test_a_retried_transient_failure_is_a_warning_without_a_traceback(
    log_stream: io.StringIO,
) -> None:
    broker = make_broker(Settings(broker_url=""))
    queue = f"test_{uuid.uuid4().hex[:10]}"

    def rate_limited() -> None:
        raise RetryLater("Airtable answered 429; try again later")

    actor = dramatiq.actor(broker=broker, queue_name=queue, max_retries=0)(rate_limited)

    run_to_the_end(broker, actor, queue)

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line]
    failed = [e for e in lines if e.get("event") == "task.failed"]
    assert failed and failed[0]["level"] == "warning" and failed[0]["error"] == "RetryLater"
    assert not [e for e in lines if e.get("level") == "error"]
    assert "Traceback" not in log_stream.getvalue()


def test_task_lines_name_the_account_a_message_is_for(log_stream: io.StringIO) -> None:
    # Given the actors on the in-process broker, and a process serving only the default account
    broker = make_broker(Settings(broker_url=""))
    actors = declare_actors(broker, queue_name=f"test_{uuid.uuid4().hex[:10]}")
    install(Runtime(db=Database("sqlite://"), config=WorkflowConfig()))
    worker = start_worker(broker, threads=1, queues=set(actors.queues))

    # When a message for another account arrives
    try:
        actors.renew_channels.send("ghost")
        assert isinstance(broker, StubBroker)
        broker.join(actors.queue_name, timeout=10_000)
    finally:
        worker.stop(timeout=5000)

    # Then it is dropped, and its task line says whose it was
    [done] = [e for e in events(log_stream) if e["event"] == "task.done"]
    assert (done["actor"], done["account"]) == ("renew_channels", "ghost")
    assert '"event": "account.message_dropped"' in log_stream.getvalue()
