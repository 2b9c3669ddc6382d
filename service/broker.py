"""The dramatiq broker for the configured shape: in-process, Redis or RabbitMQ.

Import-order rule: `@dramatiq.actor` binds an actor to the global broker when the decorator
runs, i.e. when the module that declares it is imported. So call `make_broker(settings)`
first, and import the modules that declare actors (workflows' actors) only after it. An
actor module imported earlier would bind to dramatiq's default RabbitMQ broker on localhost.

In the embedded shape, the broker is dramatiq's `StubBroker` and `start_worker` runs a real
dramatiq `Worker` with a few threads in this process. Every broker gets `TaskLogging`, which
logs each message's start, finish or failure as structured events and records queue lag. An
expected, retried failure (RetryLater, ResyncRequired) is that warning only: dramatiq's own
ERROR line with a traceback is dropped for it (`ExpectedFailureFilter`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import ActorNotFound
from dramatiq.middleware import Middleware, Retries, default_middleware

from connectors.errors import ConfigurationError, FollowthroughError, ResyncRequired, RetryLater
from service.fairness import AccountLimit, FairWorker, deferred
from service.logging import get_logger
from service.metrics import ERRORS, QUEUE_LAG, TASKS
from service.settings import Settings, env_name
from workflows.actors import account_of

EMBEDDED_WORKER_THREADS = 4
WORKER_IDLE_TIMEOUT_MS = 200  # how soon an idle worker notices a stop or a delayed message
# A `followthrough worker` on Redis polls each queue (and each delay queue) while idle, at
# most this often: dramatiq's Redis consumer does not wake on a new message. One second keeps
# an idle worker to about a dozen Redis commands a second; 200 ms took five times as many.
DISTRIBUTED_IDLE_TIMEOUT_MS = 1_000
MAX_RETRIES = 10
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 5 * 60_000  # beyond this the database sweep picks the work up again anyway

WORKER_LOGGER = "dramatiq.worker.WorkerThread"  # where dramatiq logs a failed message

log = get_logger("followthrough.broker")


class TaskLogging(Middleware):
    """Logs task.start, task.done, task.failed and task.skipped with the message's fields."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Log the start and record how late the message is."""
        self._started[message.message_id] = time.monotonic()
        due_ms = max(message.message_timestamp, message.options.get("eta", 0))
        lag = max(0.0, time.time() - due_ms / 1000)
        QUEUE_LAG.labels(queue=message.queue_name).observe(lag)
        log.debug("task.start", **_fields(message, broker), lag_seconds=round(lag, 3))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Log the outcome with its duration; a failure names the error class and message."""
        started = self._started.pop(message.message_id, time.monotonic())
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        if exception is None:
            TASKS.labels(actor=message.actor_name, outcome="done").inc()
            log.info("task.done", **_fields(message, broker), duration_ms=duration_ms)
            return
        TASKS.labels(actor=message.actor_name, outcome="failed").inc()
        ERRORS.labels(where=message.actor_name, error=type(exception).__name__).inc()
        log.warning(
            "task.failed",
            **_fields(message, broker),
            duration_ms=duration_ms,
            error=type(exception).__name__,
            reason=str(exception),
        )

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Log a message a middleware chose to skip; one sent back for later only at debug."""
        self._started.pop(message.message_id, None)
        if deferred(message):
            log.debug("task.deferred", **_fields(message, broker))
            return
        TASKS.labels(actor=message.actor_name, outcome="skipped").inc()
        log.info("task.skipped", **_fields(message, broker))


class ExpectedFailureFilter(logging.Filter):
    """Drops dramatiq's traceback for a failure that is expected and retried (task.failed says it),
    and its warning for a message skipped only to be sent back for later (task.deferred says it).

    dramatiq's worker logs every exception an actor raises at ERROR with a traceback unless the
    actor declares it in `throws`, which would also stop its retries.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop the record) when it carries a RetryLater or ResyncRequired, or says a
        message was skipped that was only sent back for later (service.fairness)."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RetryLater | ResyncRequired):
            return False
        args = record.args if isinstance(record.args, tuple) else ()
        return not (args and hasattr(args[0], "options") and deferred(args[0]))


def _quiet_expected_failures() -> None:
    """Install `ExpectedFailureFilter` on dramatiq's worker logger (once per process)."""
    logger = logging.getLogger(WORKER_LOGGER)
    if not any(isinstance(f, ExpectedFailureFilter) for f in logger.filters):
        logger.addFilter(ExpectedFailureFilter())


