"""The base's webhook as Followthrough's Airtable change feed, and the MAC check of its pings.

The webhook exists whether or not a public URL is configured: without one it has no
notification URL and its payloads are read from the stored cursor on each poll. One request
then says what changed anywhere in the base, deletions included. Payload cursors are integers
(Airtable's), kept by the caller as text like every other cursor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from connectors.airtable.client import AirtableClient, IdNames
from connectors.airtable.own_writes import changed_records, is_own, record_ids
from connectors.airtable.tables import SCHEMA
from connectors.errors import NotFound, ResyncRequired, SkipRecord
from connectors.records import AirtableChange

if TYPE_CHECKING:  # pyairtable's models load when a webhook or a payload of theirs is built
    from pyairtable.models.webhook import WebhookPayload

log = structlog.get_logger(__name__)

REFRESH_MARGIN = dt.timedelta(days=2)
"""Refresh a webhook this long before it expires (it lives 7 days from the last refresh)."""

PAYLOADS_PER_REQUEST = 50
"""The largest `limit` Airtable's list-payloads allows."""

WATCHED_TABLES = tuple(spec.name for spec in SCHEMA)
SPECIFICATION: dict[str, Any] = {"options": {"filters": {"dataTypes": ["tableData"]}}}
"""Every record change in the base; changes outside `WATCHED_TABLES` are dropped when read."""


@dataclass(frozen=True)
class WebhookRegistration:
    """A webhook as created: its id, the MAC secret (shown once: store it), and its expiry."""

    webhook_id: str
    mac_secret_base64: str
    expiration_time: dt.datetime | None
    notification_url: str | None
    cursor: str = "1"

    def __repr__(self) -> str:
        return (
            f"WebhookRegistration(webhook_id={self.webhook_id!r}, "
            f"expiration_time={self.expiration_time!r}, secret=***)"
        )


@dataclass(frozen=True)
class ChangeBatch:
    """What changed since a cursor, one entry per record, and the cursor to store next."""

    changes: tuple[AirtableChange, ...]
    next_cursor: str


def create_webhook(
    client: AirtableClient, notification_url: str | None = None
) -> WebhookRegistration:
    """Register a webhook on the base for record changes; `notification_url` None: poll only.

    Its payloads start now: read the tables in full once after creating it. A create is never
    re-sent; after AmbiguousWrite, `list_webhooks` shows whether a stray one exists to delete
    (a base holds at most 10).
    """
    body: dict[str, Any] = {"specification": SPECIFICATION}
    if notification_url:
        body["notificationUrl"] = notification_url
    from pyairtable.models.webhook import CreateWebhookResponse

    url = client.base.urls.webhooks
    data = client.call("create a webhook", lambda: client.api.post(url, json=body), write=True)
    created = CreateWebhookResponse.from_api(data, client.api)
    log.info(
        "airtable.webhook.created", webhook_id=created.id, notifications=bool(notification_url)
    )
    return WebhookRegistration(
        webhook_id=created.id,
        mac_secret_base64=created.mac_secret_base64,
        expiration_time=created.expiration_time,
        notification_url=notification_url,
    )


def delete_webhook(client: AirtableClient, webhook_id: str) -> None:
    """Delete a webhook (one being replaced); a webhook already gone is fine."""
    url = client.base.urls.webhooks / webhook_id
    try:
        client.call("delete a webhook", lambda: client.api.delete(url))
    except NotFound:
        log.info("airtable.webhook.already_gone", webhook_id=webhook_id)


@dataclass(frozen=True)
class WebhookInfo:
    """A webhook as listed: id, notification URL, expiry and the cursor its next payload gets."""

    webhook_id: str
    notification_url: str | None
    expiration_time: dt.datetime | None
    cursor_for_next_payload: int
    enabled: bool = True
    """False once it lapsed: 7 days without a refresh or a payload listing (it records nothing)."""


def list_webhooks(client: AirtableClient) -> tuple[WebhookInfo, ...]:
    """Every webhook on the base."""
    from pyairtable.models.webhook import Webhook

    data = client.call("list webhooks", lambda: client.api.get(client.base.urls.webhooks))
    return tuple(
        WebhookInfo(
            webhook_id=hook.id,
            notification_url=hook.notification_url,
            expiration_time=hook.expiration_time,
            cursor_for_next_payload=hook.cursor_for_next_payload,
            enabled=hook.is_hook_enabled,
        )
        for hook in (
            Webhook.from_api(raw, client.api, context=client.base)
            for raw in data.get("webhooks", [])
        )
    )


