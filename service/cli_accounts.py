"""`followthrough accounts add|list|remove|disable`: the accounts one deployment serves.

The default account is the settings' own (FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE,
FOLLOWTHROUGH_AIRTABLE_TOKEN...) and needs no command. Every other account lives in the
store, its credentials encrypted under FOLLOWTHROUGH_ENCRYPTION_KEY (workflows.accounts says
what disable and remove keep). Running processes notice a change at the account's next
message: nothing needs a restart.
"""

from __future__ import annotations

import enum
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from connectors.errors import ConfigurationError
from service.cli_base import EXIT_USAGE, app, reports_errors, state_of
from service.logging import register_secret
from service.settings import Settings
from workflows.sealing import Sealer

if TYPE_CHECKING:
    from connectors.records import GoogleCredentials
    from service.account_push import PushStopped
    from workflows.accounts import AccountBook, AccountSummary

accounts_app = typer.Typer(
    help="Add, list, disable and remove the accounts this deployment serves (beyond the "
    "default one, which the settings define). Secrets are stored encrypted under "
    "FOLLOWTHROUGH_ENCRYPTION_KEY.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(accounts_app, name="accounts")

T = TypeVar("T")
NameArgument = Annotated[str, typer.Argument(help="The account's name (e.g. alice).")]
FileOption = typer.Option(metavar="FILE", dir_okay=False)


class Sink(enum.StrEnum):
    """Where an account's follow-up tasks go."""

    airtable = "airtable"
    google = "google"
    both = "both"


def _usage_error(message: str) -> typer.Exit:
    typer.echo(f"followthrough: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _settings_of(ctx: typer.Context) -> Settings:
    return state_of(ctx).settings()


@accounts_app.command("add")
@reports_errors
def add(
    ctx: typer.Context,
    name: NameArgument,
    client_secrets: Annotated[
        Path | None,
        typer.Option(
            "--client-secrets",
            metavar="FILE",
            dir_okay=False,
            help="Link Google through the consent screen, as `auth google` does, with this "
            "OAuth client JSON (Desktop app); the credentials go into the account.",
        ),
    ] = None,
    google_credentials: Annotated[
        Path | None,
        typer.Option(
            "--google-credentials",
            metavar="FILE",
            dir_okay=False,
            help="Or take Google's authorized-user credentials JSON from this file.",
        ),
    ] = None,
    web_link: Annotated[
        bool,
        typer.Option(
            "--web-link",
            help="Print a one-time link (valid a day) with which the person links their "
            "Google from their own browser, through the web app (a hosted deployment: needs "
            "FOLLOWTHROUGH_PUBLIC_URL and FOLLOWTHROUGH_GOOGLE_CLIENT_SECRETS_FILE).",
        ),
    ] = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the consent URL instead of opening it.")
    ] = False,
    mail_metadata: Annotated[
        bool, typer.Option("--mail-metadata", help="Also ask Google for gmail.metadata.")
    ] = False,
    airtable_token_file: Annotated[
        Path | None,
        typer.Option(
            "--airtable-token-file",
            metavar="FILE",
            dir_okay=False,
            help="A file holding the account's Airtable personal access token.",
        ),
    ] = None,
    airtable_base: Annotated[
        str | None, typer.Option("--airtable-base", help="The account's Airtable base (app...).")
    ] = None,
    calendar_id: Annotated[str | None, typer.Option(help="The calendar to watch.")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone for dates; default: the calendar's.")
    ] = None,
    sender_name: Annotated[str | None, typer.Option(help="The name that signs drafts.")] = None,
    about_me: Annotated[
        str | None, typer.Option(help="A sentence or two on who they are, for ask drafts.")
    ] = None,
    tasks_sink: Annotated[Sink | None, typer.Option(help="Where follow-ups go.")] = None,
    update_every_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Default progress-update cadence.")
    ] = None,
    digest: Annotated[
        str | None,
        typer.Option(
            help="When the account's weekly digest is drafted in its Gmail, in its time zone "
            "(e.g. 'mon 08:00'; '' for none); default: FOLLOWTHROUGH_DIGEST."
        ),
    ] = None,
    google_api_endpoint: Annotated[
        str | None, typer.Option(help="A stand-in for Google's APIs (a sandbox's URL).")
    ] = None,
    airtable_endpoint: Annotated[
        str | None, typer.Option(help="A stand-in for Airtable's API (a sandbox's URL).")
    ] = None,
) -> None:
    """Add an account, or update one (what is not given is kept; a disabled one is enabled).

    Google: --client-secrets runs the consent screen (the installed-app flow of `auth
    google`), or --google-credentials takes a credentials file. Airtable:
    --airtable-token-file and --airtable-base. The other options are the account's own
    settings; unset, the FOLLOWTHROUGH_ setting of the same name applies.
    """
    settings = _settings_of(ctx)
    _check_name(name, settings)
    if sum((client_secrets is not None, google_credentials is not None, web_link)) > 1:
        raise _usage_error(
            "link Google one way: --client-secrets, --google-credentials or --web-link"
        )
    if web_link:
        _require_web_link(settings)
    own = _own_settings(
        calendar_id=calendar_id,
        timezone=timezone,
        sender_name=sender_name,
        about_me=about_me,
        tasks_sink=tasks_sink.value if tasks_sink else None,
        update_every_days=update_every_days,
        digest=digest,
        google_api_endpoint=google_api_endpoint,
        airtable_endpoint=airtable_endpoint,
    )
    from service.settings_values import airtable_base_id
    from service.wiring import account_book

    base = _checked(airtable_base_id, airtable_base, "--airtable-base")
    token = _read_token(airtable_token_file) if airtable_token_file else None
    Sealer(settings.encryption_keys())  # no key: say so before the store or the consent screen
    book = account_book(settings)
    try:
        google = _google(client_secrets, google_credentials, no_browser, mail_metadata)
        if google is not None:
            register_secret(google.token, google.refresh_token, google.client_secret)
        summary, created = book.add(
            name, google=google, airtable_token=token, airtable_base_id=base, settings=own
        )
        link = _web_link(settings, book, name) if web_link else None
        page_key = book.page_key(name) if created else None
    finally:
        book.close()
    typer.echo(f"{'Added' if created else 'Updated'} account {name}: {_links(summary)}")
    if page_key:
        from workflows.page_keys import page_line

        register_secret(page_key)
        typer.echo(page_line(settings.public_url, name, page_key))
    if link:
        typer.echo(
            f"Send this link to the person; it links their Google once, within a day: {link}"
        )
    missing = _missing(summary, google_pending=link is not None)
    if missing:
        typer.echo(f"Not linked yet: {missing}; run `followthrough accounts add {name}` with it")