def _fields(message: Any, broker: dramatiq.Broker) -> dict[str, Any]:
    fields = {
        "actor": message.actor_name,
        "queue": message.queue_name,
        "message_id": message.message_id,
        "retries": message.options.get("retries", 0),
    }
    try:
        account = account_of(broker.get_actor(message.actor_name), message.args)
    except ActorNotFound:  # declared on another broker: nothing to say about it
        account = None
    return fields if account is None else {**fields, "account": account}


def worth_retrying(exception: BaseException) -> bool:
    """False for errors that trying again cannot fix: the user must act, the record is bad or gone.

    Transient failures (RetryLater), cursor resets and unknown errors are worth retrying.
    """
    if isinstance(exception, RetryLater | ResyncRequired):
        return True
    return not isinstance(exception, FollowthroughError)


class BoundedRetries(Retries):
    """dramatiq's Retries with shorter backoff, failing at once what retrying cannot fix.

    An actor's own `retry_when` or `throws` still decides for it; `max_retries` still applies.
    """

    def __init__(self) -> None:
        super().__init__(
            max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Fail a hopeless message now; leave everything else to dramatiq's Retries."""
        actor = broker.get_actor(message.actor_name)
        decided_by_actor = "retry_when" in actor.options or "throws" in actor.options
        if exception is not None and not decided_by_actor and not worth_retrying(exception):
            message.fail()
            return
        super().after_process_message(broker, message, result=result, exception=exception)


def _middleware(account_concurrency: int) -> list[Middleware]:
    """An account over its limit is deferred first, before any other middleware sees it."""
    kinds = [BoundedRetries if kind is Retries else kind for kind in default_middleware]
    return [AccountLimit(account_concurrency), *(kind() for kind in kinds), TaskLogging()]


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker BROKER_URL names and make it dramatiq's global broker."""
    broker = _build(settings.broker_url, settings.account_concurrency)
    dramatiq.set_broker(broker)
    log.info("broker.ready", kind=broker_kind(broker))
    return broker


def _build(url: str, account_concurrency: int) -> dramatiq.Broker:
    middleware = _middleware(account_concurrency)
    scheme = urlsplit(url).scheme if url else ""
    if not scheme:
        return StubBroker(middleware=middleware)
    if scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, middleware=middleware, namespace="followthrough")
    if scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    raise ConfigurationError(
        f"{env_name('broker_url')} has scheme {scheme!r}; "
        "use redis://..., amqp://... or leave it empty"
    )


def broker_kind(broker: dramatiq.Broker) -> str:
    """A short name for the broker: in-process, redis or rabbitmq."""
    if isinstance(broker, StubBroker):
        return "in-process"
    return "redis" if type(broker).__name__ == "RedisBroker" else "rabbitmq"


def start_worker(
    broker: dramatiq.Broker,
    *,
    threads: int = EMBEDDED_WORKER_THREADS,
    queues: set[str] | None = None,
    bulk: Iterable[str] = (),
    idle_timeout_ms: int = WORKER_IDLE_TIMEOUT_MS,
) -> dramatiq.Worker:
    """Start a dramatiq Worker in this process; stop() it after.

    `queues`: the queues to consume (default: every declared one); `bulk`: those whose
    messages may hold only some of the threads (service.fairness.FairWorker), e.g. the
    syncs' (`Actors.sync_queue_name`).
    """
    _quiet_expected_failures()
    worker = FairWorker(
        broker,
        bulk=bulk,
        queues=queues,
        worker_threads=threads,
        worker_timeout=idle_timeout_ms,
    )
    worker.start()
    log.info("worker.started", broker=broker_kind(broker), threads=threads)
    return worker


def broker_reachable(broker: dramatiq.Broker) -> bool:
    """True when the broker's server answers (always true in-process); for /readyz."""
    try:
        if isinstance(broker, StubBroker):
            return True
        if broker_kind(broker) == "redis":
            return bool(broker.client.ping())  # type: ignore[attr-defined]
        import pika

        pika.BlockingConnection(broker.parameters).close()  # type: ignore[attr-defined]
        return True
    except Exception as exc:  # any client error means "not reachable"
        log.warning("broker.unreachable", error=type(exc).__name__, reason=str(exc))
        return False
