"""Google authorization: the authorized-user credentials file and token refresh.

The credentials file holds token, refresh_token, token_uri, client_id, client_secret, scopes (the
ones the user granted: see connectors.google.consent for the first consent) and expiry.
Credentials are built directly (google-auth's `from_authorized_user_info` would replace
`token_uri` with Google's), so the sandbox or any stand-in named there is honoured. A token that
is still valid is reused; a refreshed one is written back atomically with mode 0600, or kept
in memory with a warning when the file cannot be written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

import google.auth.exceptions
import google.auth.transport.requests
import structlog
from google.oauth2.credentials import Credentials

from connectors.errors import AuthorizationError, ConfigurationError, RetryLater
from connectors.records import GoogleCredentials

log = structlog.get_logger(__name__)

CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events.readonly"
GMAIL_COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"
TASKS_SCOPE = "https://www.googleapis.com/auth/tasks"
SCOPES = (CONTACTS_SCOPE, CALENDAR_SCOPE, GMAIL_COMPOSE_SCOPE, TASKS_SCOPE)
"""The narrowest scopes Followthrough works with (calendars.get is not needed: see DESIGN.md);
a user may grant fewer (see connectors.google.consent)."""
GMAIL_METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
"""Optional, asked for only when configured: headers and labels (never bodies), to learn when a
thank-you was sent or answered."""

REAUTHORIZE = "Run `followthrough auth google` again to authorize Followthrough."
AUTHORIZATION_EXPIRED = (
    "Google authorization expired: run `followthrough auth google` (the grant was revoked, or "
    "it expired after 7 days because the OAuth app is in Testing: publish it, see the README)"
)


def read_credentials_file(path: Path) -> GoogleCredentials:
    """Read an authorized-user credentials file; a missing or broken file says how to make one."""
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"Google credentials file {path} does not exist. {REAUTHORIZE}"
        ) from exc
    except OSError as exc:  # it is there, but this user may not read it (or it is a directory)
        raise ConfigurationError(
            f"Google credentials file {path} cannot be read ({exc.strerror}): let the user "
            "running Followthrough read it (chown or chmod), or run `followthrough auth google` "
            "again to write it anew"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(
            f"Google credentials file {path} is not usable ({exc!r}). {REAUTHORIZE}"
        ) from exc
    return parse_credentials(info, f"Google credentials file {path}")


def parse_credentials(info: Any, where: str) -> GoogleCredentials:
    """The authorized-user JSON object `info` as a record; `where` names it in the error."""
    try:
        return GoogleCredentials(
            token=info.get("token"),
            refresh_token=info["refresh_token"],
            token_uri=info.get("token_uri") or "https://oauth2.googleapis.com/token",
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=tuple(info.get("scopes") or ()),
            expiry=_parse_expiry(info.get("expiry")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # (the JSON not an object)
        raise ConfigurationError(f"{where} is not usable ({exc!r}). {REAUTHORIZE}") from exc


def credentials_json(credentials: GoogleCredentials) -> dict[str, Any]:
    """The authorized-user JSON object of `credentials` (as a credentials file holds it)."""
    return {
        "token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "token_uri": credentials.token_uri,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "scopes": list(credentials.scopes),
        "expiry": credentials.expiry.isoformat() if credentials.expiry else None,
    }


def write_credentials_file(path: Path, credentials: GoogleCredentials) -> None:
    """Write the credentials file atomically (temp file, fsync, rename), owner-only (0600)."""
    info = credentials_json(credentials)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def to_google_credentials(credentials: GoogleCredentials) -> Credentials:
    """google-auth Credentials built directly, so `token_uri` is the one in the file."""
    expiry = (
        credentials.expiry.astimezone(dt.UTC).replace(tzinfo=None) if credentials.expiry else None
    )
    return Credentials(
        token=credentials.token,
        refresh_token=credentials.refresh_token,
        token_uri=credentials.token_uri,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        scopes=list(credentials.scopes) or None,
        expiry=expiry,  # google-auth compares naive UTC datetimes
    )


def from_google_credentials(credentials: Credentials) -> GoogleCredentials:
    """Our record of google-auth Credentials (after a refresh or a consent flow)."""
    expiry = credentials.expiry.replace(tzinfo=dt.UTC) if credentials.expiry else None
    return GoogleCredentials(
        token=credentials.token,
        refresh_token=credentials.refresh_token or "",
        token_uri=credentials.token_uri or "",
        client_id=credentials.client_id or "",
        client_secret=credentials.client_secret or "",
        scopes=tuple(credentials.scopes or ()),
        expiry=expiry,
    )


class CredentialsKeeper(Protocol):
    """Where credentials live between processes: a file, or an account's encrypted row."""

    where: str  # names it in log lines (never a secret)

    def load(self) -> GoogleCredentials:
        """The stored credentials; a ConfigurationError saying how to fix them when unusable."""
        ...

    def save(self, credentials: GoogleCredentials) -> None:
        """Store refreshed credentials; OSError when they cannot be written."""
        ...


