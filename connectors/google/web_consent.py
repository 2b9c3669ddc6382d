"""The consent for a hosted deployment: Google's consent screen in the person's own browser,
its answer received by the web app (OAuth's authorization-code flow for a web client, PKCE).

The OAuth client is of type "Web application", and `redirect_uri` must be one it lists.
The scopes asked for and what an unticked scope means are those of connectors.google.consent.

    url = consent_url(client_secrets, redirect_uri, state, verifier)       # send the browser
    credentials = credentials_from_code(client_secrets, redirect_uri, code, verifier)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from connectors.errors import AuthorizationError, ConfigurationError, RetryLater
from connectors.google.consent import (
    granted_credentials,
    refusal,
    requested_scopes,
    take_fewer_scopes,
)
from connectors.records import GoogleCredentials


def consent_url(client_secrets_file: Path, redirect_uri: str, state: str, verifier: str) -> str:
    """Google's consent screen for Followthrough's scopes, answering `redirect_uri` with `state`
    and a code (offline access: a refresh token comes with it)."""
    flow = _flow(client_secrets_file, redirect_uri, verifier)
    url, _ = flow.authorization_url(state=state, access_type="offline", prompt="consent")
    return str(url)


def credentials_from_code(
    client_secrets_file: Path, redirect_uri: str, code: str, verifier: str
) -> GoogleCredentials:
    """The credentials the code grants, with the scopes granted; an AuthorizationError saying
    why when a needed scope was unticked or Google refuses the code."""
    from oauthlib.oauth2 import OAuth2Error

    flow = _flow(client_secrets_file, redirect_uri, verifier)
    try:
        flow.fetch_token(code=code)
    except Warning as changed:  # oauthlib's "Scope has changed": fewer scopes were granted
        take_fewer_scopes(flow, changed)
    except OAuth2Error as exc:
        raise AuthorizationError(
            f"Google refused the authorization ({exc.error}); open the link again"
        ) from exc
    except requests.RequestException as exc:
        raise RetryLater("Could not reach Google's token endpoint; try again later.") from exc
    credentials = granted_credentials(flow, requested_scopes())
    refused = refusal(credentials.scopes, "Open the link again and leave it ticked.")
    if refused is not None:
        raise refused
    return credentials


def _flow(client_secrets_file: Path, redirect_uri: str, verifier: str) -> Any:
    from google_auth_oauthlib.flow import Flow

    try:
        return Flow.from_client_secrets_file(
            str(client_secrets_file),
            scopes=list(requested_scopes()),
            redirect_uri=redirect_uri,
            code_verifier=verifier,
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"Cannot read the OAuth client secrets file {client_secrets_file} ({exc}); download "
            "it from the Google Cloud console (OAuth client of type Web application)."
        ) from exc
