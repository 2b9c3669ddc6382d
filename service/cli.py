"""The `followthrough` command: run the service, the demo, the sandbox, and set-up steps.

Exit codes: 0 done; 1 failed; 2 bad usage (or a command not available in this build);
3 the user must act (a setting, an authorization); 75 a temporary failure, try again later.
An expected failure prints one line saying what happened and what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from connectors.errors import FollowthroughError, RetryLater, UserActionRequired
from service.settings import Settings, env_name, load_settings

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_USER_ACTION = 3
EXIT_TEMPORARY = 75
WORKER_STOP_GRACE_MS = 90_000  # in-flight messages may finish; within the chart's 120 s grace

app = typer.Typer(
    name="followthrough",
    help="Follow-through for informational interviews: thank-you drafts, follow-ups and "
    "progress reminders from your calendar, Google Contacts and Airtable.",
    epilog="Settings come from FOLLOWTHROUGH_* environment variables or followthrough.toml. "
    "Exit codes: 0 done, 1 failed, 2 bad usage, 3 you must act, 75 try again later.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
auth_app = typer.Typer(help="Authorize Followthrough to use your accounts.", no_args_is_help=True)
airtable_app = typer.Typer(help="Set up the Airtable base.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")
app.add_typer(airtable_app, name="airtable")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """What the global options decided, shared with every command."""

    config: Path | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Load the settings (environment over the config file) and start logging."""
        from service.logging import configure_logging, register_secret

        settings = load_settings(self.config, **overrides)
        configure_logging(settings.log_format, settings.log_level)
        register_secret(*settings.secret_values())
        return settings


def exit_code(error: FollowthroughError) -> int:
    """The exit code for an expected failure, by what the user should do next."""
    if isinstance(error, UserActionRequired):
        return EXIT_USER_ACTION
    if isinstance(error, RetryLater):
        return EXIT_TEMPORARY
    return EXIT_FAILED


def reports_errors(command: F) -> F:
    """Turn a FollowthroughError into one line on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FollowthroughError as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            typer.echo(f"followthrough: {reason}", err=True)
            raise typer.Exit(exit_code(error)) from None

    return wrapper  # type: ignore[return-value]


def _not_available(command: str) -> None:
    typer.echo(
        f"followthrough: `{command}` is not available in this build yet; "
        "use `followthrough sandbox` or `followthrough web` meanwhile",
        err=True,
    )
    raise typer.Exit(EXIT_USAGE)


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    return state if isinstance(state, CliState) else CliState()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (installed before anything starts, so none is missed)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Read settings from this TOML file instead of ./followthrough.toml.",
        dir_okay=False,
    ),
]


@app.callback()
def main(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Follow-through for informational interviews."""
    ctx.obj = CliState(config=config)


@app.command()
@reports_errors
def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Do one full pass (sync, run what is due), then exit.")
    ] = False,
) -> None:
    """Run the whole service in one process: web app, worker threads and scheduler.

    The embedded shape: SQLite and an in-process broker by default. SIGTERM finishes in-flight
    work; due work lives in the database, so a crash loses nothing.
    """
    settings = _state(ctx).settings()
    settings.require_for("run")
    if once:
        _run_once(settings)
        return
    from service.embedded import run_embedded

    run_embedded(settings, _stop_on_signals())


