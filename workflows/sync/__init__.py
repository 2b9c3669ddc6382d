"""Incremental syncs of the three sources into the store, one pass per call.

`sync_source(runtime, name)` runs one pass of `google_contacts`, `airtable` or
`google_calendar`, records the connector's health for the status page, and returns a
`SyncReport`. Each pass reads from its stored cursor and writes the next cursor in the
same transaction as the last page it covers.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from connectors.errors import FollowthroughError
from workflows.runtime import Runtime
from workflows.store.status import record_failure, record_success
from workflows.sync.airtable import sync_airtable
from workflows.sync.calendar import sync_calendar
from workflows.sync.contacts import sync_contacts
from workflows.sync.reconsider import reconsider_events
from workflows.sync.report import SyncReport

log = structlog.get_logger(__name__)

SOURCES: dict[str, Callable[[Runtime], SyncReport]] = {
    "airtable": sync_airtable,
    "google_contacts": sync_contacts,
    "google_calendar": sync_calendar,
}
"""Every source, in the order a full pass runs them (contacts before the calendar)."""


def sync_source(runtime: Runtime, name: str) -> SyncReport:
    """One pass of source `name`; its health is recorded whether it succeeds or fails."""
    run = SOURCES.get(name)
    if run is None:
        raise ValueError(f"unknown source {name!r}; use one of {', '.join(SOURCES)}")
    try:
        report = run(runtime)
        if name == "google_calendar":
            reconsider_events(runtime, full=report.full)
    except FollowthroughError as exc:
        with runtime.db.transaction() as session:
            record_failure(session, name, str(exc), account=runtime.account)
        log.warning("sync.failed", source=name, error=type(exc).__name__, reason=str(exc))
        raise
    with runtime.db.transaction() as session:
        record_success(session, name, records=report.records, account=runtime.account)
    log.info("sync.done", **report.fields())
    return report


__all__ = ["SOURCES", "SyncReport", "sync_source"]
