"""The sandbox's OAuth: refresh_token grant, bearer checks, expiry, google-auth's refresh."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import google.auth.transport.requests
import pytest
from google.auth.exceptions import RefreshError

from connectors.google.auth import SCOPES
from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import call, credentials


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_refresh_grant_issues_a_token_with_an_expiry(sandbox: Sandbox) -> None:
    creds = credentials(sandbox)
    creds.refresh(google.auth.transport.requests.Request())
    assert str(creds.token).startswith("ya29.")
    assert creds.expiry is not None
    assert sandbox.request_counts()["oauth.token"] == 1


def test_a_wrong_refresh_token_is_invalid_grant(sandbox: Sandbox) -> None:
    creds = credentials(sandbox)
    creds._refresh_token = "not-the-one"  # what a revoked grant looks like to google-auth
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())


def test_wrong_client_and_grant_type_are_refused(sandbox: Sandbox) -> None:
    info = sandbox.google_credentials()
    status, body = call(
        sandbox,
        "POST",
        "/token",
        _form(
            grant_type="refresh_token",
            client_id="x",
            client_secret="y",
            refresh_token=info["refresh_token"],
        ),
        token=None,
    )
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = call(sandbox, "POST", "/token", _form(grant_type="password"), token=None)
    assert (status, body["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("token", [None, "ya29.unknown"])
def test_missing_or_unknown_bearer_is_401_in_googles_shape(
    sandbox: Sandbox, token: str | None
) -> None:
    status, body = call(sandbox, "GET", "/calendar/v3/calendars/primary", token=token)
    assert status == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["errors"][0]["reason"] == "authError"


def test_expired_access_tokens_are_refused_until_refreshed(sandbox: Sandbox) -> None:
    token = sandbox.google_credentials()["token"]
    assert call(sandbox, "GET", "/calendar/v3/calendars/primary", token=token)[0] == 200
    sandbox.expire_access_tokens()
    assert call(sandbox, "GET", "/calendar/v3/calendars/primary", token=token)[0] == 401
    assert call(sandbox, "GET", "/calendar/v3/calendars/primary")[0] == 200


def test_the_sandbox_grants_the_scopes_followthrough_asks_for(sandbox: Sandbox) -> None:
    info = sandbox.google_credentials()
    reply = urllib.request.urlopen(
        f"{sandbox.url}/token",
        data=_form(
            grant_type="refresh_token",
            refresh_token=info["refresh_token"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
        ),
    )
    granted = json.loads(reply.read())["scope"].split()

    assert sorted(granted) == sorted(info["scopes"]) == sorted(SCOPES)
    assert "https://www.googleapis.com/auth/calendar.events.readonly" in granted


def test_a_revoked_or_expired_refresh_token_is_invalid_grant(sandbox: Sandbox) -> None:
    creds = credentials(sandbox)
    creds.refresh(google.auth.transport.requests.Request())  # works while the grant stands

    sandbox.revoke_refresh_token()  # revoked by the user, or a Testing app's 7 days ran out

    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())