@accounts_app.command("list")
@reports_errors
def list_(ctx: typer.Context) -> None:
    """List the accounts: name, state, what is linked and their own settings (never a secret)."""
    settings = _settings_of(ctx)
    none: list[AccountSummary] = []
    accounts = _with_book(settings, lambda book: book.list(), none)
    typer.echo(f"{settings.account}  active  the settings' own account (FOLLOWTHROUGH_*)")
    for summary in accounts:
        own = "".join(f"; {k}={_short(v)}" for k, v in sorted(summary.settings.items()))
        typer.echo(f"{summary.name}  {summary.state}  {_links(summary)}{own}")


@accounts_app.command("disable")
@reports_errors
def disable(ctx: typer.Context, name: NameArgument) -> None:
    """Stop the account's work and keep its data (`accounts add NAME` enables it again).

    Its Calendar channel is stopped and its Airtable webhook deleted first; what cannot be
    (Google or Airtable unreachable, credentials revoked) is named with when it ends by itself.
    """
    settings = _settings_of(ctx)
    _check_name(name, settings)
    done = _with_book(
        settings, lambda book: _stopping_push(settings, book, name, book.disable), None
    )
    if not done:
        raise _usage_error(f"there is no account {name}; `followthrough accounts list` names them")
    typer.echo(f"Disabled account {name}: its work stops, its data stays{_push_note(done[1])}")
    _say_leftovers(name, done[1])


@accounts_app.command("remove")
@reports_errors
def remove(ctx: typer.Context, name: NameArgument) -> None:
    """Delete the account: its credentials and everything Followthrough stored for it (its
    Gmail drafts and Airtable rows stay, they are the user's); its work stops.

    Its Calendar channel is stopped and its Airtable webhook deleted first; what cannot be
    (Google or Airtable unreachable, credentials revoked) is named with when it ends by itself.
    """
    settings = _settings_of(ctx)
    _check_name(name, settings)
    done = _with_book(
        settings, lambda book: _stopping_push(settings, book, name, book.remove), None
    )
    if not done or done[0] is None:
        raise _usage_error(f"there is no account {name}; `followthrough accounts list` names them")
    deleted, push = done
    typer.echo(
        f"Removed account {name}: its credentials and {deleted} stored "
        f"row{'' if deleted == 1 else 's'} are deleted"
        f"{_push_note(push)}"
    )
    _say_leftovers(name, push)


