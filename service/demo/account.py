"""The demo's account of what it did, for people: drafts, follow-ups, reminders, skips, totals.

`Account` prints as the demo goes (one dated block per pass in which something happened)
and tallies the totals at the end from the store (through workflows.queries) and the sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from service.demo.files import DemoFiles
from service.demo.mail import LATE, MailLine
from service.demo.updates import draft_lines
from workflows.completion import Outcome
from workflows.followup_sync import STORE_KINDS
from workflows.passes import PassReport
from workflows.queries.listings import FollowUpView, MeetingView, follow_ups, meetings
from workflows.queries.skipped import SkippedEvent, skipped_events
from workflows.revisions import Revision
from workflows.runtime import Runtime
from workflows.sync.report import SyncReport

if TYPE_CHECKING:
    from connectors.sandbox.server import Sandbox
    from service.settings import Settings

BODY_LINES = 3
LABEL_WIDTH = 10
SOURCE_NOUNS = {
    "airtable": "Airtable records",
    "google_contacts": "Google contacts",
    "google_calendar": "calendar events",
}
GMAIL = "gmail"
GMAIL_FIRST_READ = "Gmail: from now on, a thank-you you send, and its answer, are noticed"
KIND_NOUNS = {stored: kind.value.lower() for kind, stored in STORE_KINDS.items()}


@dataclass
class Step:
    """One pass of the demo: when, what the user did first, and what the pass did."""

    at: dt.datetime
    said: list[str]
    report: PassReport
    drafts: dict[str, dict[str, Any]]
    new_contacts: list[str] = field(default_factory=list)
    new_follow_ups: list[FollowUpView] = field(default_factory=list)
    progress: list[tuple[str, dt.date]] = field(default_factory=list)
    notes: list[tuple[MeetingView, Revision]] = field(default_factory=list)
    mail: list[MailLine] = field(default_factory=list)

    @property
    def eventful(self) -> bool:
        """True when there is something to tell about this pass."""
        report = self.report
        told = (
            self.said,
            self.new_follow_ups,
            self.new_contacts,
            self.progress,
            self.mail,
            report.failures,
        )
        return any(told) or any(
            isinstance(d.result, Outcome) and d.result.status in ("completed", "skipped")
            for d in report.done
        )


@dataclass(frozen=True)
class DemoTotals:
    """What the demo left in the world, counted at the end."""

    passes: int
    drafts: int
    drafts_sent: int
    completed: int
    history: int
    follow_ups: dict[str, int]
    open_follow_ups: int
    done_follow_ups: int
    skipped: int
    failures: int


class Account:
    """Prints the demo's story to a rich console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.zone: dt.tzinfo = dt.UTC
        self._grid = Table.grid()

    def opening(
        self, settings: Settings, sandbox_url: str, start: dt.datetime, end: dt.datetime
    ) -> None:
        """Who, where and which weeks."""
        self.zone = start.tzinfo or dt.UTC
        self.console.rule("[bold]Followthrough demo[/bold]")
        self.console.print(
            f"A job seeker's calendar, contacts and Airtable base, served by the sandbox at "
            f"{sandbox_url}.\nThe clock runs from {start:%a %d %b %Y %H:%M} to "
            f"{end:%a %d %b %Y %H:%M}; thank-you drafts are signed "
            f"“{settings.sender_name or ''}”.",
            highlight=False,
        )

    def setup(self, lines: list[str]) -> None:
        """What `airtable init` did."""
        for line in lines:
            self.console.print(f"airtable init: {line}", style="dim", highlight=False)

    def step(self, step: Step) -> None:
        """One dated block for a pass in which something happened."""
        if not step.eventful:
            return
        self.console.print()
        self.console.print(Text(f"{step.at:%a %d %b %H:%M}", style="bold underline"))
        self._grid = Table.grid(padding=(0, 1))
        self._grid.add_column(justify="right", no_wrap=True, min_width=LABEL_WIDTH)
        self._grid.add_column()
        for text in step.said:
            self._line("you", text, "cyan")
        for sync in step.report.syncs:
            if sync.full:
                self._line("sync", _first_read(sync), "dim")
            for record in sync.skipped:
                self._line("skipped", f"{record.record_id}: {record.reason}", "yellow")
        for name in step.new_contacts:
            self._line("contact", f"{name} added to your Airtable Contacts", "green")
        self._outcomes(step)
        for done in step.report.done:  # a progress update's or an introducer's draft, whole
            self._draft_in_full(draft_lines(done.result))
        for meeting, revision in step.notes:
            what = (
                "the thank-you draft is rewritten from them"
                if revision.rewritten
                else revision.told or "the draft was already sent"
            )
            self._line("notes", f"new notes on “{meeting.title}”: {what}", "magenta")
            self._follow_ups([f for f in step.new_follow_ups if f.meeting_id == meeting.id])
        for follow_up in step.new_follow_ups:
            if follow_up.kind == "progress_update":
                self._line("reminder", f"{follow_up.title} (due {follow_up.due})", "blue")
            elif follow_up.kind in ("prepare", "reschedule") or follow_up.kind in ("ask", "nudge"):
                self._follow_ups([follow_up])
        for line in step.mail:
            self._line(line.label, line.text, "yellow" if line.label == LATE else "blue")
        for name, due in step.progress:
            self._line("update", f"{name}: next progress update now due {due}", "blue")
        for where, reason in step.report.failures.items():
            self._line("FAILED", f"{where}: {reason}", "bold red")
        self.console.print(self._grid)

    def _outcomes(self, step: Step) -> None:
        for done in step.report.done:
            outcome = done.result
            if not isinstance(outcome, Outcome):
                continue
            if outcome.status == "skipped":
                self._line("skipped", f"meeting {outcome.meeting_id}: {outcome.reason}", "yellow")
            elif outcome.status == "completed" and outcome.history:
                self._line(
                    "history",
                    f"“{outcome.title}” with {outcome.contact}: recorded in Airtable, no draft "
                    "(it ended before Followthrough's first sync)",
                    "dim",
                )
            elif outcome.status == "completed":
                self._completed(outcome, step)

    def _completed(self, outcome: Outcome, step: Step) -> None:
        draft = step.drafts.get(outcome.draft.draft_id) if outcome.draft else None
        self._line("done", f"“{outcome.title}” with {outcome.contact} is over", "green")
        if draft is not None:
            to = ", ".join(draft.get("to") or [])
            self._line("draft", f"to {to}: “{draft.get('subject')}”", "bold green")
            for text in _first_lines(str(draft.get("body", ""))):
                self._grid.add_row("", Text(f"│ {text}", style="dim"))
        mine = [f for f in step.new_follow_ups if f.meeting_id == outcome.meeting_id]
        if mine:
            self._follow_ups(mine)
        else:
            for title in outcome.followups:
                self._line("follow-up", title, "green")

    def _draft_in_full(self, lines: list[str] | None) -> None:
        if lines:
            self._line("draft", lines[0], "bold green")
            for text in lines[1:]:
                self._grid.add_row("", Text(f"│ {text}", style="dim"))

    def _follow_ups(self, follow_ups: list[FollowUpView]) -> None:
        for follow_up in follow_ups:
            kind = KIND_NOUNS.get(follow_up.kind, follow_up.kind)
            self._line("follow-up", f"{follow_up.title} ({kind}, due {follow_up.due})", "green")

    def _line(self, label: str, text: str, style: str) -> None:
        quiet = style in ("green", "bold green", "cyan")
        self._grid.add_row(Text(label, style=style), Text(text, style="" if quiet else style))

    def skipped(self, events: list[SkippedEvent]) -> None:
        """The calendar events that get no thank-you, and why: not an informational interview,
        or one that did not take place (cancelled or declined; those get a Reschedule instead)."""
        self.console.print()
        table = Table(
            title="No thank-you for these events (not an interview, or it did not take place)",
            title_justify="left",
        )
        for column in ("event", "when", "why"):
            table.add_column(column)
        for event in events:
            title = event.title or "(untitled)"
            if event.occurrences > 1:
                title += f" (x{event.occurrences})"
            table.add_row(title, self._when(event.start), event.why)
        self.console.print(table)

    def _when(self, value: dt.datetime | dt.date | None) -> str:
        if isinstance(value, dt.datetime):
            return f"{value.astimezone(self.zone):%a %d %b %H:%M}"
        return f"{value:%a %d %b} (all day)" if value else ""

    def totals(
        self, runtime: Runtime, sandbox: Sandbox, passes: int, failures: int, days: int
    ) -> DemoTotals:
        """Count what the demo left behind and print it."""
        totals = count_totals(runtime, sandbox, passes, failures)
        table = Table(title="Totals", title_justify="left", show_header=False)
        table.add_column("what")
        table.add_column("count", justify="right")
        rows = [
            (f"passes over {days} simulated days", totals.passes),
            ("interviews completed", totals.completed),
            ("drafts in Gmail", totals.drafts),
            ("  of which you sent", totals.drafts_sent),
            ("past interviews recorded as history", totals.history),
            *(
                (f"follow-ups: {KIND_NOUNS.get(k, k)}", n)
                for k, n in sorted(totals.follow_ups.items())
            ),
            ("follow-ups open / done", f"{totals.open_follow_ups} / {totals.done_follow_ups}"),
            ("events that are not interviews", totals.skipped),
            ("failures", totals.failures),
        ]
        for label, count in rows:
            table.add_row(
                label, str(count), style="bold red" if label == "failures" and count else None
            )
        self.console.print(table)
        return totals

    def closing(self, files: DemoFiles, seconds: float) -> None:
        """Where the demo left its files."""
        self.console.print(
            f"Done in {seconds:.1f} s. Left behind in {files.output}/:\n"
            f"  {files.database.name}  (the store: `followthrough status` with "
            f"FOLLOWTHROUGH_DATABASE_URL={files.database_url})\n"
            f"  {files.dump.name}  (the sandbox's final state: drafts, tasks, Airtable)\n"
            f"  {files.credentials.name}  (the sandbox's Google credentials, mode 0600)",
            highlight=False,
        )


