"""The embedded shape: `followthrough run` as one process (DESIGN.md, "Deployment shapes").

One process holds the broker (dramatiq's in-process broker unless BROKER_URL names one),
worker threads, the scheduler thread and the web app. Stopping (SIGTERM, SIGINT) stops the
scheduler, lets in-flight messages finish for a grace period, and hands back the claims of
work still queued, so the next start runs it at once. A SIGKILL loses nothing either: due
work lives in the database, and an embedded start hands back the claims its dead
in-process queue held.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message
from fastapi import FastAPI

from connectors.errors import ConfigurationError
from service.broker import EMBEDDED_WORKER_THREADS, broker_kind, make_broker, start_worker
from service.logging import get_logger
from service.runtimes import build_runtimes
from service.scheduler import LEASE_NAME, Scheduler, scheduler_for
from service.settings import Settings, env_name
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from service.wiring import google_links
from workflows.actors import Actors, declare_actors, sync_lease
from workflows.runtime import Runtime, install
from workflows.scheduling import hand_back_all, hand_back_claims
from workflows.sync import SOURCES

STOP_GRACE_MS = 20_000  # how long in-flight messages may take to finish on stop

log = get_logger("followthrough.embedded")


@dataclass
class Service:
    """The running parts of the embedded service (stop them with `stop`)."""

    runtime: Runtime
    broker: dramatiq.Broker
    actors: Actors
    worker: dramatiq.Worker
    web: WebServer
    scheduler: Scheduler
    scheduler_thread: threading.Thread
    stopping: threading.Event

    def stop(self) -> None:
        """Stop scheduling, finish or hand back in-flight work, stop serving."""
        self.stopping.set()
        self.scheduler_thread.join(timeout=10)
        self.web.stop()  # no new webhooks enqueue work that nobody would run
        self.worker.stop(timeout=STOP_GRACE_MS)
        released = hand_back_queued(self.broker, self.actors, self.runtime)
        self.runtime.db.dispose()
        log.info("service.stopped", handed_back=released)


def start_service(settings: Settings, *, threads: int = EMBEDDED_WORKER_THREADS) -> Service:
    """Start every part in this process; returns once the web app accepts connections."""
    broker = make_broker(settings)
    actors = declare_actors(broker)
    runtimes = build_runtimes(settings)
    install(runtimes)
    runtime = runtimes.default
    if isinstance(broker, StubBroker):
        hand_back_after_crash(runtime)
    links = google_links(settings, runtime)
    context = LiveContext(runtime, actors, broker, links, runtimes.view_for)
    app = create_app(context, max_body_bytes=settings.max_body_bytes)
    web = listen(app, settings)
    worker = start_worker(broker, threads=threads, bulk={actors.sync_queue_name})
    web.start()
    scheduler = scheduler_for(settings, runtimes, actors)
    stopping = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stopping,), name="scheduler", daemon=True)
    thread.start()
    log.info("service.started", url=web.url, broker=broker_kind(broker), threads=threads)
    return Service(runtime, broker, actors, worker, web, scheduler, thread, stopping)


def listen(app: FastAPI, settings: Settings) -> WebServer:
    """The web server bound to HTTP_HOST:HTTP_PORT; a clear error when the port is taken."""
    try:
        return WebServer(app, settings.http_host, settings.http_port)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {settings.http_host}:{settings.http_port} ({exc.strerror}); "
            f"set {env_name('http_port')} to a free port"
        ) from exc


def run_embedded(settings: Settings, stop: threading.Event) -> None:
    """Run the whole service until `stop` is set (by SIGTERM or SIGINT), then stop cleanly."""
    service = start_service(settings)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        service.stop()


def hand_back_after_crash(runtime: Runtime) -> None:
    """An embedded start: whatever the last run claimed or held died with its in-process queue.

    Its due work is offered again at once, its unfinished effects are reconciled (looked up
    before being tried again) and its scheduler and sync leases are taken over, instead of
    waiting for claims, holds and leases to lapse.
    Only one embedded process may use a database, as only one can own its SQLite file.
    """
    back = hand_back_all(runtime, [LEASE_NAME, *(sync_lease(source) for source in SOURCES)])
    if back.claims or back.holds or back.leases:
        log.info(
            "service.handed_back", claims=back.claims, effects=back.holds, leases=list(back.leases)
        )


def hand_back_queued(broker: dramatiq.Broker, actors: Actors, runtime: Runtime) -> int:
    """Release the claims of due work whose messages never ran (in-process queues only).

    A real broker keeps undelivered messages itself; the in-process one dies with us.
    """
    if not isinstance(broker, StubBroker):
        return 0
    keys: list[tuple[str, str, str]] = []
    for queue in broker.queues.values():
        while not queue.empty():
            message = Message.decode(queue.get_nowait())
            queue.task_done()
            if message.actor_name == actors.run_due.actor_name:
                account, kind, batch = message.args
                keys.extend((account, kind, key) for key in batch)
    hand_back_claims(runtime, keys)
    return len(keys)