def _stopping_push(
    settings: Settings, book: AccountBook, name: str, then: Callable[[str], T]
) -> tuple[T, PushStopped] | None:
    """Stop the account's push channels, then `then(name)`; None when there is no account."""
    from service.account_push import stop_account_push

    if not any(summary.name == name for summary in book.list()):
        return None
    push = stop_account_push(settings, book, name)
    return then(name), push


def _push_note(push: PushStopped) -> str:
    return "; its push channels are stopped" if push.held and not push.leftovers else ""


def _say_leftovers(name: str, push: PushStopped) -> None:
    """One line per channel that could not be stopped: what remains and when it ends."""
    for line in push.leftovers:
        typer.echo(f"Account {name}: {line}")


def _with_book(settings: Settings, use: Callable[[AccountBook], T], nothing: T) -> T:
    """`use` the store's accounts; `nothing` where no store exists yet (none is created)."""
    from service.wiring import NothingSetUp, account_book

    try:
        book = account_book(settings, create=False)
    except NothingSetUp:
        return nothing
    try:
        return use(book)
    finally:
        book.close()


def _require_web_link(settings: Settings) -> None:
    """The settings a web link needs, named in one line when missing."""
    settings.require("public_url", "google_client_secrets_file", command="accounts add --web-link")


def _web_link(settings: Settings, book: AccountBook, name: str) -> str:
    from service.wiring import google_links

    links = google_links(settings, book)
    assert links is not None  # _require_web_link and the key were checked first
    return links.link_for(name)


def _check_name(name: str, settings: Settings) -> None:
    from workflows.accounts import name_problem

    problem = name_problem(name, settings.account)
    if problem:
        raise _usage_error(f"account name {name!r}: {problem}")


def _checked(check: Any, value: str | None, option: str) -> Any:
    """`value` passed through a settings check; a usage error naming the option otherwise."""
    try:
        return check(value)
    except ValueError as bad:
        raise _usage_error(f"{option}: {bad}") from None


def _own_settings(**given: Any) -> dict[str, Any]:
    """The account settings given (None: not given), each checked."""
    from service.settings_values import digest_time, http_url

    own = {name: value for name, value in given.items() if value is not None}
    if "timezone" in own:
        try:
            zoneinfo.ZoneInfo(own["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _usage_error(
                f"--timezone {own['timezone']!r} is not an IANA time zone (e.g. Europe/Paris)"
            ) from None
    for name in ("google_api_endpoint", "airtable_endpoint"):
        if name in own:
            own[name] = _checked(http_url, own[name], "--" + name.replace("_", "-"))
    if "digest" in own:
        own["digest"] = _checked(digest_time, own["digest"], "--digest") or ""
    return own


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
        raise ConfigurationError(
            f"--airtable-token-file {path} cannot be read ({reason}); name the file holding "
            "the account's Airtable personal access token"
        ) from None
    if not token:
        raise ConfigurationError(f"--airtable-token-file {path} is empty; put the token in it")
    register_secret(token)
    return token


def _google(
    client_secrets: Path | None, credentials: Path | None, no_browser: bool, mail_metadata: bool
) -> GoogleCredentials | None:
    """The Google credentials to store: from the consent screen, from a file, or none."""
    if client_secrets is not None:
        from connectors.google.consent import installed_app_consent

        return installed_app_consent(
            client_secrets, open_browser=not no_browser, mail_metadata=mail_metadata
        )
    if credentials is not None:
        from connectors.google.auth import read_credentials_file

        return read_credentials_file(credentials)
    return None


def _links(summary: AccountSummary) -> str:
    google = "Google linked" if summary.google_linked else "Google not linked"
    base = summary.airtable_base_id or "no base"
    airtable = f"Airtable {base}" if summary.airtable_linked else f"Airtable not linked ({base})"
    return f"{google}, {airtable}"


def _missing(summary: AccountSummary, *, google_pending: bool) -> str:
    google = summary.google_linked or google_pending
    missing = [] if google else ["Google (--client-secrets, --google-credentials or --web-link)"]
    if not summary.airtable_linked:
        missing.append("the Airtable token (--airtable-token-file)")
    if not summary.airtable_base_id:
        missing.append("the Airtable base (--airtable-base)")
    return ", ".join(missing)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
