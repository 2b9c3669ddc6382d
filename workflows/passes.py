"""One full pass, as `followthrough run --once` and the demo make it: sync, then do what is due.

Sources sync at the same time, each waiting on its own API (`workflows.sync.stages`: on the
calendar's first pass Airtable and Google Contacts go first, so that its attendees are
matched against everyone known). A failing source is recorded and the pass goes on with the
others: nothing due waits for an unrelated outage.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import gc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from connectors.errors import FollowthroughError, ResyncRequired, UserActionRequired
from workflows.duework.digest import schedule_digest
from workflows.duework.dispatch import Ran, claim, purge_finished, run_batch
from workflows.progress import create_reminders
from workflows.runtime import Runtime
from workflows.sync import CALENDAR, SOURCES, SyncReport, stages, sync_source
from workflows.sync.airtable import read_back_own_writes
from workflows.sync.reconsider import reconsider_events

log = structlog.get_logger(__name__)

MAX_ROUNDS = 50  # one round's work may make more work due now (e.g. a meeting row); bounded


@dataclass
class PassReport:
    """What one pass did: each source's sync, each piece of due work, the reminders created."""

    syncs: list[SyncReport] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    done: list[Ran] = field(default_factory=list)
    reminders: tuple[str, ...] = ()
    must_act: set[str] = field(default_factory=set)
    """The failures only the user can mend (an authorization, a setting, the base)."""

    @property
    def ok(self) -> bool:
        """True when every source synced and every due item ran."""
        return not self.failures

    def fail(self, name: str, error: Exception, text: str | None = None) -> None:
        """Record that `name` failed with `error` (described as `text`, else the error)."""
        self.failures[name] = text if text is not None else str(error)
        if isinstance(error, UserActionRequired):
            self.must_act.add(name)


def sync_all(runtime: Runtime, report: PassReport, sources: list[str] | None = None) -> None:
    """Sync each source once, together where they may, recording failures as they come.

    A calendar that synced beside other sources judges its recent events again once they
    are all done, if the contacts changed (whichever finished first).
    """
    names = sources or list(SOURCES)
    beside_calendar = False
    for number, stage in enumerate(stages(runtime, names)):
        if number:
            _hand_back_memory()
        beside = CALENDAR in stage and len(stage) > 1
        beside_calendar = beside_calendar or beside
        for name, outcome in zip(stage, _together(runtime, stage, beside), strict=True):
            if isinstance(outcome, SyncReport):
                report.syncs.append(outcome)
            else:
                report.fail(name, outcome)
    if beside_calendar and CALENDAR not in report.failures:
        _judge_again(runtime, report)


def _hand_back_memory() -> None:
    """Give the system back what the stage before freed (on a first sync, every Google contact
    and the whole base, read before the calendar), so that the calendar's pages do not pile
    on top of it; the C library keeps freed memory otherwise."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _judge_again(runtime: Runtime, report: PassReport) -> None:
    """The calendar's recent events judged again if the active contacts changed."""
    try:
        reconsider_events(runtime)
    except FollowthroughError as exc:
        report.fail(CALENDAR, exc)


def _together(
    runtime: Runtime, names: list[str], beside: bool
) -> list[SyncReport | FollowthroughError]:
    """Sync `names` at once, one thread each (the first in this one); results in order."""

    def one(name: str) -> SyncReport | FollowthroughError:
        try:
            return sync_source(runtime, name, judge_again=not beside)
        except FollowthroughError as exc:
            return exc

    if len(names) < 2:
        return [one(name) for name in names]
    with ThreadPoolExecutor(len(names) - 1, thread_name_prefix="sync") as pool:
        others = [pool.submit(contextvars.copy_context().run, one, n) for n in names[1:]]
        first = one(names[0])
        return [first, *(future.result() for future in others)]


def run_due(runtime: Runtime, report: PassReport) -> None:
    """Run everything due now, inline, until nothing is left (bounded); create the reminders
    due (and run their drafts), and purge old finished work once a day. The coming weekly
    digest is made due first.

    A round that failed ends the pass's work: what failed is due again at once, and
    running it again in the same breath would only hammer a service that is down.
    """
    schedule_digest(runtime)
    _run_rounds(runtime, report)
    try:
        report.reminders = create_reminders(runtime)
    except FollowthroughError as exc:
        report.fail("reminders", exc)
    if report.reminders and report.ok:  # their drafts are due now
        _run_rounds(runtime, report)
    purge_finished(runtime)


def _run_rounds(runtime: Runtime, report: PassReport) -> None:
    for _ in range(MAX_ROUNDS):
        items = claim(runtime)
        if not items:
            break
        failures_before = len(report.failures)
        for kind in dict.fromkeys(item.kind for item in items):
            batch = [item for item in items if item.kind == kind]
            try:
                report.done.extend(run_batch(runtime, batch))
            except Exception as exc:  # recorded on the items and the status page; goes on
                report.fail(f"{kind} ({len(batch)} items)", exc, f"{type(exc).__name__}: {exc}")
        if len(report.failures) > failures_before:
            break


def run_once(runtime: Runtime, sources: list[str] | None = None) -> PassReport:
    """Sync every source, then run everything due; the report says what happened.

    A pass that completed meetings judges the calendar's recent events again when that made
    new Airtable contacts (their other meetings are interviews now). A pass that wrote
    pages' worth of rows to Airtable then reads the change feed past them
    (`read_back_own_writes`), so that the next pass starts where the user's edits do.
    """
    report = PassReport()
    writes_before = runtime.airtable.stats.writes if runtime.airtable is not None else 0
    sync_all(runtime, report, sources)
    run_due(runtime, report)
    if report.done and CALENDAR not in report.failures:
        _judge_again(runtime, report)  # completed meetings may have made new Airtable contacts
    if runtime.airtable is not None and "airtable" not in report.failures:
        try:
            read_back_own_writes(runtime, runtime.airtable.stats.writes - writes_before)
        except ResyncRequired as exc:  # the next pass reads the base in full
            log.warning("airtable.read_back_skipped", reason=str(exc))
        except FollowthroughError as exc:  # the next pass reads them instead
            report.fail("airtable (reading back this pass's writes)", exc)
    log.info(
        "pass.done",
        synced=len(report.syncs),
        done=len(report.done),
        reminders=len(report.reminders),
        failures=len(report.failures),
    )
    return report
