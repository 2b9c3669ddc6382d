"""What the one-shot commands print: a pass's results and the service's status, for people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import structlog
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from workflows.passes import PassReport
from workflows.queries.status import StatusSnapshot
from workflows.sync.report import SyncReport

if TYPE_CHECKING:
    from workflows.completion import Outcome

log = structlog.get_logger(__name__)

console = Console(markup=False)
"""Markup off: titles and names are the user's text, and `[/]` in one must print, not crash."""


def print_pass(report: PassReport) -> None:
    """Each source's sync, each completed meeting, what became of drafts whose notes changed,
    the reminders, and every failure (in red)."""
    for sync in report.syncs:
        kind = "full" if sync.full else "incremental"
        console.print(f"synced {sync.source}: {sync.records} records ({kind})")
        for skipped in sync.skipped:
            console.print(f"  skipped {skipped.record_id}: {skipped.reason}", style="yellow")
        for note in sync.notes:
            console.print(f"  note: {note}", style="yellow")
    _print_done(report)
    for title in report.reminders:
        console.print(f"reminder: {title}")
    for where, reason in report.failures.items():
        console.print(f"FAILED {where}: {reason}", style="bold red")


def _print_done(report: PassReport) -> None:
    """Each completed meeting, and what became of drafts whose notes changed."""
    if not report.done:
        return  # nothing ran: what it would print about is not imported
    from workflows.completion import Outcome
    from workflows.revisions import Revision

    for done in report.done:
        if isinstance(done.result, Outcome):
            _print_outcome(done.result)
        elif isinstance(done.result, Revision) and done.result.told:
            console.print(done.result.told, style="yellow")


def _print_outcome(outcome: Outcome) -> None:
    if outcome.status != "completed":
        if outcome.status == "skipped":
            console.print(f"skipped meeting {outcome.meeting_id}: {outcome.reason}", style="yellow")
        return
    what = "recorded (history)" if outcome.history else "completed"
    console.print(f"{what}: {outcome.title} with {outcome.contact}")
    if outcome.draft_subject:
        console.print(f"  thank-you draft: {outcome.draft_subject}")
    for title in outcome.followups:
        console.print(f"  follow-up: {title}")


def print_status(snapshot: StatusSnapshot) -> None:
    """The status page's content as terminal tables."""
    table = Table(title="Connectors")
    for column in ("source", "state", "last success", "why"):
        table.add_column(column)
    for connector in snapshot.connectors:
        state = connector.state(snapshot.generated_at, snapshot.stale_after)
        style = "red" if state == "failing" else None
        last = (
            connector.last_success.isoformat(timespec="seconds")
            if connector.last_success
            else "never"
        )
        why = connector.error or connector.off or ""
        table.add_row(connector.name, state, last, why, style=style)
    console.print(table)
    console.print(f"meetings waiting for their effects: {len(snapshot.waiting_meetings)}")
    for meeting in snapshot.waiting_meetings:
        console.print(
            f"  {meeting.title} with {meeting.contact} (ended {meeting.ended_at:%Y-%m-%d %H:%M})"
        )
    console.print(f"open follow-ups: {len(snapshot.open_follow_ups)}")
    for item in snapshot.open_follow_ups[:20]:
        console.print(f"  {item.due} {item.kind}: {item.title}")
    if snapshot.late_thank_yous:
        console.print(
            f"thank-yous not sent within 20 hours: {len(snapshot.late_thank_yous)}", style="yellow"
        )
        for item in snapshot.late_thank_yous:
            console.print(f"  {item.title} ({item.contact})", style="yellow")
    console.print(f"progress updates due soon: {len(snapshot.reminders_due)}")
    for item in snapshot.reminders_due:
        console.print(f"  {item.due} {item.title}")
    for reason in snapshot.steps_off:
        console.print(reason, style="yellow")
    for error in snapshot.recent_errors[:5]:
        console.print(
            f"error {error.at:%Y-%m-%d %H:%M} {error.where}: {error.message}", style="red"
        )


@contextmanager
def sync_progress() -> Iterator[Callable[[SyncReport], None]]:
    """A callback for each page a sync reads: a live progress line in a terminal, else a log event.

    Sources report no totals up front (a sync token says nothing of how much changed), so
    the bar counts records as they come.
    """
    if not console.is_terminal:
        yield lambda report: log.info("sync.page", **report.fields())
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} records"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def on_page(report: SyncReport) -> None:
            if report.source not in tasks:
                tasks[report.source] = progress.add_task(f"syncing {report.source}", total=None)
            progress.update(tasks[report.source], completed=report.records)

        yield on_page