def needs_refresh(
    expiration_time: dt.datetime | None, now: dt.datetime, margin: dt.timedelta = REFRESH_MARGIN
) -> bool:
    """True when a webhook expiring at `expiration_time` should be refreshed at `now`."""
    return expiration_time is not None and expiration_time - now <= margin


def refresh_webhook(client: AirtableClient, webhook_id: str) -> dt.datetime | None:
    """Extend the webhook's life by seven days; return the new expiry (ResyncRequired: gone)."""
    url = client.base.urls.webhooks / webhook_id / "refresh"
    try:
        data = client.call("refresh a webhook", lambda: client.api.post(url))
    except NotFound as exc:
        raise _webhook_gone(webhook_id) from exc
    except SkipRecord as exc:  # refused: it lapsed and is disabled, and cannot be revived
        raise ResyncRequired(
            f"Airtable refused to refresh webhook {webhook_id} ({exc}): it lapsed; create a "
            "new one and read the tables in full"
        ) from exc
    expiry = _parse_time((data or {}).get("expirationTime"))
    log.info("airtable.webhook.refreshed", webhook_id=webhook_id, expiration_time=str(expiry))
    return expiry


def check_enabled(client: AirtableClient, webhook_id: str) -> WebhookInfo:
    """The webhook as listed; ResyncRequired when it is gone or lapsed (disabled).

    A lapsed webhook records nothing: what changed since it lapsed is in no payload, so the
    tables must be read in full under a new one.
    """
    found = [hook for hook in list_webhooks(client) if hook.webhook_id == webhook_id]
    if not found:
        raise _webhook_gone(webhook_id)
    if not found[0].enabled:
        raise ResyncRequired(
            f"Airtable webhook {webhook_id} lapsed (7 days without a refresh or a read) and "
            "recorded nothing since; create a new one and read the tables in full"
        )
    return found[0]


def read_changes(client: AirtableClient, webhook_id: str, cursor: str | None) -> ChangeBatch:
    """Every record change in the watched tables since `cursor`, and the cursor to store after them.

    Costs one request when nothing changed. ResyncRequired when the webhook is gone or its
    payloads from `cursor` on are no longer all there: read the tables in full and start over.
    """
    position = _cursor(cursor)
    payloads: list[dict[str, Any]] = []
    while True:
        page = _payload_page(client, webhook_id, position)
        _check_continuity(webhook_id, position, page)
        payloads.extend(page.payloads)
        position = page.cursor
        if not (page.might_have_more and page.payloads):
            break
    theirs = _not_own(client, payloads)
    changes = _to_changes(client, _payload_models(client, theirs))
    log.info(
        "airtable.changes.read", webhook_id=webhook_id, payloads=len(payloads), changes=len(changes)
    )
    return ChangeBatch(changes=changes, next_cursor=str(position))


def _payload_models(client: AirtableClient, payloads: list[dict[str, Any]]) -> list[WebhookPayload]:
    """pyairtable's models of the payloads (loaded only when there are any)."""
    if not payloads:
        return []
    from pyairtable.models.webhook import WebhookPayload

    return [WebhookPayload.from_api(raw, client.api) for raw in payloads]


def mac_matches(raw_body: bytes, mac_header: str | None, secret: bytes) -> bool:
    """True when `X-Airtable-Content-MAC` is the HMAC-SHA256 of the raw body under the (decoded)
    secret; compares in constant time."""
    expected = "hmac-sha256=" + hmac.new(secret, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (mac_header or "").strip().encode())


def _cursor(cursor: str | None) -> int:
    if cursor is None:
        return 1
    try:
        value = int(cursor)
    except ValueError as exc:
        raise ResyncRequired(
            f"the stored Airtable webhook cursor {cursor!r} is not a number; resync"
        ) from exc
    if value < 1:
        raise ResyncRequired(f"the stored Airtable webhook cursor {cursor!r} is invalid; resync")
    return value


@dataclass(frozen=True)
class _PayloadPage:
    """One page of payloads as listed; each payload stays raw until it is known to be theirs.

    Building pyairtable's model of a payload is most of the cost of a page (a few ms for
    fifty), and after a pass that wrote, a page is mostly Followthrough's own writes.
    """

    payloads: list[dict[str, Any]]
    cursor: int
    might_have_more: bool


