"""An httplib2-compatible `http` object over requests that never re-sends a request on its own.

google-api-python-client's default transport (httplib2) silently re-sends a request, POST
included, when the connection drops before a response, so a write can land twice without the
caller ever seeing an error. This transport sends each request exactly once, with a timeout,
and turns every transport failure into RetryLater (nothing can have been applied, or the call
reads only) or AmbiguousWrite (a write that may have been applied). The one deliberate re-send
is after a 401: the server refused the request before applying it, so it is safe to send it
again with a refreshed token. One instance per thread (requests sessions are not shared).
"""

from __future__ import annotations

from typing import Protocol

import httplib2
import requests
import structlog
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from connectors.errors import AmbiguousWrite, RetryLater

log = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# requests decodes the body itself; these headers would describe bytes the caller never sees.
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class TokenSource(Protocol):
    """Where the transport gets bearer tokens (see connectors.google.auth.CredentialStore)."""

    def access_token(self) -> str:
        """A token that is valid now (refreshed first when it has expired)."""
        ...

    def refresh(self, rejected_token: str) -> str:
        """A fresh token after the server rejected `rejected_token`."""
        ...


class Transport:
    """Sends each request once, with a timeout, authorizing it from a TokenSource."""

    def __init__(self, *, timeout: float, tokens: TokenSource | None = None) -> None:
        self.timeout = timeout
        self.tokens = tokens
        self.session = _session_without_retries()

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 0,
        connection_type: object = None,
    ) -> tuple[httplib2.Response, bytes]:
        """Send one request the way httplib2.Http.request does; return (response, content)."""
        method = method.upper()
        payload = body.encode("utf-8") if isinstance(body, str) else body
        token = self.tokens.access_token() if self.tokens else None
        response = self._send(uri, method, payload, headers or {}, token)
        if response.status_code == 401 and self.tokens and token:
            log.info("google.token_rejected", method=method, uri=_without_query(uri))
            response = self._send(uri, method, payload, headers or {}, self.tokens.refresh(token))
        return _as_httplib2(response), response.content

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def _send(
        self, uri: str, method: str, body: bytes | None, headers: dict[str, str], token: str | None
    ) -> requests.Response:
        sent_headers = dict(headers)
        if token:
            sent_headers["authorization"] = f"Bearer {token}"
        try:
            return self.session.request(
                method,
                uri,
                data=body,
                headers=sent_headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as exc:
            raise RetryLater(
                f"Could not connect to {_host(uri)} in time; try again later."
            ) from exc
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise RetryLater(f"Could not connect to {_host(uri)}; try again later.") from exc
            raise _dropped(method, uri, "the connection dropped before a response") from exc
        except requests.Timeout as exc:
            raise _dropped(method, uri, f"no response within {self.timeout:g} s") from exc


def _session_without_retries() -> requests.Session:
    # No retry at all; read=False re-raises read errors as they are (a timeout stays a timeout).
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _dropped(method: str, uri: str, what: str) -> RetryLater:
    log.warning("google.transport_failed", method=method, uri=_without_query(uri), failure=what)
    if method in SAFE_METHODS:
        return RetryLater(f"{method} {_without_query(uri)} failed: {what}; try again later.")
    return AmbiguousWrite(
        f"{method} {_without_query(uri)} failed: {what}; it may have been applied. "
        "Look it up before trying again."
    )


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the failure happened while connecting, so the request was never sent."""
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", cause), NewConnectionError)


def _as_httplib2(response: requests.Response) -> httplib2.Response:
    info: dict[str, str | int] = {
        key.lower(): value
        for key, value in response.headers.items()
        if key.lower() not in _DROPPED_HEADERS
    }
    info["status"] = response.status_code
    result = httplib2.Response(info)
    result.reason = response.reason or ""
    return result


def _host(uri: str) -> str:
    return uri.split("/")[2] if "://" in uri else uri


def _without_query(uri: str) -> str:
    return uri.split("?", 1)[0]
