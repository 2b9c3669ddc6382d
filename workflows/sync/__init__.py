"""Incremental syncs of the sources into the store, one pass per call.

`sync_source(runtime, name)` runs one pass of `google_contacts`, `airtable`,
`google_calendar` or `gmail` (this one reads only with the optional gmail.metadata scope),
records the connector's health for the status page (a source whose feature the user left
off reads "off", with what to do), and returns a `SyncReport`. Each pass
reads from its stored cursor and writes the next cursor in the same transaction as the last
page it covers (`stream.Stream`).

`stages(runtime, names)` says which sources may sync at the same time: all of them once the
calendar has synced before, else Airtable and Google Contacts first and the calendar after
them, so that its first pass judges every past event against every contact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from connectors.errors import FollowthroughError
from workflows.facts import set_source_off
from workflows.runtime import Runtime
from workflows.store.status import record_failure, record_success
from workflows.sync.airtable import sync_airtable
from workflows.sync.calendar import calendar_cursor_name, sync_calendar
from workflows.sync.contacts import sync_contacts
from workflows.sync.gmail import sync_gmail
from workflows.sync.reconsider import contacts_token_now, reconsider_events
from workflows.sync.report import SyncReport
from workflows.sync.stream import Stream

log = structlog.get_logger(__name__)

SOURCES: dict[str, Callable[[Runtime], SyncReport]] = {
    "airtable": sync_airtable,
    "google_contacts": sync_contacts,
    "google_calendar": sync_calendar,
    "gmail": sync_gmail,
}
"""Every source, in the order a full pass runs them (contacts before the calendar)."""

CALENDAR = "google_calendar"


def sync_source(runtime: Runtime, name: str, *, judge_again: bool = True) -> SyncReport:
    """One pass of source `name`; its health is recorded whether it succeeds or fails.

    After the calendar's pass, its recent events are judged again if the contacts changed
    (`reconsider_events`); `judge_again=False` leaves that to a caller that syncs other
    sources beside it and judges once they are all done.
    """
    _known([name])
    run = SOURCES[name]
    judge = judge_again and name == CALENDAR
    try:
        judged_by = contacts_token_now(runtime) if judge else None
        report = run(runtime)
        if judge:
            reconsider_events(runtime, full=report.full, judged_by=judged_by)
    except FollowthroughError as exc:
        runtime.successes.failed(runtime.account, name)
        with runtime.db.transaction() as session:
            record_failure(session, name, str(exc), account=runtime.account)
        log.warning("sync.failed", source=name, error=type(exc).__name__, reason=str(exc))
        raise
    _record_success(runtime, name, report)
    log.info("sync.done", **report.fields())
    return report


def _record_success(runtime: Runtime, name: str, report: SyncReport) -> None:
    """The source's success and whether it is off, for the status page (an empty pass's at
    most once a minute: `RecentSuccesses`)."""
    account, successes = runtime.account, runtime.successes
    if not successes.worth_recording(account, name, report.records, report.off):
        return
    with runtime.db.transaction() as session:
        record_success(session, name, records=report.records, account=account)
        set_source_off(session, name, report.off, account=account)
    successes.recorded(account, name, report.records, report.off)


def stages(runtime: Runtime, names: Sequence[str]) -> list[list[str]]:
    """`names` in groups that may sync at the same time, group after group.

    Sources wait on different APIs, so they sync together. Only the calendar's first pass
    waits for the others: it judges every event of the window once, against the contacts
    known then. Later passes need no order: a contact that arrives while the calendar syncs
    gets its recent events judged again (`reconsider_events`, after the pass).
    """
    _known(names)
    ordered = [name for name in SOURCES if name in names]
    if CALENDAR not in ordered or len(ordered) == 1:
        return [ordered] if ordered else []
    if Stream(runtime, calendar_cursor_name(runtime)).cursor() is not None:
        return [ordered]
    return [[name for name in ordered if name != CALENDAR], [CALENDAR]]


def _known(names: Sequence[str]) -> None:
    """ValueError naming the first of `names` that is not a source."""
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; use one of {', '.join(SOURCES)}")


__all__ = ["SOURCES", "SyncReport", "stages", "sync_source"]
