"""Google's OAuth token endpoint (the refresh_token grant) and bearer checks on Google routes."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from connectors.google.auth import SCOPES  # what a user grants Followthrough, granted here
from connectors.sandbox.http import HttpError, Request, Response, Router, google_error

_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass
class OAuthServer:
    """Issues access tokens for one OAuth client and refresh token; checks bearers."""

    client_id: str = "sandbox-client-id.apps.googleusercontent.com"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    lifetime: float = 3600.0  # seconds an access token lives
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch s)
    refresh_token_valid: bool = True  # False once revoked, or expired (a Testing app's 7 days)

    def register(self, router: Router) -> None:
        """Serve POST /token (application/x-www-form-urlencoded, as google-auth sends it)."""
        router.add("POST", "/token", self.token_endpoint, name="oauth.token", api="oauth")

    def issue(self) -> tuple[str, float]:
        """A fresh access token and its expiry (epoch seconds)."""
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        expiry = time.time() + self.lifetime
        self.tokens[token] = expiry
        return token, expiry

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired, as if an hour had passed."""
        past = time.time() - 1
        self.tokens = dict.fromkeys(self.tokens, past)

    def revoke_refresh_token(self) -> None:
        """The refresh token stops working: the user revoked the grant, or it expired (an
        OAuth app left in Testing gets refresh tokens that expire after 7 days). Google
        answers both with the same invalid_grant."""
        self.refresh_token_valid = False
        self.tokens.clear()

    def token_endpoint(self, request: Request) -> Response:
        """The refresh_token grant; other grants and bad credentials fail like Google's."""
        form = _form(request)
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", "")
            )
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("refresh_token") != self.refresh_token or not self.refresh_token_valid:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        token, expiry = self.issue()
        body = {
            "access_token": token,
            "expires_in": int(expiry - time.time()),
            "scope": " ".join(SCOPES),
            "token_type": "Bearer",
        }
        return Response(200, body)

    def authorize(self, request: Request) -> None:
        """Raise a 401 in Google's shape unless the bearer token is known and unexpired."""
        token = request.bearer
        expiry = self.tokens.get(token) if token else None
        if expiry is None or expiry <= time.time():
            response = google_error(
                401, _UNAUTHENTICATED, reason="authError", grpc_status="UNAUTHENTICATED"
            )
            response.body["error"]["errors"][0].update(
                {
                    "message": "Invalid Credentials",
                    "location": "Authorization",
                    "locationType": "header",
                }
            )
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            raise HttpError(response)


def _form(request: Request) -> dict[str, str]:
    """The urlencoded body (or, leniently, query) as single values."""
    fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    merged = {k: v[0] for k, v in request.query.items() if v}
    merged.update({k: v[0] for k, v in fields.items() if v})
    return merged


def _oauth_error(status: int, error: str, description: str) -> Response:
    """An error as Google's token endpoint answers it."""
    return Response(status, {"error": error, "error_description": description})
