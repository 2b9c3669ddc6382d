"""Google's OAuth: the consent screen, the token endpoint, and bearer and scope checks.

`GET /o/oauth2/auth` stands for the consent screen of an installed app: it grants the
requested scopes the user leaves ticked (`consent`, all of them by default; Google lets a user
untick any) and redirects to the loopback `redirect_uri` with a one-time `code`, the `state`
and the granted `scope`. `POST /token` takes the authorization_code grant (PKCE S256 checked
when the consent had a `code_challenge`) and the refresh_token grant; each answers the
grant's scopes. An access token calls only the APIs its scopes cover: others answer 403
insufficientPermissions as Google does. Gmail's methods each take their own scopes (drafts:
gmail.compose; messages, threads and history: a reading scope such as gmail.metadata), and a
token carrying gmail.metadata, even beside a broader scope, may not send `q` nor ask for
format full or raw: Gmail answers 403 forbidden ("Metadata scope does not support 'q'
parameter", "Metadata scope doesn't allow format FULL"). Gmail documents that for messages and
threads; the sandbox applies it to drafts.list and drafts.get too, the strict reading.

What still differs: the sandbox has one OAuth client and does not tell a Desktop client from
a Web application one. Google takes any loopback `redirect_uri` from a Desktop client but
only the redirect URIs a Web client lists in the console, exactly; the sandbox takes any
loopback one from either (so the web app's consent, served on 127.0.0.1, can be tested).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from connectors.addresses import is_loopback_host
from connectors.google.auth import SCOPES  # what a user grants Followthrough, granted here
from connectors.sandbox.http import HttpError, Request, Response, Router, google_error

_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_AUTH = "https://www.googleapis.com/auth/"
API_SCOPES = {
    "calendar": frozenset(
        _AUTH + s for s in ("calendar", "calendar.readonly", "calendar.events",
                            "calendar.events.readonly")
    ),
    "people": frozenset({_AUTH + "contacts", _AUTH + "contacts.readonly"}),
    "gmail": frozenset({_AUTH + "gmail.compose", _AUTH + "gmail.modify", "https://mail.google.com/"}),
    "tasks": frozenset({_AUTH + "tasks"}),
}  # fmt: skip
"""Per API (the first part of a route name), the scopes any one of which lets a token call it."""

METADATA_SCOPE = _AUTH + "gmail.metadata"
_GMAIL_READ = frozenset(
    {_AUTH + "gmail.readonly", _AUTH + "gmail.modify", METADATA_SCOPE, "https://mail.google.com/"}
)
ROUTE_SCOPES = {
    "gmail.getProfile": _GMAIL_READ | {_AUTH + "gmail.compose"},
    "gmail.messages.get": _GMAIL_READ,
    "gmail.messages.list": _GMAIL_READ,
    "gmail.threads.get": _GMAIL_READ,
    "gmail.history.list": _GMAIL_READ,
}
"""Routes whose scopes differ from their API's (Gmail's reads take gmail.metadata, not compose)."""
FULL_BY_DEFAULT = frozenset({"gmail.messages.get", "gmail.threads.get", "gmail.drafts.get"})


@dataclass(frozen=True)
class _Code:
    """A one-time authorization code and what the consent it came from said."""

    scopes: tuple[str, ...]
    redirect_uri: str
    challenge: str | None


@dataclass
class OAuthServer:
    """Issues access tokens for one OAuth client; checks bearers and their scopes."""

    client_id: str = "sandbox-client-id.apps.googleusercontent.com"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    lifetime: float = 3600.0  # seconds an access token lives
    consent: tuple[str, ...] | None = None  # scopes the user leaves ticked (None: all asked)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch s)
    refresh_token_valid: bool = True  # False once revoked, or expired (a Testing app's 7 days)
    token_scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # default: SCOPES
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)  # other refresh tokens
    codes: dict[str, _Code] = field(default_factory=dict)

    def register(self, router: Router) -> None:
        """Serve the consent screen and POST /token (urlencoded, as google-auth sends it)."""
        router.add("GET", "/o/oauth2/auth", self.consent_screen, name="oauth.auth", api="oauth")
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

    def issue(self, scopes: tuple[str, ...] = SCOPES) -> tuple[str, float]:
        """A fresh access token for `scopes` and its expiry (epoch seconds)."""
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        expiry = time.time() + self.lifetime
        self.tokens[token] = expiry
        self.token_scopes[token] = scopes
        return token, expiry

    def grant(self, scopes: tuple[str, ...]) -> str:
        """The refresh token of a consent that granted `scopes` (the default one for all)."""
        if scopes == SCOPES:
            return self.refresh_token
        refresh_token = "1//sandbox-" + secrets.token_urlsafe(24)
        self.grants[refresh_token] = scopes
        return refresh_token

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

    def consent_screen(self, request: Request) -> Response:
        """The user consents at once, granting what `consent` leaves of the requested scopes."""
        redirect_uri = request.arg("redirect_uri") or ""
        asked = tuple((request.arg("scope") or "").split())
        if request.arg("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if request.arg("response_type") != "code" or not asked:
            return _oauth_error(400, "invalid_request", "Required parameter is missing: scope")
        if not _loopback_redirect(redirect_uri):
            return _oauth_error(400, "redirect_uri_mismatch", "redirect_uri is not a loopback URL")
        granted = tuple(s for s in asked if self.consent is None or s in self.consent)
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        self.codes[code] = _Code(granted, redirect_uri, request.arg("code_challenge"))
        query = {"state": request.arg("state") or "", "code": code, "scope": " ".join(granted)}
        sep = "&" if "?" in redirect_uri else "?"
        return Response(302, None, {"Location": f"{redirect_uri}{sep}{urlencode(query)}"})

    def token_endpoint(self, request: Request) -> Response:
        """The authorization_code and refresh_token grants; others fail like Google's."""
        form = token_form(request)
        grant_type = form.get("grant_type", "")
        if grant_type not in ("authorization_code", "refresh_token"):
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + grant_type)
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        given = form.get("refresh_token", "")
        scopes = SCOPES if given == self.refresh_token else self.grants.get(given)
        if scopes is None or not self.refresh_token_valid:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        return self._tokens(scopes)

    def _exchange_code(self, form: dict[str, str]) -> Response:
        code = self.codes.pop(form.get("code", ""), None)
        if code is None:
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None and _s256(form.get("code_verifier", "")) != code.challenge:
            return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        refresh_token = "1//sandbox-" + secrets.token_urlsafe(24)  # a new one for each consent
        self.grants[refresh_token] = code.scopes
        return self._tokens(code.scopes, refresh_token=refresh_token)

    def _tokens(self, scopes: tuple[str, ...], *, refresh_token: str | None = None) -> Response:
        token, expiry = self.issue(scopes)
        body = {
            "access_token": token,
            "expires_in": int(expiry - time.time()),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return Response(200, body)

    def authorize(self, request: Request, route_name: str) -> None:
        """Raise Google's 401 unless the bearer is known and unexpired, and its 403 unless the
        token's scopes cover the route's API."""
        token = request.bearer
        expiry = self.tokens.get(token) if token else None
        if token is None or expiry is None or expiry <= time.time():
            raise HttpError(_unauthenticated())
        scopes = self.token_scopes.get(token, SCOPES)
        needed = ROUTE_SCOPES.get(route_name) or API_SCOPES.get(route_name.split(".", 1)[0])
        if needed is not None and not needed.intersection(scopes):
            raise HttpError(_insufficient_scopes())
        if route_name.startswith("gmail.") and METADATA_SCOPE in scopes:
            _check_metadata_only(request, route_name)


def _check_metadata_only(request: Request, route_name: str) -> None:
    """Gmail's refusals for a token carrying gmail.metadata: no search, no bodies."""
    if "q" in request.query:
        raise _forbidden("Metadata scope does not support 'q' parameter")
    form = request.arg("format") or ("full" if route_name in FULL_BY_DEFAULT else "")
    if form.lower() in ("full", "raw"):
        raise _forbidden(f"Metadata scope doesn't allow format {form.upper()}")


def _forbidden(message: str) -> HttpError:
    return HttpError(
        google_error(403, message, reason="forbidden", grpc_status="PERMISSION_DENIED")
    )


def _loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _unauthenticated() -> Response:
    response = google_error(
        401, _UNAUTHENTICATED, reason="authError", grpc_status="UNAUTHENTICATED"
    )
    response.body["error"]["errors"][0].update(
        {"message": "Invalid Credentials", "location": "Authorization", "locationType": "header"}
    )
    response.headers["WWW-Authenticate"] = (
        'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    )
    return response


def _insufficient_scopes() -> Response:
    response = google_error(
        403,
        "Request had insufficient authentication scopes.",
        reason="insufficientPermissions",
        grpc_status="PERMISSION_DENIED",
    )
    error = response.body["error"]
    error["errors"][0]["message"] = "Insufficient Permission"
    error["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
        }
    ]
    return response


def token_form(request: Request) -> dict[str, str]:
    """The urlencoded body (or, leniently, query) as single values, with the client's id and
    secret from HTTP Basic auth when sent there (client_secret_basic, as requests-oauthlib does)."""
    fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    merged = {k: v[0] for k, v in request.query.items() if v}
    merged.update({k: v[0] for k, v in fields.items() if v})
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return merged
        merged.update(client_id=unquote_plus(client_id), client_secret=unquote_plus(secret))
    return merged


def _oauth_error(status: int, error: str, description: str) -> Response:
    """An error as Google's token endpoint answers it."""
    return Response(status, {"error": error, "error_description": description})
