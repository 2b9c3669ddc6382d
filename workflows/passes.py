"""One full pass, as `followthrough run --once` and the demo make it: sync, then do what is due.

Sources are synced in order (Airtable and Google Contacts before the calendar, so that the
calendar's attendees are matched against everyone known). A failing source is recorded and
the pass goes on with the others: nothing due waits for an unrelated outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from connectors.errors import FollowthroughError
from workflows.progress import create_reminders
from workflows.runtime import Runtime
from workflows.sweep import Done, claim, run_batch
from workflows.sync import SOURCES, SyncReport, sync_source

log = structlog.get_logger(__name__)

MAX_ROUNDS = 50  # one round's work may make more work due now (e.g. a meeting row); bounded


@dataclass
class PassReport:
    """What one pass did: each source's sync, each piece of due work, the reminders created."""

    syncs: list[SyncReport] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    done: list[Done] = field(default_factory=list)
    reminders: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every source synced and every due item ran."""
        return not self.failures


def sync_all(runtime: Runtime, report: PassReport, sources: list[str] | None = None) -> None:
    """Sync each source once, recording failures instead of stopping at the first."""
    for name in sources or list(SOURCES):
        try:
            report.syncs.append(sync_source(runtime, name))
        except FollowthroughError as exc:
            report.failures[name] = str(exc)


def run_due(runtime: Runtime, report: PassReport) -> None:
    """Run everything due now, inline, until nothing is left (bounded).

    A round that failed ends the pass's work: what failed is due again at once, and
    running it again in the same breath would only hammer a service that is down.
    """
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
                report.failures[f"{kind} ({len(batch)} items)"] = f"{type(exc).__name__}: {exc}"
        if len(report.failures) > failures_before:
            break
    try:
        report.reminders = create_reminders(runtime)
    except FollowthroughError as exc:
        report.failures["reminders"] = str(exc)


def run_once(runtime: Runtime, sources: list[str] | None = None) -> PassReport:
    """Sync every source, then run everything due; the report says what happened."""
    report = PassReport()
    sync_all(runtime, report, sources)
    run_due(runtime, report)
    log.info(
        "pass.done",
        synced=len(report.syncs),
        done=len(report.done),
        reminders=len(report.reminders),
        failures=len(report.failures),
    )
    return report
