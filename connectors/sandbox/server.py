"""The sandbox server: one local HTTP server for the Google APIs, Airtable, a chat model (the
draft model, `connectors.sandbox.chat`) and the control API.

Every request goes through `Sandbox.dispatch`: route match, request log, latency, injected
errors, the bearer check on Google routes, Gmail's per-user quota (`gmail_quota`), the
handler (under the one world lock), and the
lost-reply faults, which apply a write and then close the connection unanswered (dropped) or
halfway through the answer's body (cut).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import structlog

from connectors.sandbox.airtable import AirtableSandbox
from connectors.sandbox.calendar import CalendarApi
from connectors.sandbox.chat import ChatApi
from connectors.sandbox.control import SandboxControl, register_control
from connectors.sandbox.faults import Faults, LostReply, fault_response
from connectors.sandbox.fixture import fixture_now, load_fixture
from connectors.sandbox.gmail import GmailApi
from connectors.sandbox.gmail_quota import GmailQuota
from connectors.sandbox.http import (
    HttpError,
    Request,
    Response,
    Router,
    airtable_error,
    fingerprint,
    google_error,
)
from connectors.sandbox.oauth import SCOPES, OAuthServer
from connectors.sandbox.people import PeopleApi
from connectors.sandbox.push import Outbox
from connectors.sandbox.tasks import TasksApi

log = structlog.get_logger(__name__)

DEFAULT_AIRTABLE_TOKEN = "patSandbox.token0000000000000000000000000000"
DEFAULT_AIRTABLE_BASE = "appSandboxBase001"


@dataclass
class LoggedRequest:
    """One request, logged when it arrives (so slow requests count at once)."""

    method: str
    path: str
    route: str  # route name, or "unmatched"
    status: int | None = None  # None while in flight; 0 when the response was dropped
    credential: str = ""  # fingerprint(...) of the credential it carried; "" for none


@dataclass
class RequestLog:
    """Every request the sandbox served, with counts per route name."""

    entries: list[LoggedRequest] = field(default_factory=list)

    def add(self, entry: LoggedRequest) -> None:
        """Record one request."""
        self.entries.append(entry)

    def counts(self) -> dict[str, int]:
        """Requests per route name (e.g. {"calendar.events.list": 3})."""
        return dict(Counter(e.route for e in self.entries if not e.route.startswith("control.")))

    def clear(self) -> None:
        """Forget every request so far."""
        self.entries.clear()


class Sandbox(SandboxControl):
    """A running stand-in for Google (Calendar, People, Gmail, Tasks, OAuth) and Airtable."""

    def __init__(
        self,
        fixture: dict[str, Any] | str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        airtable_rate_limit: float = 5.0,
        airtable_penalty_seconds: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.lock = threading.RLock()
        self.oauth = OAuthServer()
        self.gmail_quota = GmailQuota()  # Gmail's 250 units a second per user
        self.faults = Faults()
        self.requests = RequestLog()
        self.outbox = Outbox()
        self.router = Router()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        collecting = gc.isenabled()
        gc.disable()  # loading a large fixture makes millions of objects; GC passes only slow it
        try:
            self._load(fixture, latency, airtable_rate_limit, airtable_penalty_seconds)
        finally:
            if collecting:
                gc.enable()
        self.oauth.register(self.router)
        register_control(self.router, self)

    def _load(
        self, fixture: Any, latency: float, rate_limit: float, penalty_seconds: float
    ) -> None:
        """Build the world from the fixture."""
        self.fixture = load_fixture(fixture)
        self.now = fixture_now(self.fixture) or dt.datetime.now(dt.UTC)
        google = self.fixture.get("google", {})
        self.user_email: str = google.get("user", {}).get("email", "me@example.com")
        if latency:
            self.faults.latency["*"] = latency
        self._build_google(google)
        self._build_airtable(rate_limit, penalty_seconds)
        self.chat_api = ChatApi(self.fixture.get("chat", {}).get("api_key"))
        self.chat_api.register(self.router)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Listen on the port (0: a free one) and serve from a daemon thread."""
        handler = type("SandboxRequestHandler", (_RequestHandler,), {"sandbox": self})
        self._httpd = _Server((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        self.outbox.start()
        log.info("sandbox.started", url=self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self.outbox.stop()
        self.airtable.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL (no trailing slash), e.g. http://127.0.0.1:54321."""
        return f"http://{self.host}:{self.port}"

    # --- credentials -----------------------------------------------------------------------

    def google_credentials(self, scopes: list[str] | None = None) -> dict[str, Any]:
        """Authorized-user credentials (google-auth's format) holding a valid access token.

        `scopes`: what the user granted (default: all Followthrough asks for); the token and
        its refresh token call only the APIs those cover.
        """
        granted = tuple(scopes) if scopes is not None else SCOPES
        with self.lock:
            token, expiry = self.oauth.issue(granted)
            refresh_token = self.oauth.grant(granted)
        return {
            "token": token,
            "refresh_token": refresh_token,
            "token_uri": f"{self.url}/token",
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "scopes": list(granted),
            "expiry": dt.datetime.fromtimestamp(expiry, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def google_client_secrets(self) -> dict[str, Any]:
        """The OAuth client JSON (Desktop app) for `followthrough auth google --client-secrets`."""
        return self.oauth.client_secrets(self.url)

    @property
    def airtable_token(self) -> str:
        """The personal access token the Airtable part accepts."""
        return str(self.fixture.get("airtable", {}).get("token", DEFAULT_AIRTABLE_TOKEN))

    @property
    def airtable_base_id(self) -> str:
        """The id of the one Airtable base."""
        return str(self.fixture.get("airtable", {}).get("base_id", DEFAULT_AIRTABLE_BASE))

    # --- assembly --------------------------------------------------------------------------

    def _build_google(self, google: dict[str, Any]) -> None:
        """Create the Google API parts from the fixture and register their routes."""
        self.calendar_api = CalendarApi(
            google.get("calendars", {}),
            user_email=self.user_email,
            outbox=self.outbox,
            now=self.now,
        )
        self.people_api = PeopleApi(google.get("contacts", []))
        self.gmail_api = GmailApi(user_email=self.user_email)
        self.tasks_api = TasksApi(google.get("tasklists", []))
        for part in (self.calendar_api, self.people_api, self.gmail_api, self.tasks_api):
            part.register(self.router)

    def _build_airtable(self, rate_limit: float, penalty_seconds: float) -> None:
        """Create the Airtable part and register its routes."""
        self.airtable = AirtableSandbox(
            base_id=self.airtable_base_id,
            token=self.airtable_token,
            rate_limit_per_second=rate_limit,
            penalty_seconds=penalty_seconds,
            tables=self.fixture.get("airtable", {}).get("tables", []),
        )
        self.airtable.register(self.router)

    # --- serving ---------------------------------------------------------------------------

    def dispatch(self, request: Request) -> tuple[Response, LostReply | None]:
        """Serve one request: the response, and how it is to be lost (an ambiguous write)."""
        matched = self.router.match(request.method, request.path)
        if matched is None:
            with self.lock:
                self.requests.add(LoggedRequest(request.method, request.path, "unmatched", 404))
            return _not_found(request), None
        route, request.params = matched
        entry = LoggedRequest(request.method, request.path, route.name, None, _credential(request))
        with self.lock:
            self.requests.add(entry)
            delay = self.faults.delay_for(route)
            injected = self.faults.status_for(route)
        if delay:
            time.sleep(delay)
        if injected is not None:
            response, lost = fault_response(route, injected), None
        else:
            response, lost = self._handle(route, request)
        with self.lock:
            entry.status = 0 if lost else response.status
        return response, lost

    def _handle(self, route: Any, request: Request) -> tuple[Response, LostReply | None]:
        """Run the handler under the world lock; a handler's HttpError is its answer."""
        with self.lock:
            try:
                if route.api == "google":
                    self.oauth.authorize(request, route.name)
                response = self.gmail_quota.refusal(route.name) or route.handler(request)
            except HttpError as exc:
                response = exc.response
            except Exception:  # a sandbox bug: say so loudly, in the API's shape
                log.exception("sandbox.handler_failed", route=route.name)
                response = fault_response(route, 500)
            lost = self.faults.lost_reply(route) if response.status < 400 else None
        return response, lost


def _credential(request: Request) -> str:
    """The fingerprint of what a request authenticates with: its bearer token, or the refresh
    token it trades at POST /token."""
    secret = request.bearer
    if secret is None and request.path == "/token":
        form = parse_qs(request.body.decode("utf-8", "replace"))
        secret = next(iter(form.get("refresh_token", [])), None)
    return fingerprint(secret) if secret else ""


def _not_found(request: Request) -> Response:
    """What the real hosts answer for an unknown path."""
    if request.path.startswith("/v0/"):
        return airtable_error(404, "NOT_FOUND", "Could not find what you are looking for")
    return google_error(
        404,
        f"The requested URL {request.path} was not found on this server.",
        reason="notFound",
        grpc_status="NOT_FOUND",
    )


class _Server(ThreadingHTTPServer):
    """http.server's threading server, quiet about clients that hang up before their answer."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that dropped the connection (a timeout, a test) is expected: no traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("sandbox.client_disconnected", error=type(sys.exc_info()[1]).__name__)
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    """Adapts http.server to `Sandbox.dispatch`."""

    sandbox: Sandbox
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY every response waits
    # on the client's delayed ACK (about 40 ms), which would swamp the latency we inject.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Serve any method the same way: `Sandbox.dispatch` routes by method and path."""
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.parse(self.command, self.path, dict(self.headers.items()), body)
        response, lost = self.sandbox.dispatch(request)
        if lost == "drop":
            self._drop_connection()
            return
        payload = response.encode()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **response.headers}
        if isinstance(response.body, bytes) and "Content-Type" not in response.headers:
            headers["Content-Type"] = "application/octet-stream"
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if lost == "cut":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self._drop_connection()
        elif payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _drop_connection(self) -> None:
        """Close the socket before any response byte, as a dropped connection looks to a client."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's stderr log; the request log records everything."""
