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

from connectors.sandbox.airtable_webhooks import PingSender
from connectors.sandbox.chat import ChatApi
from connectors.sandbox.control import SandboxControl
from connectors.sandbox.control_http import register_control
from connectors.sandbox.faults import Faults, LostReply, fault_response
from connectors.sandbox.fixture import fixture_now, load_fixture
from connectors.sandbox.http import (
    HttpError,
    Request,
    Response,
    Route,
    Router,
    airtable_error,
    fingerprint,
    google_error,
)
from connectors.sandbox.oauth import OAuthServer
from connectors.sandbox.push import Outbox
from connectors.sandbox.tenancy import TENANCY_READS, TENANCY_WRITES, Tenancy
from connectors.sandbox.tenants import DEFAULT_TENANT, Tenant

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
    tenant: str = DEFAULT_TENANT  # whose request it was


@dataclass
class RequestLog:
    """Every request the sandbox served, with counts per route name."""

    entries: list[LoggedRequest] = field(default_factory=list)

    def add(self, entry: LoggedRequest) -> None:
        """Record one request."""
        self.entries.append(entry)

    def counts(self, tenant: str | None = None) -> dict[str, int]:
        """Requests per route name (e.g. {"calendar.events.list": 3}): every tenant's, or one's."""
        return dict(
            Counter(
                e.route
                for e in self.entries
                if not e.route.startswith("control.") and tenant in (None, e.tenant)
            )
        )

    def clear(self) -> None:
        """Forget every request so far."""
        self.entries.clear()


class Sandbox(SandboxControl, Tenancy):
    """A running stand-in for Google (Calendar, People, Gmail, Tasks, OAuth) and Airtable.

    Its own world is its default tenant's; `add_tenant` adds more (connectors.sandbox.tenants).
    """

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
        self.airtable_rate_limit = airtable_rate_limit
        self.airtable_penalty_seconds = airtable_penalty_seconds
        self.faults = Faults()
        self.requests = RequestLog()
        self.outbox = Outbox()
        self.pings = PingSender(lambda: dt.datetime.now(dt.UTC))
        self.router = Router()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        collecting = gc.isenabled()
        gc.disable()  # loading a large fixture makes millions of objects; GC passes only slow it
        try:
            self._load(fixture, latency)
        finally:
            if collecting:
                gc.enable()
        self.router.add(
            "GET", "/o/oauth2/auth", self.consent_screen, name="oauth.auth", api="oauth"
        )
        self.router.add("POST", "/token", self.token_endpoint, name="oauth.token", api="oauth")
        register_control(
            self.router,
            self,
            tenant=lambda request: self.tenant(request.params["tenant"]),
            reads=TENANCY_READS,
            writes=TENANCY_WRITES,
        )

    def _load(self, fixture: Any, latency: float) -> None:
        """Build the world (the default tenant) from the fixture."""
        self.fixture = load_fixture(fixture)
        self.now = fixture_now(self.fixture) or dt.datetime.now(dt.UTC)
        if latency:
            self.faults.latency["*"] = latency
        self.chat_api = ChatApi(self.fixture.get("chat", {}).get("api_key"))
        airtable = self.fixture.get("airtable", {})
        user = self.fixture.get("google", {}).get("user", {})
        default = Tenant(
            DEFAULT_TENANT,
            self.fixture,
            self,
            oauth=OAuthServer(),
            user_email=user.get("email", "me@example.com"),
            airtable_token=str(airtable.get("token", DEFAULT_AIRTABLE_TOKEN)),
            airtable_base_id=str(airtable.get("base_id", DEFAULT_AIRTABLE_BASE)),
        )
        default.register(self.router)
        self.chat_api.register(self.router)
        self._start_tenancy(default)
        self.user_email = default.user_email
        self.oauth, self.gmail_quota = default.oauth, default.gmail_quota
        self.calendar_api, self.people_api = default.calendar_api, default.people_api
        self.gmail_api, self.tasks_api = default.gmail_api, default.tasks_api
        self.airtable = default.airtable

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
        """The default tenant's authorized-user credentials (see `Tenant.google_credentials`)."""
        return self.default_tenant.google_credentials(scopes)

    def google_client_secrets(self) -> dict[str, Any]:
        """The OAuth client JSON (Desktop app) for `followthrough auth google --client-secrets`."""
        return self.oauth.client_secrets(self.url)

    @property
    def airtable_token(self) -> str:
        """The personal access token the default tenant's base accepts."""
        return self.default_tenant.airtable_token

    @property
    def airtable_base_id(self) -> str:
        """The id of the default tenant's Airtable base."""
        return self.default_tenant.airtable_base_id

    # --- serving ---------------------------------------------------------------------------

    def dispatch(self, request: Request) -> tuple[Response, LostReply | None]:
        """Serve one request: the response, and how it is to be lost (an ambiguous write)."""
        matched = self.router.match(request.method, request.path)
        if matched is None:
            with self.lock:
                self.requests.add(LoggedRequest(request.method, request.path, "unmatched", 404))
            return _not_found(request), None
        route, request.params = matched
        credential = _credential(request)
        with self.lock:
            tenant = self.owner(route, request)
            entry = LoggedRequest(
                request.method, request.path, route.name, None, credential, tenant.name
            )
            self.requests.add(entry)
            delay = self.faults.delay_for(route)
            injected = self.faults.status_for(route)
        if delay:
            time.sleep(delay)
        if injected is not None:
            response, lost = fault_response(route, injected), None
        else:
            response, lost = self._handle(route, request, tenant)
        with self.lock:
            entry.status = 0 if lost else response.status
        return response, lost

    def _handle(
        self, route: Route, request: Request, tenant: Tenant
    ) -> tuple[Response, LostReply | None]:
        """Run the tenant's handler under the world lock; a handler's HttpError is its answer."""
        with self.lock:
            try:
                if route.api == "google":
                    tenant.oauth.authorize(request, route.name)
                response = tenant.gmail_quota.refusal(route.name) or tenant.handler(route)(request)
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
