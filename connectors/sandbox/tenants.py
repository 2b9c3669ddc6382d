"""Tenants: many Google users and Airtable bases served by one sandbox process.

A tenant is one user's world: a Google user with its own refresh token and access tokens (a
bearer token selects that user's calendars, contacts, Gmail and Tasks, as a real Google token
is one user's) and an Airtable base with its own personal access token (a token used on
another tenant's base is refused 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND, as Airtable
refuses a base the token cannot reach). Each tenant has its own Gmail quota and its own
per-base rate limit; its calendar pushes and webhook pings carry its own channels and hooks.

    tenant = sandbox.add_tenant({"google": {...}, "airtable": {...}}, name="t0001")
    tenant.google_credentials(), tenant.airtable_token, tenant.airtable_base_id
    tenant.add_event(...), tenant.drafts(), tenant.airtable.records("Contacts")

Every control method of the sandbox (`connectors.sandbox.control`) is a method of a tenant,
acting on that tenant's world; over HTTP, `POST /_sandbox/tenants/<name>/<method>` and
`/_sandbox/tenants/<name>/airtable/<method>`. The sandbox's own world is its default tenant
("default"). Shared by every tenant: the OAuth client (one app, many users), faults and
latency (by route name), the request log (`request_counts` and `requests_log` of a tenant
count its own requests only), the push outbox and the chat model.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from connectors.google.auth import SCOPES
from connectors.sandbox.airtable import AirtableSandbox
from connectors.sandbox.calendar import CalendarApi
from connectors.sandbox.control import SandboxControl
from connectors.sandbox.gmail import GmailApi
from connectors.sandbox.gmail_quota import GmailQuota
from connectors.sandbox.http import Handler, Route, Router
from connectors.sandbox.oauth import OAuthServer
from connectors.sandbox.people import PeopleApi
from connectors.sandbox.tasks import TasksApi

DEFAULT_TENANT = "default"


class Tenant(SandboxControl):
    """One Google user's data and one Airtable base, with their own credentials."""

    def __init__(
        self,
        name: str,
        fixture: dict[str, Any],
        host: Any,
        *,
        oauth: OAuthServer,
        user_email: str,
        airtable_token: str,
        airtable_base_id: str,
    ) -> None:
        self.name, self.user_email, self._host = name, user_email, host
        self.lock, self.faults, self.requests = host.lock, host.faults, host.requests
        self.outbox, self.chat_api = host.outbox, host.chat_api
        self.log_scope = name
        self.oauth = oauth
        self.gmail_quota = GmailQuota()  # Gmail's 250 units a second per user
        google = fixture.get("google", {})
        self.calendar_api = CalendarApi(
            google.get("calendars", {}), user_email=user_email, outbox=host.outbox, now=host.now
        )
        self.people_api = PeopleApi(google.get("contacts", []))
        self.gmail_api = GmailApi(user_email=user_email)
        self.tasks_api = TasksApi(google.get("tasklists", []))
        self.airtable = AirtableSandbox(
            base_id=airtable_base_id,
            token=airtable_token,
            rate_limit_per_second=host.airtable_rate_limit,
            penalty_seconds=host.airtable_penalty_seconds,
            tables=fixture.get("airtable", {}).get("tables", []),
            pings=host.pings,
        )
        self.handlers: dict[tuple[str, str], Handler] = {}

    def register(self, router: Router) -> None:
        """Add the Google and Airtable routes, served by this tenant's parts."""
        for part in (self.calendar_api, self.people_api, self.gmail_api, self.tasks_api):
            part.register(router)
        self.airtable.register(router)

    def serve_apart(self) -> None:
        """Keep this tenant's handlers by route (the host's router matches, for every tenant)."""
        router = Router()
        self.register(router)
        self.handlers = {_key(route): route.handler for route in router.routes}

    def handler(self, route: Route) -> Handler:
        """This tenant's handler for a route the host's router matched."""
        return self.handlers.get(_key(route), route.handler)

    @property
    def url(self) -> str:
        """The sandbox's base URL (every tenant is served on it)."""
        return str(self._host.url)

    @property
    def airtable_token(self) -> str:
        """The personal access token of this tenant's base."""
        return str(self.airtable.token)

    @property
    def airtable_base_id(self) -> str:
        """The id of this tenant's base."""
        return str(self.airtable.base_id)

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
            "token_uri": f"{self._host.url}/token",
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "scopes": list(granted),
            "expiry": dt.datetime.fromtimestamp(expiry, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def info(self) -> dict[str, Any]:
        """What a client needs to act as this tenant (fresh Google credentials included)."""
        return {
            "name": self.name,
            "user_email": self.user_email,
            "google_credentials": self.google_credentials(),
            "airtable_token": self.airtable_token,
            "airtable_base_id": self.airtable_base_id,
        }

    def owns_google_token(self, token: str) -> bool:
        """Whether this tenant's user was issued `token` (an access token)."""
        return token in self.oauth.tokens

    def owns_grant(self, refresh_token: str) -> bool:
        """Whether `refresh_token` is one of this user's grants."""
        return refresh_token == self.oauth.refresh_token or refresh_token in self.oauth.grants


def _key(route: Route) -> tuple[str, str]:
    return route.method, route.pattern.pattern


def tenant_identity(fixture: dict[str, Any], name: str) -> dict[str, str]:
    """A new tenant's user email, Airtable token and base id: the fixture's, or made up."""
    google_user = fixture.get("google", {}).get("user", {})
    airtable = fixture.get("airtable", {})
    return {
        "user_email": str(google_user.get("email") or f"{name}@example.com"),
        "airtable_token": str(
            airtable.get("token") or f"patTenant{secrets.token_hex(7)}.{secrets.token_hex(32)}"
        ),
        "airtable_base_id": str(airtable.get("base_id") or f"app{secrets.token_hex(7)}"),
    }


def tenant_oauth(default: OAuthServer) -> OAuthServer:
    """A new user's OAuth state: the app's one client, the user's own refresh token."""
    return OAuthServer(
        client_id=default.client_id,
        client_secret=default.client_secret,
        refresh_token="1//sandbox-" + secrets.token_urlsafe(24),
        lifetime=default.lifetime,
    )
