"""The service's processes: `run` (embedded, all in one), and `web`, `worker`, `scheduler`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli_base import (
    EXIT_FAILED,
    EXIT_USER_ACTION,
    app,
    reports_errors,
    state_of,
    stop_on_signals,
)
from service.settings import Settings, env_name

WORKER_STOP_GRACE_MS = 90_000  # in-flight messages may finish; within the chart's 120 s grace

# Database connections each process holds at most, whatever the number of accounts: a worker
# one per thread and a few for its own upkeep; the web app's requests are short (more wait
# for a free one); the scheduler has one thread.
WORKER_SPARE_CONNECTIONS = 2
WEB_CONNECTIONS = 8
SCHEDULER_CONNECTIONS = 3


def worker_connections(threads: int) -> int:
    """The database connections of a worker with `threads` threads."""
    return threads + WORKER_SPARE_CONNECTIONS


@app.command()
@reports_errors
def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Do one full pass (sync, run what is due), then exit: 3 when you must act "
            "(an expired authorization; the other sources still sync), 1 on other failures.",
        ),
    ] = False,
) -> None:
    """Run the whole service in one process: web app, worker threads and scheduler.

    The embedded shape: SQLite and an in-process broker by default. SIGTERM finishes in-flight
    work; due work lives in the database, so a crash loses nothing. Google's credentials are
    read where `followthrough auth google` wrote them (FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE,
    by default ~/.config/followthrough/google-credentials.json).
    """
    settings = state_of(ctx).settings()
    settings.require_for("run")
    if once:
        run_once(settings)
        return
    from service.embedded import run_embedded

    run_embedded(settings, stop_on_signals())


@app.command()
@reports_errors
def web(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: FOLLOWTHROUGH_HTTP_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: FOLLOWTHROUGH_HTTP_PORT).")
    ] = None,
) -> None:
    """Serve the web app only: webhooks, /healthz, /readyz, /metrics and the status page."""
    settings = state_of(ctx).settings()
    from service.web.app import create_app
    from service.web.live import LiveContext
    from service.web.server import serve_forever

    runtimes, broker, actors = _distributed_part(settings, "web", WEB_CONNECTIONS)
    if settings.embedded_broker and settings.public_url:
        from service.logging import get_logger

        get_logger("followthrough.web").warning(
            "web.webhooks_not_processed",
            reason=f"{env_name('broker_url')} is not set, so no worker receives what webhooks "
            "enqueue; set it, or run everything in one process with `followthrough run`",
        )
    from service.wiring import google_links

    links = google_links(settings, runtimes.default)
    context = LiveContext(runtimes.default, actors, broker, links, runtimes.view_for)
    application = create_app(context, max_body_bytes=settings.max_body_bytes)
    serve_forever(application, host or settings.http_host, port or settings.http_port)


@app.command()
@reports_errors
def worker(
    ctx: typer.Context,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker threads in this process; it holds at most this many PostgreSQL "
            "connections plus two.",
        ),
    ] = 8,
) -> None:
    """Process queued work from the broker (distributed shape: Redis or RabbitMQ), for every
    account: the default one of the settings, and those `followthrough accounts add` stored.

    It takes both queues: `followthrough` (work due now, first) and `followthrough_sync`
    (syncs, on at most three quarters of the threads); at most FOLLOWTHROUGH_ACCOUNT_CONCURRENCY
    messages of one account and one queue run at once.
    """
    settings = state_of(ctx).settings()
    _require_broker_url(settings, "worker")
    from service.broker import DISTRIBUTED_IDLE_TIMEOUT_MS, start_worker

    stop = stop_on_signals()
    runtimes, broker, actors = _distributed_part(settings, "worker", worker_connections(threads))
    if not runtimes.served():  # no account at all: the default one's settings are missing
        settings.require_for("worker")
    running = start_worker(
        broker,
        threads=threads,
        bulk={actors.sync_queue_name},
        idle_timeout_ms=DISTRIBUTED_IDLE_TIMEOUT_MS,
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        running.stop(timeout=WORKER_STOP_GRACE_MS)  # what is not done goes back to the broker
        runtimes.default.db.dispose()


@app.command()
@reports_errors
def scheduler(ctx: typer.Context) -> None:
    """Enqueue due work and each account's polls, spread over the interval; a second replica
    stands by and leads within seconds of the leader's death (a PostgreSQL advisory lock)."""
    settings = state_of(ctx).settings()
    settings.require_for("scheduler")
    _require_broker_url(settings, "scheduler")
    from service.scheduler import scheduler_for

    stop = stop_on_signals()
    runtimes, _, actors = _distributed_part(settings, "scheduler", SCHEDULER_CONNECTIONS)
    try:
        scheduler_for(settings, runtimes, actors).run(stop)
    finally:
        runtimes.default.db.dispose()


def _require_broker_url(settings: Settings, command: str) -> None:
    """The distributed commands need a shared broker; one process is `followthrough run`."""
    if settings.embedded_broker:
        from connectors.errors import ConfigurationError

        raise ConfigurationError(
            f"`followthrough {command}` needs {env_name('broker_url')} (redis://... or "
            "amqp://...); to run everything in one process use `followthrough run`"
        )


def _distributed_part(settings: Settings, process: str, connections: int) -> tuple[Any, Any, Any]:
    """The broker (set first), then the actors declared on it, then every account's runtimes
    (installed) on at most `connections` database connections, named after the process."""
    from service.broker import make_broker
    from service.runtimes import build_runtimes
    from workflows.actors import declare_actors
    from workflows.runtime import install

    broker = make_broker(settings)
    actors = declare_actors(broker)
    runtimes = build_runtimes(settings, connections=connections, process=f"followthrough-{process}")
    install(runtimes)
    return runtimes, broker, actors


def run_once(settings: Settings, sources: list[str] | None = None) -> None:
    """One pass: sync (all or `sources`), run what is due, print a summary.

    Exits 3 when a failure needs the user (an expired authorization: the other sources still
    synced), 1 on other failures.
    """
    from service.console import print_pass, sync_progress
    from service.wiring import build_runtime
    from workflows.passes import PassReport, run_once, sync_all

    runtime = build_runtime(settings)
    try:
        with sync_progress() as on_page:
            runtime.on_sync_page = on_page
            if sources is None:
                report = run_once(runtime)
            else:
                report = PassReport()
                sync_all(runtime, report, sources)
    finally:
        runtime.db.dispose()
    print_pass(report)
    if report.must_act:
        raise typer.Exit(EXIT_USER_ACTION)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
