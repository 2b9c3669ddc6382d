"""A pass with nothing changed writes nothing, and the status page still tells the truth.

The long-running service makes a pass every minute or so, and nearly all of them find
nothing new: rewriting each cursor, fact and source's status every time cost most of such a
pass's CPU (issue 17). What the user sees must not change: each source reads healthy with a
recent success, a failure is followed by "healthy" as soon as the source syncs again, and a
change that comes without new events (the calendar's time zone) is still learned.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_sync_cost import statements
from tests.workflows.world import FAST_AIRTABLE, airtable_contact, at, fast, guest, meeting, world
from workflows.facts import CALENDAR_ZONE, get_fact
from workflows.passes import run_once
from workflows.runtime import Runtime
from workflows.store.status import source_health

NOW = at(2026, 3, 2, 9)
ADA = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email="ada@x.example")
CHAT = meeting(
    "evtAda", "Informational interview", at(2026, 3, 9, 14), attendees=[guest("ada@x.example")]
)
WRITES = ("INSERT", "UPDATE", "DELETE")


def _quiet_account(sandbox_factory: Any, make_runtime: RuntimeFactory) -> tuple[Sandbox, Runtime]:
    """An account past its first pass and the one after it (which reads back the first's)."""
    fixture = world(events=[CHAT], airtable=[ADA])
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)
    assert run_once(runtime).ok and run_once(runtime).ok
    return sandbox, runtime


def _healthy(runtime: Runtime) -> dict[str, bool]:
    with runtime.db.read() as session:
        return {h.source: h.healthy for h in source_health(session, account=runtime.account)}


def test_a_pass_with_nothing_changed_writes_nothing_and_every_source_still_reads_healthy(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    _, runtime = _quiet_account(sandbox_factory, make_runtime)

    with statements(runtime) as seen:
        assert run_once(runtime).ok

    queries = [s for s in seen if not s.upper().startswith("BEGIN")]
    written = [s for s in queries if s.lstrip().upper().startswith(WRITES)]
    assert written == [], f"a pass with nothing changed wrote: {written}"
    assert len(queries) <= 16, f"{len(queries)} statements for a pass with nothing changed"
    assert _healthy(runtime) == {
        "airtable": True, "gmail": True, "google_calendar": True, "google_contacts": True
    }  # fmt: skip


def test_a_source_that_failed_reads_healthy_as_soon_as_it_syncs_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _quiet_account(sandbox_factory, make_runtime)
    sandbox.fail_next("calendar.events.list", 503, times=20)
    assert not run_once(runtime).ok
    assert _healthy(runtime)["google_calendar"] is False

    sandbox.clear_faults()
    assert run_once(runtime).ok  # within the same minute as the last quiet success

    assert _healthy(runtime)["google_calendar"] is True


def test_a_new_calendar_time_zone_is_learned_though_no_event_changed(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _quiet_account(sandbox_factory, make_runtime)
    for calendar in sandbox.calendar_api.calendars.values():
        calendar.time_zone = "Europe/Paris"  # the user moved; no event changed

    assert run_once(runtime).ok

    with runtime.db.read() as session:
        assert get_fact(session, CALENDAR_ZONE, account=runtime.account) == "Europe/Paris"