def _run_once(settings: Settings, sources: list[str] | None = None) -> None:
    """One pass: sync (all or `sources`), run what is due, print a summary; exit 1 on failures."""
    from service.console import print_pass
    from service.wiring import build_runtime
    from workflows.passes import PassReport, run_once, sync_all

    runtime = build_runtime(settings)
    try:
        if sources is None:
            report = run_once(runtime)
        else:
            report = PassReport()
            sync_all(runtime, report, sources)
    finally:
        runtime.db.dispose()
    print_pass(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@reports_errors
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep serving the status page after the demo.")
    ] = False,
    output: Annotated[
        Path, typer.Option("--output", metavar="DIR", help="Where to leave the database and dump.")
    ] = Path("followthrough-demo"),
) -> None:
    """Run the service against the sandbox's demo data and tell what it did.

    Steps the clock through the fixture's weeks and prints each thank-you draft, follow-up
    and reminder, and what it skipped and why. Nothing touches your own followthrough.db or
    accounts: the demo's store is an SQLite file in DIR. With --serve, the status page stays
    up at FOLLOWTHROUGH_HTTP_HOST:FOLLOWTHROUGH_HTTP_PORT until Ctrl-C.
    """
    settings = _state(ctx).settings()
    from service.logging import configure_logging

    # The account is the demo's output; routine INFO events would drown it.
    quiet = "WARNING" if settings.log_level == "INFO" else settings.log_level
    configure_logging(settings.log_format, quiet)
    from service.demo import Demo

    with Demo(settings, output) as running:
        result = running.play()
        if serve:
            running.serve(_stop_on_signals())
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@reports_errors
def sandbox(
    fixture: Annotated[
        Path | None,
        typer.Option(help="Fixture JSON to serve (default: the demo's).", dir_okay=False),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8765,
    latency: Annotated[float, typer.Option(help="Seconds added to every request.")] = 0.0,
    credentials_out: Annotated[
        Path | None,
        typer.Option(
            "--credentials-out",
            metavar="FILE",
            help="Write the sandbox's Google credentials here (mode 0600).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Serve the local stand-in for the Google and Airtable APIs until interrupted.

    Prints the settings that point Followthrough at it.
    """
    from connectors.sandbox.fixture import DEMO_FIXTURE
    from connectors.sandbox.server import Sandbox
    from service.logging import configure_logging

    configure_logging()
    stop = _stop_on_signals()
    with Sandbox(fixture or DEMO_FIXTURE, host=host, port=port, latency=latency) as running:
        _print_sandbox_settings(running, credentials_out)
        stop.wait()


def _print_sandbox_settings(running: Any, credentials_out: Path | None) -> None:
    settings = {
        env_name("google_api_endpoint"): running.url,
        env_name("airtable_endpoint"): running.url,
        env_name("airtable_token"): running.airtable_token,
        env_name("airtable_base_id"): running.airtable_base_id,
    }
    if credentials_out is not None:
        _write_private(credentials_out, json.dumps(running.google_credentials(), indent=2))
        settings[env_name("google_credentials_file")] = str(credentials_out.resolve())
    typer.echo(f"Sandbox serving at {running.url} (Ctrl-C to stop). Settings to use it:")
    for name, value in settings.items():
        typer.echo(f"export {name}={value}")
    sys.stdout.flush()


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


@auth_app.command("google")
@reports_errors
def auth_google(
    ctx: typer.Context,
    client_secrets: Annotated[
        Path,
        typer.Option(
            "--client-secrets",
            metavar="FILE",
            help="The OAuth client JSON (type Desktop app) from the Google Cloud console.",
            dir_okay=False,
        ),
    ],
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the consent URL instead of opening it.")
    ] = False,
) -> None:
    """Authorize Followthrough with Google and save the credentials file.

    Writes FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE (mode 0600), asking for the narrowest scopes:
    contacts (read), calendar events (read), Gmail drafts, Tasks.
    """
    from connectors.google.auth import run_installed_app_flow

    settings = _state(ctx).settings()
    settings.require("google_credentials_file", command="auth google")
    target = settings.google_credentials_file
    assert target is not None  # checked just above
    run_installed_app_flow(client_secrets, target, open_browser=not no_browser)
    typer.echo(f"Authorized; credentials saved to {target}")


@airtable_app.command("init")
@reports_errors
def airtable_init(ctx: typer.Context) -> None:
    """Create the Contacts, Meetings and Follow-ups tables and fields Followthrough needs.

    Never deletes or renames a field of yours; reports what it created.
    """
    settings = _state(ctx).settings()
    settings.require_for("airtable init")
    from connectors.airtable.schema import init_schema
    from service.wiring import airtable_client

    client = airtable_client(settings)
    assert client is not None  # require_for checked the token and base
    for line in init_schema(client).lines():
        typer.echo(line)


class Source(enum.StrEnum):
    """What `sync` can read."""

    all = "all"
    calendar = "calendar"
    contacts = "contacts"
    airtable = "airtable"


SOURCE_NAMES = {
    Source.airtable: "airtable",
    Source.contacts: "google_contacts",
    Source.calendar: "google_calendar",
}


@app.command()
@reports_errors
def sync(
    ctx: typer.Context,
    source: Annotated[Source, typer.Argument(help="Which source to sync.")] = Source.all,
) -> None:
    """Sync one source (or all) now, incrementally from the stored cursors, then exit."""
    settings = _state(ctx).settings()
    settings.require_for("sync")
    chosen = None if source is Source.all else [SOURCE_NAMES[source]]
    _run_once(settings, chosen or list(SOURCE_NAMES.values()))


@app.command()
@reports_errors
def status(ctx: typer.Context) -> None:
    """Print each connector's health, meetings waiting for effects and follow-ups due soon."""
    settings = _state(ctx).settings()
    from service.console import print_status
    from service.snapshot import status_snapshot
    from service.wiring import build_runtime

    runtime = build_runtime(settings)
    try:
        print_status(status_snapshot(runtime))
    finally:
        runtime.db.dispose()


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
    settings = _state(ctx).settings()
    from service.web.app import create_app
    from service.web.live import LiveContext
    from service.web.server import serve_forever

    runtime, broker, actors = _distributed_part(settings)
    if settings.embedded_broker and settings.public_url:
        from service.logging import get_logger

        get_logger("followthrough.web").warning(
            "web.webhooks_not_processed",
            reason=f"{env_name('broker_url')} is not set, so no worker receives what webhooks "
            "enqueue; set it, or run everything in one process with `followthrough run`",
        )
    context = LiveContext(runtime, actors, broker)
    application = create_app(context, max_body_bytes=settings.max_body_bytes)
    serve_forever(application, host or settings.http_host, port or settings.http_port)


def basic_context(settings: Settings, broker: Any) -> Any:
    """A web context that checks the database and broker and knows no webhooks yet."""
    from service.broker import broker_reachable
    from service.web.context import BasicContext, database_reachable
    from service.web.status import StatusSnapshot

    checks = {
        "database": database_reachable(settings.database_url),
        "broker": lambda: broker_reachable(broker),
    }
    return BasicContext(
        checks, lambda: StatusSnapshot(generated_at=settings.clock(), account=settings.account)
    )


@app.command()
@reports_errors
def worker(
    ctx: typer.Context,
    threads: Annotated[int, typer.Option(min=1, help="Worker threads in this process.")] = 8,
) -> None:
    """Process queued work from the broker (distributed shape: Redis or RabbitMQ)."""
    settings = _state(ctx).settings()
    settings.require_for("worker")
    _require_broker_url(settings, "worker")
    from service.broker import start_worker

    stop = _stop_on_signals()
    runtime, broker, _ = _distributed_part(settings)
    running = start_worker(broker, threads=threads)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        running.stop(timeout=WORKER_STOP_GRACE_MS)  # what is not done goes back to the broker
        runtime.db.dispose()


@app.command()
@reports_errors
def scheduler(ctx: typer.Context) -> None:
    """Enqueue due work and periodic syncs; a second replica stands by (database lease)."""
    settings = _state(ctx).settings()
    settings.require_for("scheduler")
    _require_broker_url(settings, "scheduler")
    import datetime as dt

    from service.scheduler import Scheduler

    stop = _stop_on_signals()
    runtime, _, actors = _distributed_part(settings)
    try:
        Scheduler(runtime, actors, poll_every=dt.timedelta(minutes=settings.poll_minutes)).run(stop)
    finally:
        runtime.db.dispose()


def _require_broker_url(settings: Settings, command: str) -> None:
    """The distributed commands need a shared broker; one process is `followthrough run`."""
    if settings.embedded_broker:
        from connectors.errors import ConfigurationError

        raise ConfigurationError(
            f"`followthrough {command}` needs {env_name('broker_url')} (redis://... or "
            "amqp://...); to run everything in one process use `followthrough run`"
        )


def _distributed_part(settings: Settings) -> tuple[Any, Any, Any]:
    """The broker (set first), then the actors declared on it, then the installed runtime."""
    from service.broker import make_broker
    from service.wiring import build_runtime
    from workflows.actors import declare_actors
    from workflows.runtime import install

    broker = make_broker(settings)
    actors = declare_actors(broker)
    runtime = build_runtime(settings)
    install(runtime)
    return runtime, broker, actors


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        app(prog_name="followthrough")
