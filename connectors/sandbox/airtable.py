"""The sandbox's Airtable: one base served at Airtable's REST paths, with control methods.

Served (with a personal access token checked as a bearer token):
- records: list (GET, and POST .../listRecords) with pageSize (max 100), offset, maxRecords,
  filterByFormula (see airtable_formula), fields[], sort, view; get; create, update (PATCH and
  PUT) and upsert (performUpsert.fieldsToMergeOn, on number, text, long text, select and date
  fields only, as Airtable allows) in batches of at most 10; delete;
- metadata: whoami, list bases (just this one), list tables, create table, create field;
- webhooks: create, list, refresh, enable notifications, delete, list payloads; pings to the
  notification URL signed as Airtable signs them (see airtable_webhooks);
- the per-base rate limit: over `rate_limit_per_second`, 429 and then a penalty window of
  `penalty_seconds` in which every request gets 429 (see airtable_ratelimit).

Control methods (also reachable as POST /_sandbox/airtable/<method> with keyword arguments):
records, create_record, update_record, delete_record (as the user in Airtable's app: they
fire webhooks with source `client`), table_id, field_id, set_rate_limit, set_permission_level,
set_token_scopes, expire_list_offsets, expire_webhooks, delete_lapsed_webhooks,
expire_webhook_payloads, snapshot. A write through the REST API, Followthrough's or the user's
own script's with the same token, is recorded with source `publicApi` and the token's user, as
Airtable records it: the author does not tell whose tool wrote it.

Known differences from the real Airtable (the subset Followthrough needs):
- formulas: only the functions listed in airtable_formula; anything else fails with 422;
- a link field gets no inverse field in the linked table; the only view is "Grid view";
  cellFormat other than json is refused; timeZone and userLocale are ignored;
- of schema changes, only new tables and new fields produce webhook payloads;
- where Airtable's error type is undocumented (a batch over 10, an upsert matching several
  records, an upsert merging on a field of a type it cannot merge on, a bad pageSize, an 11th
  webhook, refreshing an expired webhook) the type is a close guess (INVALID_VALUE_FOR_COLUMN
  for the merge field); the status (422) is Airtable's;
- the 429 body is {"error": {"type": "RATE_LIMIT_REACHED", ...}} and carries no Retry-After;
- a token's scopes are checked per route (a request outside them: 403
  INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND) and whoami lists them;
- permission levels are only "create" (Base creator) and "edit" (Editor); an Editor creating a
  table, field or webhook gets 403 INVALID_PERMISSIONS (Airtable's message for it is a guess);
- webhooks lapse 7 days (wall clock) after creation, refresh or payload listing, or at once
  with `expire_webhooks()`: disabled (`isHookEnabled` false), they record no payloads and send
  no pings, their refresh is refused (422; Airtable's error type for it is undocumented) and
  their payloads stay readable; `delete_lapsed_webhooks()` deletes them (404 after), as
  Airtable does at a time it does not document; pings go once per change (and once on
  creation), never retried.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import structlog

from connectors.sandbox.airtable_base import AirtableBase, Transaction
from connectors.sandbox.airtable_control import AirtableControls
from connectors.sandbox.airtable_ratelimit import RateLimiter
from connectors.sandbox.airtable_records import RecordsApi, body_of, not_found, object_body
from connectors.sandbox.airtable_schema import CellError, Table
from connectors.sandbox.airtable_webhooks import (
    MAX_PAYLOADS_PER_PAGE,
    USER,
    PingSender,
    Webhook,
    WebhookRegistry,
)
from connectors.sandbox.http import Handler, HttpError, Request, Response, Router, airtable_error

log = structlog.get_logger(__name__)

Outcome = Response | tuple[Response, Transaction]


class AirtableSandbox(AirtableControls):
    """One Airtable base: HTTP routes for a `Router`, and control methods acting as the user."""

    def __init__(
        self,
        *,
        base_id: str,
        token: str,
        rate_limit_per_second: float = 5.0,
        penalty_seconds: float = 30.0,
        tables: list[dict[str, Any]] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        pings: PingSender | None = None,
    ) -> None:
        self.base_id = base_id
        self.token = token
        self.base = AirtableBase(base_id, tables)
        self.records_api = RecordsApi(self.base)
        self.webhooks = WebhookRegistry(
            self.base, clock or (lambda: dt.datetime.now(dt.UTC)), pings
        )
        self.limiter = RateLimiter(rate_limit_per_second, penalty_seconds)
        self.lock = threading.RLock()
        self.permission_level = "create"  # the token's user is the base's creator
        self.token_scopes = set(TOKEN_SCOPES)

    # --- HTTP -----------------------------------------------------------------------------

    def register(self, router: Router) -> None:
        """Add Airtable's routes (webhooks before records: a record path would match them)."""
        meta, hooks = "/v0/meta/bases/{baseId}/tables", "/v0/bases/{baseId}/webhooks"
        records = "/v0/{baseId}/{tableIdOrName}"
        hook, record, api = hooks + "/{webhookId}", records + "/{recordId}", self.records_api
        reads: list[tuple[str, str, Callable[[Request], Outcome], str]] = [
            ("GET", "/v0/meta/whoami", self._whoami, "meta.whoami"),
            ("GET", "/v0/meta/bases", self._list_bases, "meta.bases.list"),
            ("GET", meta, self._list_tables, "meta.tables.list"),
            ("GET", hooks, self._list_webhooks, "webhooks.list"),
            ("GET", hook + "/payloads", self._list_payloads, "webhooks.payloads"),
            ("POST", records + "/listRecords", self._on_table(api.list_post), "records.list"),
            ("GET", records, self._on_table(api.list_get), "records.list"),
            ("GET", record, self._on_record(api.get), "records.get"),
        ]
        writes: list[tuple[str, str, Callable[[Request], Outcome], str]] = [
            ("POST", meta, self._create_table, "meta.tables.create"),
            ("POST", meta + "/{tableId}/fields", self._create_field, "meta.fields.create"),
            ("POST", hooks, self._create_webhook, "webhooks.create"),
            ("DELETE", hook, self._delete_webhook, "webhooks.delete"),
            ("POST", hook + "/refresh", self._refresh_webhook, "webhooks.refresh"),
            ("POST", hook + "/enableNotifications", self._enable_webhook, "webhooks.enable"),
            ("POST", records, self._on_table(api.create), "records.create"),
            ("PATCH", records, self._on_table(api.update_many), "records.update"),
            ("PUT", records, self._on_table(api.update_many), "records.update"),
            ("DELETE", records, self._on_table(api.delete_many), "records.delete"),
            ("PATCH", record, self._on_record(api.update_one), "records.update"),
            ("PUT", record, self._on_record(api.update_one), "records.update"),
            ("DELETE", record, self._on_record(self._delete_one), "records.delete"),
        ]
        for routes, write in ((reads, False), (writes, True)):
            for method, path, handler, name in routes:
                router.add(
                    method,
                    path,
                    self._guard(handler, _scope_for(name)),
                    name=f"airtable.{name}",
                    api="airtable",
                    write=write,
                )

    def _guard(self, handler: Callable[[Request], Outcome], scope: str | None) -> Handler:
        """Check the token (and its scope), the base and the rate limit; turn refusals into
        Airtable's errors."""

        def guarded(request: Request) -> Response:
            if request.bearer != self.token:
                return airtable_error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
            if scope is not None and scope not in self.token_scopes:
                return _forbidden()
            per_base = "baseId" in request.params
            if per_base and request.params["baseId"] != self.base_id:
                return _forbidden()
            with self.lock:
                if per_base and not self.limiter.admit():
                    log.info("sandbox.airtable.rate_limited", base_id=self.base_id)
                    return airtable_error(
                        429, "RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later"
                    )
                try:
                    outcome = handler(request)
                except CellError as exc:
                    self._publish(None, "publicApi")
                    return airtable_error(422, exc.error_type, str(exc))
                except HttpError as exc:
                    self._publish(None, "publicApi")
                    return exc.response
                if isinstance(outcome, tuple):
                    response, txn = outcome
                    self._publish(txn, "publicApi")
                    return response
                return outcome

        return guarded

    def _publish(self, txn: Transaction | None, source: str) -> None:
        """Report a write (and what typecast made on the side) to the webhooks."""
        combined = self.base.take_side_effects()
        if txn is not None:
            combined.absorb(txn)
        self.webhooks.record(combined, source)

    def _table(self, request: Request) -> Table:
        table = self.base.table(
            request.params.get("tableIdOrName") or request.params.get("tableId", "")
        )
        if table is None:
            raise HttpError(_forbidden())
        return table

    def _on_table(
        self, handler: Callable[[Table, Request], Outcome]
    ) -> Callable[[Request], Outcome]:
        return lambda request: handler(self._table(request), request)

    def _on_record(
        self, handler: Callable[[Table, str, Request], Outcome]
    ) -> Callable[[Request], Outcome]:
        return lambda request: handler(self._table(request), request.params["recordId"], request)

    def _delete_one(self, table: Table, record_id: str, request: Request) -> Outcome:
        return self.records_api.delete_one(table, record_id)

    def _whoami(self, request: Request) -> Outcome:
        scopes = sorted(self.token_scopes)
        return Response(200, {"id": USER["id"], "email": USER["email"], "scopes": scopes})

    def _list_bases(self, request: Request) -> Outcome:
        base = {
            "id": self.base_id,
            "name": "Followthrough sandbox",
            "permissionLevel": self.permission_level,
        }
        return Response(200, {"bases": [base]})

    def _list_tables(self, request: Request) -> Outcome:
        return Response(200, {"tables": [t.to_api() for t in self.base.tables]})

    def _needs_creator(self) -> None:
        """Tables, fields and webhooks are the Base creator's to make, as on Airtable."""
        if self.permission_level != "create":
            raise HttpError(
                airtable_error(
                    403,
                    "INVALID_PERMISSIONS",
                    "You are not permitted to perform this operation because you do not have "
                    "the required permission level (creator) on this base",
                )
            )

    def _create_table(self, request: Request) -> Outcome:
        self._needs_creator()
        table = self.base.create_table(object_body(request))
        txn = Transaction()
        txn.created_tables[table.id] = {
            "metadata": {"name": table.name, "description": table.description},
            "fieldsById": {f.id: {"name": f.name, "type": f.type} for f in table.fields},
        }
        return Response(200, table.to_api()), txn

    def _create_field(self, request: Request) -> Outcome:
        self._needs_creator()
        table = self._table(request)
        created = self.base.add_field(table, body_of(request), strict=True)
        txn = Transaction()
        txn.created_fields[table.id] = {created.id: {"name": created.name, "type": created.type}}
        return Response(200, created.to_api()), txn

    def _hook(self, request: Request) -> Webhook:
        hook = self.webhooks.get(request.params["webhookId"])
        if hook is None:
            raise not_found()
        return hook

    def _list_webhooks(self, request: Request) -> Outcome:
        return Response(200, {"webhooks": self.webhooks.listing()})

    def _create_webhook(self, request: Request) -> Outcome:
        self._needs_creator()
        return Response(200, self.webhooks.create(body_of(request)))

    def _delete_webhook(self, request: Request) -> Outcome:
        del self.webhooks.hooks[self._hook(request).id]
        return Response(200, {})

    def _refresh_webhook(self, request: Request) -> Outcome:
        return Response(200, self.webhooks.refresh(self._hook(request)))

    def _enable_webhook(self, request: Request) -> Outcome:
        hook = self._hook(request)
        enable = object_body(request).get("enable")
        if not isinstance(enable, bool):
            raise CellError("INVALID_REQUEST_UNKNOWN", "enable must be true or false")
        hook.notifications_enabled = enable
        return Response(200, {})

    def _list_payloads(self, request: Request) -> Outcome:
        hook = self._hook(request)
        try:
            cursor = int(request.arg("cursor", "1") or "1")
            limit = int(request.arg("limit", str(MAX_PAYLOADS_PER_PAGE)) or MAX_PAYLOADS_PER_PAGE)
        except ValueError as exc:
            raise CellError("INVALID_REQUEST_UNKNOWN", "cursor and limit must be integers") from exc
        if cursor < 1 or not 1 <= limit <= MAX_PAYLOADS_PER_PAGE:
            raise CellError(
                "INVALID_REQUEST_UNKNOWN",
                f"cursor must be >= 1 and limit 1 to {MAX_PAYLOADS_PER_PAGE}",
            )
        return Response(200, self.webhooks.payloads(hook, cursor, limit))

    def close(self) -> None:
        """Stop the webhook ping thread (after sending what is queued)."""
        self.webhooks.close()


TOKEN_SCOPES = (
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
    "schema.bases:write",
    "webhook:manage",
)
"""The personal access token scopes Followthrough needs (the sandbox's token has them all)."""


def _scope_for(route: str) -> str | None:
    """The token scope a route needs (None: whoami needs none)."""
    if route.startswith("webhooks."):
        return "webhook:manage"
    if route.startswith("records."):
        return (
            "data.records:read"
            if route in ("records.list", "records.get")
            else ("data.records:write")
        )
    if route in ("meta.tables.create", "meta.fields.create"):
        return "schema.bases:write"
    return None if route == "meta.whoami" else "schema.bases:read"


def _forbidden() -> Response:
    return airtable_error(
        403,
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
        "Invalid permissions, or the requested model was not found. Check that both your user and"
        " your token have the required permissions, and that the model names and/or ids are"
        " correct.",
    )
