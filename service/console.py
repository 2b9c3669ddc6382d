"""What the one-shot commands print: a pass's results and the service's status, for people."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from workflows.digest import day_name, due_on, hours_left, time_name
from workflows.passes import PassReport
from workflows.queries.home import Home
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


def print_status(home: Home) -> None:
    """The status page's content as terminal tables: this week (overdue in red, marked
    "overdue" in words too), the pipeline, the last 90 days, then the connectors."""
    console.print(f"Your week, {day_name(home.today)} to {day_name(home.week_end)} ({home.zone})")
    if home.overdue_count:
        console.print(f"{home.overdue_count} overdue", style="bold red")
    for table in _week_tables(home):
        console.print(table)
    pipeline = Table(title="The pipeline")
    pipeline.add_column("stage")
    pipeline.add_column("contacts", justify="right")
    for row in home.pipeline:
        pipeline.add_row(row.stage, str(row.contacts))
    console.print(pipeline)
    _print_recent(home)
    _print_health(home.health)


def _week_tables(home: Home) -> list[Table]:
    thank_yous = _table("Thank-yous to send", ("to", "follow-up", "time left", "draft"))
    for item in home.thank_yous:
        row = (item.contact, item.title, hours_left(item), item.draft_link or "")
        thank_yous.add_row(*row, style="red" if item.overdue else None)
    interviews = _table("Interviews", ("when", "interview", "with", "brief"))
    for interview in home.interviews:
        when = time_name(interview.start)
        brief = interview.brief_link or interview.to_prepare or ""
        interviews.add_row(when, interview.title, interview.contact, brief)
    tables = [thank_yous, interviews]
    for title, items in (
        ("Promises to keep", home.promises),
        ("Progress updates due", home.updates),
        ("Asks waiting for a reply", home.asks),
    ):
        table = _table(title, ("follow-up", "contact", "due"))
        for due in items:
            table.add_row(due.title, due.contact, due_on(due), style="red" if due.overdue else None)
        tables.append(table)
    return [table for table in tables if table.row_count]


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_recent(home: Home) -> None:
    recent = home.recent
    console.print(f"The last 90 days (since {day_name(recent.since)})")
    for label, count in recent.funnel.stages():
        console.print(f"  {label}: {count}")
    median = recent.median_hours
    if median is None:
        console.print("  No thank-you seen sent yet (this needs the gmail.metadata scope).")
        return
    console.print(f"  Median time to a thank-you: {median:.0f} hours")
    for label, count in recent.histogram():
        console.print(f"    {label}: {count}")


def _print_health(snapshot: StatusSnapshot) -> None:
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
    for reason in snapshot.steps_off:
        console.print(reason, style="yellow")
    for error in snapshot.recent_errors[:5]:
        console.print(
            f"error {error.at:%Y-%m-%d %H:%M} {error.where}: {error.message}", style="red"
        )


def status_json(home: Home) -> dict[str, Any]:
    """`followthrough status --json`: the page's facts, with the words and marks it shows."""
    data = dataclasses.asdict(home)
    data["week_end"] = home.week_end
    data["overdue"] = home.overdue_count
    for item, row in zip(home.thank_yous, data["thank_yous"], strict=True):
        row.update(overdue=item.overdue, left=hours_left(item))
    for name in ("promises", "updates", "asks"):
        for due, row in zip(getattr(home, name), data[name], strict=True):
            row["when"] = due_on(due)
    data["recent"]["median_hours"] = home.recent.median_hours
    health = home.health
    for connector, row in zip(health.connectors, data["health"]["connectors"], strict=True):
        row["state"] = connector.state(health.generated_at, health.stale_after)
    plain: dict[str, Any] = json.loads(json.dumps(data, default=_plain))
    return plain


def _plain(value: object) -> str:
    if isinstance(value, dt.timedelta):
        return str(int(value.total_seconds()))
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


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
