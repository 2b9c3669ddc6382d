"""`followthrough demo`: the embedded service against the sandbox's demo world, weeks in seconds.

The demo starts the sandbox in this process with the demo fixture, points a runtime at it
(an SQLite file in the output directory, never the user's followthrough.db), runs
`airtable init`, then steps a frozen clock from the fixture's "now" through its weeks, one
pass per step, while the user's part of the story (service.demo.script) changes the world
between passes. Its credentials grant the optional gmail.metadata scope, as `auth google
--mail-metadata` would, so a thank-you sent and answered is noticed (service.demo.mail). It
prints an account of what it did (service.demo.account), leaves the database and a JSON dump
of the sandbox's final state behind, and can keep serving the status page for that database.

    with Demo(settings, Path("followthrough-demo")) as demo:
        result = demo.play()
        demo.serve(stop_event)          # optional: the status page until stop_event is set
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import structlog
from pydantic import SecretStr
from rich.console import Console

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import Contacts
from connectors.errors import ConfigurationError
from connectors.google.consent import requested_scopes
from connectors.sandbox.fixture import DEMO_FIXTURE, fixture_now
from connectors.sandbox.server import Sandbox
from service.demo.account import Account, DemoTotals, Step
from service.demo.ask import DEMO_ABOUT_ME
from service.demo.brief import brief_actions
from service.demo.ending import finish, print_ending
from service.demo.files import DemoFiles, write_private
from service.demo.mail import mail_cells, mail_lines
from service.demo.script import UserAction, demo_actions
from service.settings import Settings, env_name
from service.web.context import BasicContext
from service.wiring import build_runtime
from workflows.duework import notes_changed, progress_done
from workflows.owed import user_zone_of
from workflows.passes import PassReport, run_once
from workflows.queries.home import home
from workflows.queries.listings import MeetingView, follow_ups, meetings
from workflows.queries.skipped import skipped_events
from workflows.revisions import Revision
from workflows.rules.clock import Clock
from workflows.runtime import Runtime

log = structlog.get_logger(__name__)

DEFAULT_STEP = dt.timedelta(hours=8)
AIRTABLE_PENALTY_SECONDS = 2.0  # a stray 429 costs the demo seconds, not Airtable's 30
TAIL = dt.timedelta(days=1)  # the demo runs this long past the fixture's last meeting


@dataclass
class DemoResult:
    """What a demo run did, for the command's exit code and for tests."""

    files: DemoFiles
    totals: DemoTotals
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every pass synced every source and ran every due item."""
        return not self.failures


def demo_settings(base: Settings, sandbox: Sandbox, files: DemoFiles) -> Settings:
    """The user's settings with everything that reaches the outside world pointed at the sandbox.

    A copy, not a re-validation: FOLLOWTHROUGH_* variables in the environment (a real
    DATABASE_URL, a real Airtable base) must not win over the sandbox here.
    """
    user = sandbox.fixture.get("google", {}).get("user", {})
    return base.model_copy(
        update={
            "database_url": files.database_url,
            "broker_url": "",
            "redis_url": None,
            "google_credentials_file": files.credentials,
            "google_api_endpoint": sandbox.url,
            "calendar_id": "primary",
            "airtable_token": SecretStr(sandbox.airtable_token),
            "airtable_base_id": sandbox.airtable_base_id,
            "airtable_endpoint": sandbox.url,
            "public_url": None,
            "now": None,
            "sender_name": base.sender_name or user.get("name"),
            "about_me": base.about_me or DEMO_ABOUT_ME,
        }
    )


def status_context(runtime: Runtime) -> BasicContext:
    """A web context whose status page shows `runtime`'s store (no webhooks, no broker)."""

    def database() -> bool:
        runtime.db.ping()
        return True

    return BasicContext({"database": database}, lambda: home(runtime))


