"""Google's OAuth: the consent step of the installed-app flow, the token endpoint
(authorization_code and refresh_token grants) and bearer checks on Google routes.

The consent page is answered as if the user clicked Allow on every scope asked: a redirect to
the app's loopback `redirect_uri` with a one-time code, which the token endpoint exchanges
(checking the client, the redirect_uri and the PKCE verifier as Google does) for the access
token and the one refresh token this server knows.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from connectors.google.auth import SCOPES  # what a user grants Followthrough, granted here
from connectors.sandbox.http import HttpError, Request, Response, Router, google_error

_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass(frozen=True)
class _Grant:
    """What the user allowed for one authorization code, and the PKCE challenge it came with."""

    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    method: str | None

    def verified_by(self, verifier: str | None) -> bool:
        """True when `verifier` answers the challenge (S256 or plain); no challenge: no check."""
        if self.challenge is None:
            return True
        if not verifier:
            return False
        if self.method == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return secrets.compare_digest(verifier, self.challenge)


@dataclass
class OAuthServer:
    """Issues access tokens for one OAuth client and refresh token; checks bearers."""

    client_id: str = "sandbox-client-id.apps.googleusercontent.com"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    lifetime: float = 3600.0  # seconds an access token lives
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch s)
    codes: dict[str, _Grant] = field(default_factory=dict)  # authorization code -> its grant

    def register(self, router: Router) -> None:
        """Serve GET /o/oauth2/auth (consent) and POST /token (urlencoded, as clients send it)."""
        router.add("GET", "/o/oauth2/auth", self.consent, name="oauth.consent", api="oauth")
        router.add("POST", "/token", self.token_endpoint, name="oauth.token", api="oauth")

    def client_secrets(self, base_url: str) -> dict[str, object]:
        """The OAuth client JSON (type Desktop app) as the Google Cloud console downloads it."""
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": f"{base_url}/o/oauth2/auth",
                "token_uri": f"{base_url}/token",
                "redirect_uris": ["http://localhost"],
            }
        }

    def consent(self, request: Request) -> Response:
        """The user allows every scope asked: back to the loopback redirect_uri with a code."""
        query = {name: values[0] for name, values in request.query.items() if values}
        if query.get("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = query.get("redirect_uri", "")
        if not _is_loopback(redirect_uri):
            return _oauth_error(400, "redirect_uri_mismatch", "redirect_uri is not allowed.")
        scopes = query.get("scope", "").split()
        if query.get("response_type") != "code" or not scopes or set(scopes) - set(SCOPES):
            return _oauth_error(400, "invalid_request", "Required parameter is missing or bad.")
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        self.codes[code] = _Grant(
            redirect_uri,
            tuple(scopes),
            query.get("code_challenge"),
            query.get("code_challenge_method"),
        )
        back = {"state": query.get("state", ""), "code": code, "scope": " ".join(scopes)}
        return Response(302, None, {"Location": f"{redirect_uri}?{urlencode(back)}"})

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

    def token_endpoint(self, request: Request) -> Response:
        """The refresh_token and authorization_code grants; others fail as Google's do."""
        form = _form(request)
        grant = form.get("grant_type", "")
        if grant not in ("refresh_token", "authorization_code"):
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + grant)
        if _client(request, form) != (self.client_id, self.client_secret):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if grant == "authorization_code":
            return self._exchange(form)
        if form.get("refresh_token") != self.refresh_token:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        return Response(200, self._token_body(SCOPES))

    def _exchange(self, form: dict[str, str]) -> Response:
        """The authorization_code grant: a code used once, its redirect_uri, its verifier."""
        granted = self.codes.pop(form.get("code", ""), None)
        if granted is None:
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != granted.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if not granted.verified_by(form.get("code_verifier")):
            return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        body = self._token_body(granted.scopes)
        body["refresh_token"] = self.refresh_token
        return Response(200, body)

    def _token_body(self, scopes: tuple[str, ...]) -> dict[str, object]:
        token, expiry = self.issue()
        return {
            "access_token": token,
            "expires_in": int(expiry - time.time()),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

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


def _client(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """The client's id and secret: in HTTP Basic auth (client_secret_basic, as
    requests-oauthlib sends them) or in the form (client_secret_post, as google-auth does)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return None, None
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def _oauth_error(status: int, error: str, description: str) -> Response:
    """An error as Google's token endpoint answers it."""
    return Response(status, {"error": error, "error_description": description})


def _is_loopback(uri: str) -> bool:
    """Google's installed-app rule: the redirect goes to http on the loopback, any port."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
