"""Helpers for sandbox tests: real google-api-python-client services pointed at a sandbox."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from connectors.sandbox.server import Sandbox
from connectors.sandbox.tenants import Tenant

ENDPOINTS = {"calendar": "/calendar/v3/", "people": "/", "gmail": "/", "tasks": "/"}
VERSIONS = {"calendar": "v3", "people": "v1", "gmail": "v1", "tasks": "v1"}


def credentials(sandbox: Sandbox | Tenant) -> Credentials:
    """google-auth credentials for the sandbox (built directly: from_authorized_user_info
    ignores token_uri)."""
    info = sandbox.google_credentials()
    return Credentials(
        token=info["token"],
        refresh_token=info["refresh_token"],
        token_uri=info["token_uri"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=info["scopes"],
    )


def service(sandbox: Sandbox | Tenant, api: str, creds: Credentials | None = None) -> Any:
    """A real discovery-built client for `api` (calendar, people, gmail, tasks) on the sandbox."""
    http = AuthorizedHttp(creds or credentials(sandbox), http=httplib2.Http(timeout=10))
    return build(
        api,
        VERSIONS[api],
        http=http,
        static_discovery=True,
        client_options={"api_endpoint": sandbox.url + ENDPOINTS[api]},
    )


def call(
    sandbox: Sandbox | Tenant, method: str, path: str, body: Any = None, token: str | None = "valid"
) -> tuple[int, Any]:
    """A raw HTTP call: (status, parsed JSON body or None). token="valid" fetches a fresh one."""
    if token == "valid":
        token = sandbox.google_credentials()["token"]
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(sandbox.url + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


class Receiver:
    """A local HTTP endpoint recording the headers of every POST it receives (a subscriber)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                received.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.received = received
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
