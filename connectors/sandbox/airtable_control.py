"""The sandbox Airtable's control methods: acting on the base as its user would in Airtable's
app, and turning the faults and limits tests need on and off.

`AirtableSandbox` (connectors/sandbox/airtable.py) inherits them; each is also reachable as
POST /_sandbox/airtable/<method> with keyword arguments.
"""

from __future__ import annotations

import threading
from typing import Any

from connectors.sandbox.airtable_base import AirtableBase, Transaction
from connectors.sandbox.airtable_ratelimit import RateLimiter
from connectors.sandbox.airtable_records import RecordsApi
from connectors.sandbox.airtable_schema import Table
from connectors.sandbox.airtable_webhooks import WebhookRegistry


class AirtableControls:
    """Control methods over one base (the state is `AirtableSandbox`'s)."""

    base_id: str
    base: AirtableBase
    records_api: RecordsApi
    webhooks: WebhookRegistry
    limiter: RateLimiter
    lock: threading.RLock
    permission_level: str
    token_scopes: set[str]

    def _publish(self, txn: Transaction | None, source: str) -> None:
        raise NotImplementedError

    def _control_table(self, table: str) -> Table:
        found = self.base.table(table)
        if found is None:
            raise KeyError(f"no Airtable table {table!r} in the sandbox base {self.base_id}")
        return found

    def records(self, table: str) -> list[dict[str, Any]]:
        """Every record of a table, as the API renders them (empty cells left out)."""
        with self.lock:
            found = self._control_table(table)
            return [self.base.render(found, r) for r in found.records.values()]

    def create_record(
        self, table: str, fields: dict[str, Any], *, typecast: bool = False
    ) -> dict[str, Any]:
        """Add a record as the user would in Airtable's UI (fires webhooks); returns it."""
        with self.lock:
            found = self._control_table(table)
            txn = Transaction()
            record = self.base.create(
                found, self.base.convert_cells(found, fields, typecast=typecast), txn
            )
            self._publish(txn, "client")
            return self.base.render(found, record)

    def update_record(
        self, table: str, record_id: str, fields: dict[str, Any], *, typecast: bool = False
    ) -> dict[str, Any]:
        """Edit cells of a record as the user would (None clears a cell; fires webhooks)."""
        with self.lock:
            found = self._control_table(table)
            record = found.records[record_id]
            txn = Transaction()
            self.base.update(
                found, record, self.base.convert_cells(found, fields, typecast=typecast), False, txn
            )
            self._publish(txn, "client")
            return self.base.render(found, record)

    def delete_record(self, table: str, record_id: str) -> None:
        """Delete a record as the user would (fires webhooks)."""
        with self.lock:
            found = self._control_table(table)
            txn = Transaction()
            self.base.delete(found, found.records[record_id], txn)
            self._publish(txn, "client")

    def table_id(self, table: str) -> str:
        """The id of the table with this name (webhook payloads are keyed by table id)."""
        with self.lock:
            return self._control_table(table).id

    def field_id(self, table: str, field: str) -> str:
        """The id of a field (webhook payload cells are keyed by field id)."""
        with self.lock:
            column = self._control_table(table).field(field)
            if column is None:
                raise KeyError(f"no field {field!r} in Airtable table {table!r}")
            return column.id

    def expire_list_offsets(self) -> None:
        """Forget every list iterator (a later `offset` gets 422, as an expired one does)."""
        with self.lock:
            self.records_api.iterators.clear()

    def set_token_scopes(self, scopes: list[str]) -> None:
        """The scopes the personal access token was made with (a request outside them: 403)."""
        with self.lock:
            self.token_scopes = set(scopes)

    def set_permission_level(self, level: str) -> None:
        """The token's user's access to the base: "create" (Base creator) or "edit" (Editor:
        records only; creating tables, fields and webhooks is refused with 403)."""
        if level not in ("create", "edit"):
            raise ValueError(f"permission level {level!r}: use create or edit")
        with self.lock:
            self.permission_level = level

    def expire_webhooks(self) -> None:
        """Let every webhook expire (disabled: no payloads, no pings, refresh refused)."""
        with self.lock:
            self.webhooks.expire()

    def delete_lapsed_webhooks(self) -> None:
        """Delete every lapsed webhook, as Airtable does some time after one is disabled."""
        with self.lock:
            self.webhooks.delete_lapsed()

    def expire_webhook_payloads(self) -> None:
        """Age out every webhook payload so far (a cursor before now then finds a gap)."""
        with self.lock:
            self.webhooks.expire_payloads()

    def set_rate_limit(
        self, per_second: float | None = None, penalty_seconds: float | None = None
    ) -> None:
        """Change the rate limit (per_second <= 0 turns it off); lifts any running penalty."""
        with self.lock:
            self.limiter.configure(
                self.limiter.per_second if per_second is None else per_second,
                self.limiter.penalty_seconds if penalty_seconds is None else penalty_seconds,
            )

    def snapshot(self) -> dict[str, Any]:
        """The whole base: tables with their fields and records, and the webhooks' cursors."""
        with self.lock:
            return {
                "base_id": self.base_id,
                "tables": [
                    {**t.to_api(), "records": [self.base.render(t, r) for r in t.records.values()]}
                    for t in self.base.tables
                ],
                "webhooks": [
                    {
                        "id": h.id,
                        "notificationUrl": h.notification_url,
                        "cursorForNextPayload": h.next_cursor,
                    }
                    for h in self.webhooks.hooks.values()
                ],
            }
