"""The sandbox's OAuth: refresh_token grant, bearer checks, expiry, google-auth's refresh."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import google.auth.transport.requests
import pytest
from google.auth.exceptions import RefreshError

from connectors.google.auth import SCOPES, TASKS_SCOPE
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _consent(sandbox: Sandbox, scopes: list[str], challenge: str) -> dict[str, str]:
    """Open the consent screen as a browser would; the query of its redirect."""
    query = urllib.parse.urlencode(
        {
            "response_type": "code", "client_id": sandbox.oauth.client_id,
            "redirect_uri": "http://localhost:8765/", "scope": " ".join(scopes),
            "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256",
        }
    )  # fmt: skip
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{sandbox.url}/o/oauth2/auth?{query}")
    assert redirected.value.code == 302
    location = redirected.value.headers["Location"]
    assert location.startswith("http://localhost:8765/?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_the_consent_screen_grants_what_the_user_left_ticked(sandbox: Sandbox) -> None:
    verifier = "v" * 50
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    sandbox.set_consent([s for s in SCOPES if s != TASKS_SCOPE])

    answer = _consent(sandbox, list(SCOPES), challenge)
    assert answer["state"] == "s1" and TASKS_SCOPE not in answer["scope"].split()
    exchange = {
        "grant_type": "authorization_code", "code": answer["code"],
        "redirect_uri": "http://localhost:8765/", "client_id": sandbox.oauth.client_id,
        "client_secret": sandbox.oauth.client_secret,
    }  # fmt: skip
    status, body = call(sandbox, "POST", "/token", _form(**exchange, code_verifier="w" * 50), None)
    assert (status, body["error"]) == (400, "invalid_grant")  # PKCE: and the code is spent

    exchange["code"] = _consent(sandbox, list(SCOPES), challenge)["code"]
    status, tokens = call(
        sandbox, "POST", "/token", _form(**exchange, code_verifier=verifier), None
    )
    assert status == 200 and TASKS_SCOPE not in tokens["scope"].split()
    assert tokens["refresh_token"]

    bearer = tokens["access_token"]
    assert call(sandbox, "GET", "/calendar/v3/calendars/primary/events", token=bearer)[0] == 200
    status, refused = call(sandbox, "GET", "/tasks/v1/users/@me/lists", token=bearer)
    assert status == 403
    assert refused["error"]["message"] == "Request had insufficient authentication scopes."
    assert refused["error"]["errors"][0]["reason"] == "insufficientPermissions"