class CredentialsFile:
    """Credentials kept in an authorized-user JSON file (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def load(self) -> GoogleCredentials:
        """Read the file."""
        return read_credentials_file(self.path)

    def save(self, credentials: GoogleCredentials) -> None:
        """Write the file atomically."""
        write_credentials_file(self.path, credentials)


class CredentialStore:
    """Hands out valid access tokens from a credentials keeper, refreshing and saving as needed.

    Shared by all threads: a refresh happens under a lock, and a thread whose token was
    rejected after another thread already refreshed gets the new token without a second refresh.
    Before refreshing, the keeper is read again: a valid token another process (web, worker,
    scheduler) stored there is reused instead.
    """

    def __init__(self, source: Path | CredentialsKeeper, *, timeout: float) -> None:
        self.keeper = CredentialsFile(source) if isinstance(source, Path) else source
        self._lock = threading.Lock()
        self._request = _TimedRequest(timeout)  # used under the lock only
        self._credentials = to_google_credentials(self.keeper.load())

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes the user granted, as the credentials say (empty: not recorded)."""
        return tuple(self._credentials.scopes or ())

    def access_token(self) -> str:
        """The current token when still valid (no request made); otherwise a renewed one."""
        with self._lock:
            if not self._credentials.valid:
                self._renew(rejected_token=None)
            return str(self._credentials.token)

    def refresh_now(self) -> None:
        """Refresh the access token now (a check that the grant still stands), and save it."""
        with self._lock:
            self._refresh()

    def refresh(self, rejected_token: str) -> str:
        """A new token after the server rejected `rejected_token` (one refresh for all threads)."""
        with self._lock:
            if self._credentials.token == rejected_token:
                self._renew(rejected_token)
            return str(self._credentials.token)

    def _renew(self, rejected_token: str | None) -> None:
        stored = to_google_credentials(self.keeper.load())
        if stored.valid and stored.token not in (rejected_token, self._credentials.token):
            self._credentials = stored
            log.info("google.token_reused_from_file", credentials_file=self.keeper.where)
            return
        self._refresh()

    def _refresh(self) -> None:
        try:
            self._credentials.refresh(self._request)
        except google.auth.exceptions.RefreshError as exc:
            raise _refresh_failure(exc) from exc
        except google.auth.exceptions.TransportError as exc:
            raise RetryLater("Could not reach Google's token endpoint; try again later.") from exc
        self._save()

    def _save(self) -> None:
        """Store the refreshed token; credentials that cannot be written keep it in memory only.

        A read-only credentials file (e.g. mounted from a secret) must not fail every call once
        an hour: the token works from memory, and other processes refresh their own.
        """
        try:
            self.keeper.save(from_google_credentials(self._credentials))
        except OSError as exc:
            log.warning(
                "google.token_not_saved",
                credentials_file=self.keeper.where,
                reason=exc.strerror or type(exc).__name__,
                fix="make the credentials file and its directory writable by this process, so "
                "restarts and other processes reuse the refreshed token",
            )
            return
        log.info("google.token_refreshed", credentials_file=self.keeper.where)


class _TimedRequest(google.auth.transport.requests.Request):
    """google-auth's requests transport with our timeout on the token request."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        return super().__call__(
            url, method, body, headers, timeout=timeout or self._timeout, **kwargs
        )


def _refresh_failure(exc: google.auth.exceptions.RefreshError) -> Exception:
    if exc.retryable:
        return RetryLater("Google's token endpoint failed for now; try again later.")
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    if data.get("error") == "invalid_grant":
        return AuthorizationError(AUTHORIZATION_EXPIRED)
    return AuthorizationError(
        f"Google refused to refresh the access token ({data.get('error', exc)}). {REAUTHORIZE}"
    )


def _parse_expiry(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