def _payload_page(client: AirtableClient, webhook_id: str, cursor: int) -> _PayloadPage:
    path = f"webhooks/{webhook_id}/payloads"
    params = {"cursor": cursor, "limit": PAYLOADS_PER_REQUEST}
    try:
        data = client.call(
            "list webhook payloads", lambda: client.request("GET", path, params=params)
        )
    except NotFound as exc:
        raise _webhook_gone(webhook_id) from exc
    payloads, position, more = data.get("payloads"), data.get("cursor"), data.get("mightHaveMore")
    shaped = isinstance(payloads, list) and all(isinstance(p, dict) for p in payloads)
    if not shaped or type(position) is not int or not isinstance(more, bool):
        raise ResyncRequired(f"Airtable webhook {webhook_id} listed payloads of an unknown shape")
    return _PayloadPage(payloads, position, more)


def _check_continuity(webhook_id: str, cursor: int, page: _PayloadPage) -> None:
    """Payloads from `cursor` must follow on without a gap (older ones expire after 7 days)."""
    first = page.cursor - len(page.payloads)
    broken = [p for p in page.payloads if p.get("error")]
    if first > cursor or page.cursor < cursor or broken:
        reason = str(broken[0].get("code")) if broken else "payloads missing"
        raise ResyncRequired(
            f"Airtable webhook {webhook_id} cannot tell every change since cursor {cursor} "
            f"({reason}); "
            "read the tables in full and store the new cursor"
        )


def _to_changes(
    client: AirtableClient, payloads: Sequence[WebhookPayload]
) -> tuple[AirtableChange, ...]:
    if not payloads:
        return ()  # nothing changed but our own writes: no schema request either
    merged: dict[tuple[str, str], AirtableChange] = {}
    names = client.id_names()
    for payload in payloads:
        for table_id, table in payload.changed_tables_by_id.items():
            names = _known(client, names, table_id, table)
            table_name = names.tables.get(table_id, table_id)
            if table_name not in WATCHED_TABLES:
                continue
            for change in _table_changes(table_name, table, names, payload.timestamp):
                key = (change.table, change.record_id)
                merged[key] = _merge(merged.get(key), change)
    return tuple(merged.values())


def _not_own(client: AirtableClient, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payloads that are not Followthrough's own writes, judged by what they wrote.

    The user's other tools write through the API as the same Airtable user, so the author
    says nothing. The id-to-name map is needed only when a payload names a record written here.
    """
    changed = [changed_records(raw) for raw in payloads]
    ids = record_ids(changed)
    digests = client.own_writes.recall(ids) if ids else {}
    if not digests:
        return payloads
    names = client.id_names().fields
    return [
        raw
        for raw, records in zip(payloads, changed, strict=True)
        if records is None or not is_own(records, digests, names)
    ]


def _known(
    client: AirtableClient, names: IdNames, table_id: str, table: WebhookPayload.TableChanged
) -> IdNames:
    """The id-to-name map, read again once when the payload names a table or field it lacks."""
    field_ids = {
        f for r in table.changed_records_by_id.values() for f in r.current.cell_values_by_field_id
    }
    if table_id in names.tables and field_ids <= names.fields.keys():
        return names
    return client.id_names(refresh=True)


def _table_changes(
    table_name: str, table: WebhookPayload.TableChanged, names: IdNames, at: dt.datetime
) -> list[AirtableChange]:
    out = [
        AirtableChange(table_name, record_id, "created", changed_at=at)
        for record_id in table.created_records_by_id
    ]
    for record_id, changed in table.changed_records_by_id.items():
        fields = tuple(
            sorted(names.fields.get(f, f) for f in changed.current.cell_values_by_field_id)
        )
        out.append(AirtableChange(table_name, record_id, "changed", fields, changed_at=at))
    out += [
        AirtableChange(table_name, record_id, "destroyed", changed_at=at)
        for record_id in table.destroyed_record_ids
    ]
    return out


def _merge(before: AirtableChange | None, after: AirtableChange) -> AirtableChange:
    """One change per record: created stays created, destroyed wins, changed fields add up."""
    if before is None or after.kind == "destroyed":
        return after
    if before.kind == "destroyed":
        return after if after.kind == "created" else before
    kind = "created" if before.kind == "created" or after.kind == "created" else "changed"
    fields = tuple(sorted(set(before.changed_fields) | set(after.changed_fields)))
    return AirtableChange(
        after.table,
        after.record_id,
        kind,
        () if kind == "created" else fields,
        changed_at=after.changed_at,
    )


def _webhook_gone(webhook_id: str) -> ResyncRequired:
    return ResyncRequired(
        f"Airtable webhook {webhook_id} no longer exists (expired or deleted); create a new one, "
        "read the tables in full and read changes from its first cursor"
    )


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