class Demo:
    """The sandbox, a runtime on it and the demo's files; a context manager."""

    def __init__(
        self,
        settings: Settings,
        output: Path,
        *,
        fixture: dict[str, Any] | str | Path = DEMO_FIXTURE,
        step: dt.timedelta = DEFAULT_STEP,
        console: Console | None = None,
    ) -> None:
        self.base_settings = settings
        self.settings = settings  # pointed at the sandbox once it runs (see __enter__)
        self.files = DemoFiles(output)
        self.step = step
        self.console = console or Console()
        self.sandbox = Sandbox(fixture, airtable_penalty_seconds=AIRTABLE_PENALTY_SECONDS)
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        """The runtime on the sandbox (available inside the `with` block)."""
        if self._runtime is None:
            raise RuntimeError("use Demo as a context manager: `with Demo(...) as demo:`")
        return self._runtime

    def __enter__(self) -> Demo:
        self.files.output.mkdir(parents=True, exist_ok=True)
        self.files.remove_previous_database()
        self.sandbox.start()
        try:
            granted = self.sandbox.google_credentials(list(requested_scopes(mail_metadata=True)))
            write_private(self.files.credentials, json.dumps(granted))
            self.settings = demo_settings(self.base_settings, self.sandbox, self.files)
            self._runtime = build_runtime(self.settings)
        except BaseException:
            self.sandbox.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runtime is not None:
            self._runtime.db.dispose()
        self.sandbox.stop()

    def play(self) -> DemoResult:
        """Set up Airtable, step through the fixture's weeks, print the account, dump the world."""
        started = time.monotonic()
        account = Account(self.console)
        start = fixture_now(self.sandbox.fixture) or self.runtime.now()
        end = _last_meeting_end(self.sandbox.fixture, start) + TAIL
        account.opening(self.settings, self.sandbox.url, start, end)
        account.setup(init_schema(self.runtime.need_airtable()).lines())
        actions = demo_actions(self.sandbox, start) + brief_actions(self.sandbox, start)
        times = _timeline(start, end, self.step, actions)
        failures = self._run(times, account)
        account.zone = user_zone_of(self.runtime)
        seen = {event["id"]: event for event in self.sandbox.events()}
        account.skipped(skipped_events(self.runtime, seen))
        days = (end - start).days
        totals = account.totals(self.runtime, self.sandbox, len(times), len(failures), days)
        finale = finish(self.runtime, self.files.output)
        self.files.dump.write_text(json.dumps(self.sandbox.state(), indent=2, default=str))
        account.closing(self.files, time.monotonic() - started)
        print_ending(self.console, finale)
        log.info("demo.done", passes=len(times), failures=len(failures))
        return DemoResult(self.files, totals, failures)

    def _run(
        self, times: list[tuple[dt.datetime, list[UserAction]]], account: Account
    ) -> dict[str, str]:
        """One pass per instant, after the user's actions at it; returns every failure."""
        failures: dict[str, str] = {}
        for at, actions in times:
            step = self._step(at, actions)
            account.step(step)
            failures.update({f"{at.isoformat()} {k}": v for k, v in step.report.failures.items()})
        return failures

    def _step(self, at: dt.datetime, actions: list[UserAction]) -> Step:
        said = [text for text in (action.act(self.sandbox) for action in actions) if text]
        self.runtime.clock = Clock.frozen_at(at)
        before = {f.key: f for f in follow_ups(self.runtime)}
        contacts, cells = _contact_rows(self.sandbox), mail_cells(self.sandbox)
        report = run_once(self.runtime)
        after = follow_ups(self.runtime)
        zone = user_zone_of(self.runtime)
        return Step(
            at=at.astimezone(zone),
            said=said,
            report=report,
            drafts={d["id"]: d for d in self.sandbox.drafts()},
            new_contacts=[
                name for key, name in _contact_rows(self.sandbox).items() if key not in contacts
            ],
            new_follow_ups=[f for f in after if f.key not in before],
            progress=_progress_done(self.runtime, report),
            notes=_notes_changed(self.runtime, report),
            mail=mail_lines(cells, mail_cells(self.sandbox), before, after, zone),
        )

    def serve(
        self, stop: threading.Event, host: str | None = None, port: int | None = None
    ) -> None:
        """Serve the status page of the demo's store until `stop` is set."""
        from service.web.app import create_app
        from service.web.server import WebServer

        app = create_app(status_context(self.runtime))
        chosen_host = host or self.settings.http_host
        chosen_port = self.settings.http_port if port is None else port
        try:
            server = WebServer(app, chosen_host, chosen_port)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot serve the status page on {chosen_host}:{chosen_port} ({exc.strerror}); "
                f"set {env_name('http_port')} to a free port"
            ) from None
        with server:
            self.console.print(
                f"Status page: [bold]{server.url}/[/bold] (sandbox at {self.sandbox.url}); "
                "Ctrl-C to stop."
            )
            stop.wait()


def _last_meeting_end(fixture: dict[str, Any], start: dt.datetime) -> dt.datetime:
    """The end of the fixture's last one-off timed event (recurring series run on for months)."""
    ends = [start]
    for calendar in fixture.get("google", {}).get("calendars", {}).values():
        for event in calendar.get("events", []):
            when = (event.get("end") or {}).get("dateTime")
            if when and not event.get("recurrence") and event.get("status") != "cancelled":
                ends.append(dt.datetime.fromisoformat(when))
    return max(ends)


def _timeline(
    start: dt.datetime, end: dt.datetime, step: dt.timedelta, actions: list[UserAction]
) -> list[tuple[dt.datetime, list[UserAction]]]:
    """Every instant a pass runs (each step, and each user action), with the actions at it."""
    instants = {start + step * n for n in range(int((end - start) / step) + 1)}
    instants |= {a.at for a in actions if start <= a.at <= end}
    return [(t, [a for a in actions if a.at == t]) for t in sorted(instants)]


def _contact_rows(sandbox: Sandbox) -> dict[str, str]:
    """The Airtable Contacts rows by record id: their names (or emails)."""
    rows = sandbox.airtable.records(Contacts.TABLE)
    return {
        r["id"]: str(r["fields"].get(Contacts.NAME) or r["fields"].get(Contacts.EMAIL))
        for r in rows
    }


def _progress_done(runtime: Runtime, report: PassReport) -> list[tuple[str, dt.date]]:
    """(contact, next update due) for each progress update the user marked Done."""
    moved = [d for d in report.done if d.item.kind == progress_done.KIND]
    if not moved:
        return []
    contacts = {f.id: f.contact for f in follow_ups(runtime)}
    return [
        (contacts.get(int(done.item.payload["followup_id"]), ""), done.result)
        for done in moved
        if isinstance(done.result, dt.date)
    ]


def _notes_changed(runtime: Runtime, report: PassReport) -> list[tuple[MeetingView, Revision]]:
    """(meeting, what became of its draft) for each meeting whose notes the user edited."""
    changed = [d for d in report.done if d.item.kind == notes_changed.KIND]
    if not changed:
        return []
    by_id = {m.id: m for m in meetings(runtime)}
    found = [(by_id.get(int(d.item.payload["meeting_id"])), d.result) for d in changed]
    return [(meeting, revision) for meeting, revision in found if meeting is not None]
