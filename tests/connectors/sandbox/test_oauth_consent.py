"""The sandbox's installed-app flow: consent to a loopback redirect, then the code exchanged
once, with its redirect_uri and PKCE verifier checked as Google checks them."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from connectors.google.auth import SCOPES
from connectors.sandbox.server import Sandbox

REDIRECT = "http://localhost:53682/"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


def _consent(sandbox: Sandbox, **changes: str) -> requests.Response:
    query = {
        "response_type": "code",
        "client_id": sandbox.oauth.client_id,
        "redirect_uri": REDIRECT,
        "scope": " ".join(SCOPES),
        "state": "st4te",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        **changes,
    }
    return requests.get(
        f"{sandbox.url}/o/oauth2/auth", params=query, allow_redirects=False, timeout=5
    )


def _code(sandbox: Sandbox) -> str:
    answer = _consent(sandbox)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    query = parse_qs(back.query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def _exchange(sandbox: Sandbox, code: str, **changes: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": sandbox.oauth.client_id,
        "client_secret": sandbox.oauth.client_secret,
        "code_verifier": VERIFIER,
        **changes,
    }
    answer = requests.post(f"{sandbox.url}/token", data=form, timeout=5)
    return answer.status_code, answer.json()


def test_a_code_is_exchanged_once_for_an_access_and_a_refresh_token(sandbox: Sandbox) -> None:
    code = _code(sandbox)

    status, body = _exchange(sandbox, code)

    assert status == 200 and body["access_token"].startswith("ya29.")
    assert body["scope"] == " ".join(SCOPES)
    assert _exchange(sandbox, code)[1]["error"] == "invalid_grant"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
        "client_id": sandbox.oauth.client_id,
        "client_secret": sandbox.oauth.client_secret,
    }
    again = requests.post(f"{sandbox.url}/token", data=refresh, timeout=5)
    assert again.status_code == 200 and again.json()["access_token"].startswith("ya29.")


def test_the_verifier_and_redirect_uri_must_match_the_consent(sandbox: Sandbox) -> None:
    assert _exchange(sandbox, _code(sandbox), code_verifier="w" * 64)[1]["error"] == "invalid_grant"
    assert _exchange(sandbox, _code(sandbox), code_verifier="")[1]["error"] == "invalid_grant"
    status, body = _exchange(sandbox, _code(sandbox), redirect_uri="http://localhost:1/")
    assert (status, body["error"]) == (400, "redirect_uri_mismatch")


def test_the_client_may_send_its_secret_in_basic_auth(sandbox: Sandbox) -> None:
    form = {"grant_type": "authorization_code", "code": _code(sandbox), "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER}  # fmt: skip
    client = (sandbox.oauth.client_id, sandbox.oauth.client_secret)

    answer = requests.post(f"{sandbox.url}/token", data=form, auth=client, timeout=5)

    assert answer.status_code == 200 and "refresh_token" in answer.json()


def test_consent_refuses_an_unknown_client_and_a_remote_redirect(
    sandbox: Sandbox,
) -> None:
    assert _consent(sandbox, client_id="other.apps.googleusercontent.com").status_code == 401
    remote = _consent(sandbox, redirect_uri="https://evil.example/")
    assert (remote.status_code, remote.json()["error"]) == (400, "redirect_uri_mismatch")
    assert _consent(sandbox, response_type="token").status_code == 400
