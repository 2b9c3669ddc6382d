"""The sandbox's tenants (connectors.sandbox.tenants): adding them, finding whose a request
is, and the control methods that read across them.

Whose a request is: a Google route's bearer names the user it was issued to; an Airtable
route's bearer names the base's token (the base in the path must then be that token's, or
403); the token endpoint's refresh token or code names its user; the consent screen's
`login_hint` names a user (the default tenant without one). Anything unknown goes to the
default tenant, which refuses it as the real services do (401, invalid_grant).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from connectors.sandbox.fixture import load_fixture
from connectors.sandbox.http import Request, Response, Route
from connectors.sandbox.oauth import OAuthServer, token_form
from connectors.sandbox.tenants import DEFAULT_TENANT, Tenant, tenant_identity, tenant_oauth

TENANCY_READS = frozenset({"tenant_names", "draft_counts", "status_counts", "requests_by_tenant"})
TENANCY_WRITES = frozenset({"add_tenants", "tenant_info"})


class Tenancy:
    """Tenants of one sandbox (mixed into `Sandbox`, which builds the default tenant)."""

    lock: threading.RLock
    requests: Any
    default_tenant: Tenant

    def _start_tenancy(self, default: Tenant) -> None:
        self.default_tenant = default
        self.tenants: dict[str, Tenant] = {default.name: default}
        self._google_owners: dict[str, Tenant] = {}
        self._airtable_owners: dict[str, Tenant] = {}

    # --- adding and reading tenants ----------------------------------------------------------

    def add_tenant(self, fixture: dict[str, Any] | None = None, name: str | None = None) -> Tenant:
        """A new tenant serving `fixture`'s Google and Airtable parts ({"google": {"user",
        "calendars", "contacts", "tasklists"}, "airtable": {"token", "base_id", "tables"}});
        its user email, token and base id are made up when the fixture names none."""
        fixture = load_fixture(fixture or {})
        with self.lock:
            name = name or f"tenant{len(self.tenants):04d}"
            identity = tenant_identity(fixture, name)
            self._check_unique(name, identity)
            tenant = Tenant(
                name, fixture, self, oauth=tenant_oauth(self.default_tenant.oauth), **identity
            )
            tenant.serve_apart()
            self.tenants[name] = tenant
            return tenant

    def _check_unique(self, name: str, identity: dict[str, str]) -> None:
        for other in self.tenants.values():
            taken = {
                "name": (other.name, name),
                "user email": (other.user_email, identity["user_email"]),
                "Airtable token": (other.airtable_token, identity["airtable_token"]),
                "Airtable base id": (other.airtable_base_id, identity["airtable_base_id"]),
            }
            for what, (theirs, ours) in taken.items():
                if theirs == ours:
                    raise ValueError(
                        f"tenant {other.name} already has the {what} {ours!r}; choose another"
                    )

    def add_tenants(
        self, fixtures: list[dict[str, Any]], names: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Add a tenant per fixture (named by `names` when given); what each one's client needs
        (`Tenant.info`: name, user_email, google_credentials, airtable_token, airtable_base_id)."""
        names = names or [None] * len(fixtures)  # type: ignore[list-item]
        return [self.add_tenant(f, n).info() for f, n in zip(fixtures, names, strict=True)]

    def tenant(self, name: str) -> Tenant:
        """The tenant with this name ("default": the sandbox's own world)."""
        found = self.tenants.get(name)
        if found is None:
            raise KeyError(f"no sandbox tenant {name!r}; add it with add_tenant first")
        return found

    def tenant_info(self, name: str) -> dict[str, Any]:
        """A tenant's connection info, with a fresh Google access token."""
        return self.tenant(name).info()

    def tenant_names(self) -> list[str]:
        """Every tenant's name, the default first."""
        with self.lock:
            return list(self.tenants)

    def draft_counts(self) -> dict[str, int]:
        """Drafts in each tenant's Gmail (sent ones included), by tenant name."""
        with self.lock:
            return {name: len(t.gmail_api.drafts) for name, t in self.tenants.items()}

    def status_counts(self) -> dict[str, int]:
        """Google and Airtable requests answered per status (e.g. {"200": 9, "429": 1}), every
        tenant's together; "0": dropped, "None": still in flight."""
        with self.lock:
            counts = Counter(
                str(e.status) for e in self.requests.entries if e.route.split(".")[0] != "control"
            )
        return dict(counts)

    def requests_by_tenant(self, route: str | None = None) -> dict[str, int]:
        """Google and Airtable requests served per tenant (of one route name, when given)."""
        with self.lock:
            counts = Counter(
                e.tenant
                for e in self.requests.entries
                if e.route.split(".")[0] != "control" and route in (None, e.route)
            )
        return dict(counts)

    # --- whose a request is --------------------------------------------------------------------

    def owner(self, route: Route, request: Request) -> Tenant:
        """The tenant a Google or Airtable request acts for (the caller holds the lock)."""
        if len(self.tenants) == 1 or route.api not in ("google", "airtable"):
            return self.default_tenant
        bearer = request.bearer
        if bearer is None:
            return self.default_tenant
        if route.api == "google":
            return self._find(self._google_owners, bearer, lambda t: t.owns_google_token(bearer))
        return self._find(self._airtable_owners, bearer, lambda t: t.airtable_token == bearer)

    def _find(self, known: dict[str, Tenant], key: str, owns: Any) -> Tenant:
        tenant = known.get(key)
        if tenant is not None and owns(tenant):
            return tenant
        tenant = next((t for t in self.tenants.values() if owns(t)), None)
        if tenant is None:
            return self.default_tenant
        known[key] = tenant
        return tenant

    def _oauth_owner(self, request: Request) -> OAuthServer:
        """The user a token request or a consent is for."""
        if request.path.endswith("/token"):
            form = token_form(request)
            code, refresh = form.get("code", ""), form.get("refresh_token", "")
            owns = (lambda t: code in t.oauth.codes) if code else (lambda t: t.owns_grant(refresh))
        else:
            hint = (request.arg("login_hint") or "").lower()
            owns = lambda t: bool(hint) and t.user_email.lower() == hint  # noqa: E731
        with self.lock:
            tenant = next((t for t in self.tenants.values() if owns(t)), self.default_tenant)
        return tenant.oauth

    def token_endpoint(self, request: Request) -> Response:
        """POST /token for whichever user the grant belongs to."""
        return self._oauth_owner(request).token_endpoint(request)

    def consent_screen(self, request: Request) -> Response:
        """The consent screen of the user `login_hint` names (the default tenant without one)."""
        return self._oauth_owner(request).consent_screen(request)


__all__ = ["DEFAULT_TENANT", "TENANCY_READS", "TENANCY_WRITES", "Tenancy", "Tenant"]
