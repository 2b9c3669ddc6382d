"""GoogleClient: one entry point for Calendar, Contacts, Gmail and Tasks with one policy.

Each API's service object is built once per process and endpoint, on first use, from its
bundled discovery document (no discovery request) and pointed at `endpoint` when given (the
sandbox or another stand-in; paths as Google's). Building one, and each sub-resource
(`service.events()`, whose methods get docstrings rendered from the schemas), costs about
30 ms of CPU and 0.7 MiB per API: a deployment serving a thousand accounts would spend minutes
and gigabytes building the same objects again for each, so every account's client shares
them (sub-resources are built once too). A client sees the shared objects through its own
view (`_Bound`): every request made through it goes out over the client's transport, which
carries the account's credentials; the shared objects themselves have no transport, so a
request that escaped the view would fail rather than go out as somebody. What is not
thread-safe, the transport, serves one request at a time (`_TransportPool`). A client's
credentials are shared by its threads: a token refresh happens once for all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from connectors.google.auth import CredentialsKeeper, CredentialStore
from connectors.google.calendar import CalendarClient
from connectors.google.contacts import ContactsClient
from connectors.google.gmail import GmailClient
from connectors.google.quota import Quota
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
        self._http = _TransportPool(
            lambda: Transport(timeout=self.policy.timeout, tokens=self.credentials)
        )
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.calendar = CalendarClient(lambda: self.service("calendar"), self.policy)
        self.contacts = ContactsClient(lambda: self.service("people"), self.policy)
        self.gmail = GmailClient(lambda: self.service("gmail"), self.policy, Quota())
        self.tasks = TasksClient(lambda: self.service("tasks"), self.policy)

    def allows(self, scope: str) -> bool:
        """True when the user granted `scope` (a file that records no scopes predates the
        choice: everything Followthrough asks for was granted then)."""
        granted = self.credentials.scopes
        return not granted or scope in granted

    def service(self, api: str) -> Any:
        """This account's view of the service object for `api` (calendar, people, gmail or
        tasks), the process's shared one built on first use."""
        with self._lock:
            if api not in self._services:
                self._services[api] = _Bound(shared_service(api, self.endpoint), self._http)
            return self._services[api]


_SHARED: dict[tuple[str, str | None], Any] = {}
_SHARED_LOCK = threading.Lock()


def shared_service(api: str, endpoint: str | None) -> Any:
    """The process's one service object for `api` at `endpoint`, without a transport."""
    with _SHARED_LOCK:
        if (api, endpoint) not in _SHARED:
            _SHARED[api, endpoint] = _build(api, endpoint)
        return _SHARED[api, endpoint]


def _build(api: str, endpoint: str | None) -> Any:
    from googleapiclient import discovery, discovery_cache

    document = json.loads(discovery_cache.get_static_doc(api, VERSIONS[api]))
    options = {"api_endpoint": _api_endpoint(api, endpoint)} if endpoint else None
    service = discovery.build_from_document(document, http=_NoTransport(), client_options=options)
    return _reusing_resources(service, document)


def _api_endpoint(api: str, endpoint: str) -> str:
    return f"{endpoint.rstrip('/')}/{SERVICE_PATHS[api]}"


class _NoTransport:
    """The shared service objects' `http`: a request must name its account's transport."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: this request was not made through an account's view (`_Bound`)."""
        raise RuntimeError("a Google request was made without an account's transport")


class _Bound:
    """One account's view of a shared resource: a method call's request gets the account's
    transport, a sub-resource is viewed the same way."""

    def __init__(self, shared: Any, http: Any) -> None:
        self._shared, self._http = shared, http

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._shared, name)
        if not callable(member):
            return member

        def call(*args: Any, **kwargs: Any) -> Any:
            from googleapiclient.http import HttpRequest  # loaded with the service already

            made = member(*args, **kwargs)
            if isinstance(made, HttpRequest):
                made.http = self._http
                return made
            return _Bound(made, self._http)

        return call


class _TransportPool:
    """The `http` object of the shared service objects: each request borrows an idle Transport
    (a requests session is used by one thread at a time) and gives it back, so that its open
    connection serves the next request, whichever thread sends it."""

    def __init__(self, make: Callable[[], Transport]) -> None:
        self._make = make
        self._idle: list[Transport] = []
        self._lock = threading.Lock()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Send through an idle transport (see `Transport.request`)."""
        with self._lock:
            transport = self._idle.pop() if self._idle else None
        transport = transport or self._make()
        try:
            return transport.request(*args, **kwargs)
        finally:
            with self._lock:
                self._idle.append(transport)


class _BuiltOnce:
    """A sub-resource accessor (`service.events`) that builds its resource on the first call."""

    def __init__(self, build: Callable[[], Any], description: Mapping[str, Any]) -> None:
        self._build, self._description = build, description
        self._built: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._built is None:
                self._built = _reusing_resources(self._build(), self._description)
            return self._built


def _reusing_resources(resource: Any, description: Mapping[str, Any]) -> Any:
    """`resource` with each of its sub-resources (per its discovery description) built once."""
    for name, child in description.get("resources", {}).items():
        setattr(resource, name, _BuiltOnce(getattr(resource, name), child))
    return resource
