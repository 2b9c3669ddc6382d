"""The first consent (installed-app flow), and what the scopes a user granted leave on.

Google's consent screen lets a user untick scopes. oauthlib then raises `Warning("Scope has
changed ...")` instead of returning the token; the flow here takes that token with the scopes
actually granted. Without calendar events or gmail.compose Followthrough cannot do its work, so
the consent is refused with a message saying why the scope is needed; without contacts or tasks
it works with that feature off. gmail.metadata is asked for only when the caller says so
(`mail_metadata=True`), and is optional too.

    granted = run_installed_app_flow(client_secrets, credentials_file)  # GoogleCredentials
    features_off(granted.scopes)  -> the ScopeUse of each optional scope asked, not granted
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import structlog

from connectors.errors import AuthorizationError, ConfigurationError, RetryLater
from connectors.google.auth import (
    CALENDAR_SCOPE,
    CONTACTS_SCOPE,
    GMAIL_COMPOSE_SCOPE,
    GMAIL_METADATA_SCOPE,
    SCOPES,
    TASKS_SCOPE,
    from_google_credentials,
    write_credentials_file,
)
from connectors.records import GoogleCredentials

log = structlog.get_logger(__name__)

AGAIN = "Run `followthrough auth google` again and leave it ticked on Google's consent screen."


@dataclass(frozen=True)
class ScopeUse:
    """What one scope gives Followthrough, and whether it can work without it."""

    scope: str
    feature: str
    required: bool
    why: str

    @property
    def name(self) -> str:
        """The scope's short name, as the consent screen's details show it (e.g. tasks)."""
        return self.scope.rsplit("/", 1)[-1]


SCOPE_USES = (
    ScopeUse(
        CALENDAR_SCOPE, "following your calendar", True,
        "it is how Followthrough learns when an informational interview has ended",
    ),
    ScopeUse(
        GMAIL_COMPOSE_SCOPE, "thank-you drafts in Gmail", True,
        "writing your thank-you drafts is Followthrough's work (it only writes drafts, it never "
        "sends or reads your mail)",
    ),
    ScopeUse(
        CONTACTS_SCOPE, "Google Contacts", False,
        "names, companies and roles of the people you meet come from Airtable and invites only",
    ),
    ScopeUse(
        TASKS_SCOPE, "the Google Tasks mirror", False,
        "follow-ups go to Airtable only",
    ),
    ScopeUse(
        GMAIL_METADATA_SCOPE, "knowing when a thank-you was sent or answered", False,
        "you mark each Thank-you follow-up Done yourself (the scope reads only headers and "
        "labels, never what a message says)",
    ),
)  # fmt: skip


def requested_scopes(*, mail_metadata: bool = False) -> tuple[str, ...]:
    """The scopes `auth google` asks for: the narrowest ones, and gmail.metadata when wanted."""
    return (*SCOPES, GMAIL_METADATA_SCOPE) if mail_metadata else SCOPES


def features_off(granted: Iterable[str], asked: Iterable[str] = SCOPES) -> list[ScopeUse]:
    """The optional features asked for that the granted scopes leave off."""
    have, wanted = set(granted), set(asked)
    return [
        use
        for use in SCOPE_USES
        if not use.required and use.scope in wanted and use.scope not in have
    ]


def refusal(granted: Iterable[str], again: str = AGAIN) -> AuthorizationError | None:
    """The error to stop with when a scope Followthrough cannot work without was not granted."""
    have = set(granted)
    missing = [use for use in SCOPE_USES if use.required and use.scope not in have]
    if not missing:
        return None
    reasons = "; ".join(f"{use.name} is needed because {use.why}" for use in missing)
    return AuthorizationError(f"Google did not grant every scope needed: {reasons}. {again}")


def run_installed_app_flow(
    client_secrets_file: Path,
    credentials_file: Path,
    *,
    open_browser: bool = True,
    port: int = 0,
    mail_metadata: bool = False,
) -> GoogleCredentials:
    """Ask the user for consent in a browser and save the credentials with the scopes granted.

    Nothing is written when a needed scope was left unticked (the error says which and why).
    `mail_metadata`: ask for gmail.metadata too.
    """
    result = installed_app_consent(
        client_secrets_file, open_browser=open_browser, port=port, mail_metadata=mail_metadata
    )
    write_credentials_file(credentials_file, result)
    log.info(
        "google.authorized",
        credentials_file=str(credentials_file),
        scopes=list(result.scopes),
        off=[
            use.name
            for use in features_off(result.scopes, requested_scopes(mail_metadata=mail_metadata))
        ],
    )
    return result


def installed_app_consent(
    client_secrets_file: Path, *, open_browser: bool = True, port: int = 0, mail_metadata: bool
) -> GoogleCredentials:
    """The credentials the user's consent in a browser grants, checked to cover what is needed
    (the caller stores them: a file, or an account's row)."""
    scopes = requested_scopes(mail_metadata=mail_metadata)
    flow = _flow(client_secrets_file, scopes)
    result = _consent(flow, client_secrets_file, scopes, open_browser=open_browser, port=port)
    refused = refusal(result.scopes)
    if refused is not None:
        raise refused
    return result


def _flow(client_secrets_file: Path, scopes: tuple[str, ...]) -> Any:
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        return InstalledAppFlow.from_client_secrets_file(
            str(client_secrets_file), scopes=list(scopes)
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"Cannot read the OAuth client secrets file {client_secrets_file} ({exc}); download it "
            "from the Google Cloud console (OAuth client of type Desktop app)."
        ) from exc


def _consent(
    flow: Any, client_secrets_file: Path, asked: tuple[str, ...], *, open_browser: bool, port: int
) -> GoogleCredentials:
    """The consent's credentials, their scopes the granted ones (some may have been unticked)."""
    from google_auth_oauthlib.flow import WSGITimeoutError
    from oauthlib.oauth2 import OAuth2Error

    try:
        flow.run_local_server(port=port, open_browser=open_browser)
    except Warning as changed:  # oauthlib's "Scope has changed": fewer scopes were granted
        take_fewer_scopes(flow, changed)
    except OAuth2Error as exc:
        raise AuthorizationError(
            f"Google refused the authorization ({exc.error}: {exc.description or exc}); check "
            f"the OAuth client in {client_secrets_file}, then run `followthrough auth google` "
            "again and allow access."
        ) from exc
    except requests.RequestException as exc:
        raise RetryLater("Could not reach Google's token endpoint; try again later.") from exc
    except WSGITimeoutError as exc:
        raise AuthorizationError(
            "No answer came from Google's consent screen. Run `followthrough auth google` again."
        ) from exc
    return granted_credentials(flow, asked)


def take_fewer_scopes(flow: Any, changed: Warning) -> None:
    """After oauthlib's "Scope has changed" warning, the token it carries (fewer scopes were
    granted than asked: the user unticked some); any other warning is raised again."""
    token = getattr(changed, "token", None)
    if not isinstance(token, dict):
        raise changed
    flow.oauth2session.token = token


def granted_credentials(flow: Any, asked: tuple[str, ...]) -> GoogleCredentials:
    """The flow's credentials, their scopes the ones Google says it granted."""
    scope = flow.oauth2session.token.get("scope") or asked
    granted = tuple(scope.split() if isinstance(scope, str) else scope)
    return dataclasses.replace(from_google_credentials(flow.credentials), scopes=granted)
