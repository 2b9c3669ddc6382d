"""GoogleClient: one entry point for Calendar, Contacts, Gmail and Tasks with one policy.

google-api-python-client's service objects (and their transport) are not thread-safe, so
each thread gets its own, built from the bundled discovery documents (no discovery request)
and pointed at `endpoint` when given (the sandbox or another stand-in; paths as Google's).
The credentials are shared: a token refresh happens once for all threads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from googleapiclient.discovery import build

from connectors.google.auth import CredentialsKeeper, CredentialStore
from connectors.google.calendar import CalendarClient
from connectors.google.contacts import ContactsClient
from connectors.google.gmail import GmailClient
from connectors.google.tasks import TasksClient
from connectors.google.transport import Transport
from connectors.policy import RetryPolicy

# The part of each API's base URL after the host (its discovery document's servicePath): an
# `api_endpoint` replaces rootUrl + servicePath, so one base URL needs it appended.
SERVICE_PATHS = {"calendar": "calendar/v3/", "people": "", "gmail": "", "tasks": ""}
VERSIONS = {"calendar": "v3", "people": "v1", "gmail": "v1", "tasks": "v1"}


class GoogleClient:
    """The four Google APIs Followthrough uses, as `.calendar`, `.contacts`, `.gmail`, `.tasks`."""

    def __init__(
        self,
        credentials: Path | CredentialsKeeper,
        endpoint: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.endpoint = endpoint
        self.credentials = CredentialStore(credentials, timeout=self.policy.timeout)
        self._local = threading.local()
        self.calendar = CalendarClient(lambda: self.service("calendar"), self.policy)
        self.contacts = ContactsClient(lambda: self.service("people"), self.policy)
        self.gmail = GmailClient(lambda: self.service("gmail"), self.policy)
        self.tasks = TasksClient(lambda: self.service("tasks"), self.policy)

    def allows(self, scope: str) -> bool:
        """True when the user granted `scope` (a file that records no scopes predates the
        choice: everything Followthrough asks for was granted then)."""
        granted = self.credentials.scopes
        return not granted or scope in granted

    def service(self, api: str) -> Any:
        """This thread's service object for `api` (calendar, people, gmail or tasks)."""
        if not hasattr(self._local, "services"):
            self._local.services = {}
        services: dict[str, Any] = self._local.services
        if api not in services:
            services[api] = build(
                api,
                VERSIONS[api],
                http=self._transport(),
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": self._api_endpoint(api)} if self.endpoint else None,
            )
        return services[api]

    def _transport(self) -> Transport:
        if not hasattr(self._local, "transport"):
            self._local.transport = Transport(timeout=self.policy.timeout, tokens=self.credentials)
        return self._local.transport  # type: ignore[no-any-return]

    def _api_endpoint(self, api: str) -> str:
        return f"{str(self.endpoint).rstrip('/')}/{SERVICE_PATHS[api]}"
