"""Set-up and one-shot commands: demo, sandbox, auth google, airtable init, sync, status."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from connectors.errors import ConfigurationError
from service.cli_base import (
    EXIT_FAILED,
    airtable_app,
    app,
    auth_app,
    reports_errors,
    state_of,
    stop_on_signals,
)
from service.cli_processes import run_once

if TYPE_CHECKING:
    from service.settings import Settings
    from workflows.runtime import Runtime


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
    and reminder, an ask and its nudge in full, a thank-you sent from Gmail and answered being
    noticed (the demo grants the optional gmail.metadata scope), and what it skipped and why.
    Nothing touches your own followthrough.db or accounts: the demo's store is an SQLite file
    in DIR. With --serve, the status page stays up at
    FOLLOWTHROUGH_HTTP_HOST:FOLLOWTHROUGH_HTTP_PORT until Ctrl-C.
    """
    settings = state_of(ctx).settings()
    from service.logging import configure_logging

    # The account is the demo's output; routine INFO events would drown it.
    quiet = "WARNING" if settings.log_level == "INFO" else settings.log_level
    configure_logging(settings.log_format, quiet)
    from service.demo import Demo

    with Demo(settings, output) as running:
        result = running.play()
        if serve:
            running.serve(stop_on_signals())
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
    credentials: Annotated[
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
    from service.demo.sandbox import serve_sandbox
    from service.logging import configure_logging

    configure_logging()
    stop = stop_on_signals()
    serve_sandbox(
        stop, fixture=fixture, host=host, port=port, latency=latency, credentials_out=credentials
    )


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
    mail_metadata: Annotated[
        bool,
        typer.Option(
            "--mail-metadata",
            help="Also ask for gmail.metadata (headers and labels, never bodies), so that "
            "Followthrough learns when a thank-you was sent or answered.",
        ),
    ] = False,
) -> None:
    """Authorize Followthrough with Google and save the credentials file.

    Writes the credentials (mode 0600) to FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE, by default
    ~/.config/followthrough/google-credentials.json ($XDG_CONFIG_HOME/followthrough/ when
    XDG_CONFIG_HOME is set), where every other command reads them. Asks for the narrowest
    scopes: contacts (read), calendar events (read), Gmail drafts, Tasks. Contacts and Tasks
    may be left unticked (that feature is then off); calendar events and Gmail drafts are
    needed. With --mail-metadata, gmail.metadata too: a sent thank-you's follow-up becomes
    Done by itself, and the contact's Last Contacted and Last Reply dates are kept.
    """
    from connectors.google.auth import GMAIL_METADATA_SCOPE
    from connectors.google.consent import (
        SCOPE_USES,
        features_off,
        requested_scopes,
        run_installed_app_flow,
    )

    settings = state_of(ctx).settings()
    target = settings.google_credentials_file
    assert target is not None  # checked just above
    granted = run_installed_app_flow(
        client_secrets, target, open_browser=not no_browser, mail_metadata=mail_metadata
    )
    typer.echo(f"Authorized; credentials saved to {target}")
    for use in features_off(granted.scopes, requested_scopes(mail_metadata=mail_metadata)):
        typer.echo(f"Off: {use.feature}, as the {use.name} scope was not granted: {use.why}.")
    if not mail_metadata:
        [mail] = [use for use in SCOPE_USES if use.scope == GMAIL_METADATA_SCOPE]
        typer.echo(
            f"Not asked: {mail.feature} (run again with --mail-metadata for the {mail.name} "
            f"scope); without it {mail.why}."
        )


@airtable_app.command("init")
@reports_errors
def airtable_init(ctx: typer.Context) -> None:
    """Create the Contacts, Meetings and Follow-ups tables and fields Followthrough needs.

    Never deletes or renames a field of yours; reports what it created.
    """
    settings = state_of(ctx).settings()
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
    gmail = "gmail"


SOURCE_NAMES = {
    Source.airtable: "airtable",
    Source.contacts: "google_contacts",
    Source.calendar: "google_calendar",
    Source.gmail: "gmail",
}


@app.command()
@reports_errors
def sync(
    ctx: typer.Context,
    source: Annotated[Source, typer.Argument(help="Which source to sync.")] = Source.all,
) -> None:
    """Sync one source (or all) now, incrementally from the stored cursors, then exit."""
    settings = state_of(ctx).settings()
    settings.require_for("sync")
    chosen = None if source is Source.all else [SOURCE_NAMES[source]]
    run_once(settings, chosen or list(SOURCE_NAMES.values()))


@app.command()
@reports_errors
def status(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the same facts as JSON, for scripts.")
    ] = False,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            metavar="NAME",
            help="Show a stored account's week (`followthrough accounts list` names them); "
            "default: the settings' own account.",
        ),
    ] = None,
) -> None:
    """Print your week as the status page shows it (thank-yous waiting and the hours left,
    interviews, promises, updates due, asks waiting; overdue in red), the pipeline, the last
    90 days and each connector's health; say so when FOLLOWTHROUGH_SENDER_NAME (the name
    that signs drafts) is not set.

    Creates nothing: where no store exists yet (Followthrough never ran with these settings),
    it says what to run first and exits with 3.
    """
    settings = state_of(ctx).settings()
    from service.console import print_status, status_json
    from service.doctor import sender_name_advice
    from service.wiring import build_runtime
    from workflows.queries.home import home

    runtime = build_runtime(settings, create=False)
    try:
        week = home(_account_view(settings, runtime, account) if account else runtime)
    finally:
        runtime.db.dispose()
    if as_json:
        typer.echo(json.dumps(status_json(week), indent=2, ensure_ascii=False))
        return
    print_status(week)
    if not account and (advice := sender_name_advice(settings)):
        typer.echo(f"Sender name: {advice}")


def _account_view(settings: Settings, default: Runtime, account: str) -> Runtime:
    """The stored account's runtime for reading its week; one line when it is not served."""
    from service.runtimes import AccountRuntimes
    from workflows.runtime import AccountUnavailable

    try:
        return AccountRuntimes(settings, default).view_for(account)
    except AccountUnavailable:
        raise ConfigurationError(
            f"--account {account}: there is no active account {account}; "
            "`followthrough accounts list` names them"
        ) from None