def count_totals(runtime: Runtime, sandbox: Sandbox, passes: int, failures: int) -> DemoTotals:
    """The demo's totals, from the store and the sandbox."""
    rows = follow_ups(runtime)
    drafts = sandbox.drafts()
    completed = [m for m in meetings(runtime) if m.status == "completed"]
    statuses = Counter(f.status for f in rows)
    return DemoTotals(
        passes=passes,
        drafts=len(drafts),
        drafts_sent=sum(1 for d in drafts if d.get("sent")),
        completed=sum(1 for m in completed if not m.history),
        history=sum(1 for m in completed if m.history),
        follow_ups=dict(Counter(f.kind for f in rows)),
        open_follow_ups=statuses.get("open", 0),
        done_follow_ups=statuses.get("done", 0),
        skipped=len(skipped_events(runtime)),
        failures=failures,
    )


def _first_read(sync: SyncReport) -> str:
    if sync.source == GMAIL:  # its first pass reads nothing: it notes where the mailbox stands
        return GMAIL_FIRST_READ
    return f"first read: {sync.records} {SOURCE_NOUNS.get(sync.source, sync.source)}"


def _first_lines(body: str) -> list[str]:
    lines = [line.rstrip() for line in body.splitlines() if line.strip()]
    return lines[:BODY_LINES] + (["…"] if len(lines) > BODY_LINES else [])
