"""A large account syncs in a number of database statements that does not grow with its size.

The first sync of an account reads thousands of events and contacts; a statement or three
per record made it take minutes (bench/: 10,000 events and 5,000 contacts took 150 s, the
API floor being 23 s). Each page is read and written in a handful of statements instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    fast,
    followups,
    google_person,
    guest,
    meeting,
    world,
)
from workflows.passes import run_once
from workflows.runtime import Runtime
from workflows.store.models import WebhookChannel
from workflows.store.people import find_person
from workflows.sync import sync_source
from workflows.sync.airtable import read_back_own_writes

NOW = at(2026, 3, 2, 9)
COLLEAGUES = [guest(f"colleague{i}@example.com") for i in range(5)]


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements the store executes inside the block (an executemany counts once)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(runtime.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", record)


def lookups(seen: list[str]) -> list[str]:
    """The statements other than INSERTs.

    A new person or address is one INSERT each on SQLite, whose RETURNING order SQLAlchemy
    cannot rely on to batch rows it must then know by id; what must not grow with the
    account is the look-ups and updates.
    """
    return [s for s in seen if not s.lstrip().upper().startswith("INSERT")]


def test_a_calendar_page_costs_a_few_statements_whatever_its_size(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [
        meeting(f"evt{i:05d}", f"Team sync {i}", at(2026, 2, 1 + i % 27, 9), attendees=COLLEAGUES)
        for i in range(600)
    ]
    sandbox: Sandbox = sandbox_factory(world(events=events), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)

    with statements(runtime) as seen:
        report = sync_source(runtime, "google_calendar")

    assert report.records == 600
    assert len(lookups(seen)) < 60, f"{len(lookups(seen))} look-ups for 600 events"
    assert sum("INSERT INTO events" in s for s in seen) == 1  # the page's events together


def test_contacts_pages_cost_a_few_statements_whatever_their_size(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    people = [
        google_person(f"people/c{i:06d}", f"Gina {i}", f"g{i}@people.example") for i in range(600)
    ]
    sandbox: Sandbox = sandbox_factory(world(contacts=people), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)

    with statements(runtime) as seen:
        report = sync_source(runtime, "google_contacts")

    assert report.records == 600
    assert len(lookups(seen)) < 60, f"{len(lookups(seen))} look-ups for 600 contacts"


def test_judging_recent_events_again_costs_a_few_statements_whatever_their_number(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    events = [
        meeting(f"evt{i:05d}", f"Team sync {i}", at(2026, 3, 3 + i % 20, 9), attendees=COLLEAGUES)
        for i in range(300)
    ]
    sandbox: Sandbox = sandbox_factory(world(events=events), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)
    for source in ("airtable", "google_contacts", "google_calendar"):
        sync_source(runtime, source)
    sandbox.airtable.create_record("Contacts", {"Name": "Ada", "Email": "ada@x.example"})
    sync_source(runtime, "airtable")  # the active contacts changed: recent events judged again

    with statements(runtime) as seen:
        sync_source(runtime, "google_calendar")

    assert len(lookups(seen)) < 60, f"{len(lookups(seen))} look-ups to judge 300 events again"


def test_a_quiet_calendar_pass_reads_no_contact_when_none_changed(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    contacts = [
        airtable_contact(f"recAda{i:010d}", Name=f"Ada {i}", Email=f"ada{i}@x.example")
        for i in range(50)
    ]
    sandbox: Sandbox = sandbox_factory(world(airtable=contacts), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)
    for source in ("airtable", "google_contacts", "google_calendar", "google_calendar"):
        sync_source(runtime, source)

    with statements(runtime) as quiet:
        sync_source(runtime, "google_calendar")
    sandbox.airtable.create_record("Contacts", {"Name": "Bo", "Email": "bo@x.example"})
    sync_source(runtime, "airtable")
    with statements(runtime) as after_a_change:
        sync_source(runtime, "google_calendar")

    assert not [s for s in quiet if "FROM people" in s]  # the contacts are not hashed again
    assert [s for s in after_a_change if "FROM people" in s]  # until one changed


def test_a_pass_with_every_due_contact_reminded_costs_a_few_statements(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    due = [
        airtable_contact(
            f"recDue{i:010d}",
            Name=f"Due {i}",
            Email=f"due{i}@x.example",
            Next_Update_Due="2026-02-01",
        )
        for i in range(120)
    ]
    sandbox: Sandbox = sandbox_factory(world(airtable=due), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)
    run_once(runtime)
    assert len(followups(sandbox, "Progress update")) == 120  # each due contact reminded once

    with statements(runtime) as seen:
        run_once(runtime)

    assert len(followups(sandbox, "Progress update")) == 120
    assert len(seen) < 60, f"{len(seen)} statements for a pass with 120 contacts reminded"


def test_a_pass_reads_past_its_own_writes_so_the_next_quiet_pass_costs_one_request_each(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada", Email="ada@x.example", Stage="Met")
    sandbox: Sandbox = sandbox_factory(world(airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=NOW), sandbox)
    assert run_once(runtime).ok  # the first pass: the change feed starts
    # A big pass's 120 write requests fill the feed; the user edits Ada in the middle of them
    client = runtime.need_airtable()
    rows = [FollowUpWrite(key=f"key-{i}", title=f"Follow-up {i}") for i in range(120)]
    for row in rows[:60]:
        upsert(client, [row])
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Keeping in touch"})
    for row in rows[60:]:
        upsert(client, [row])

    read = read_back_own_writes(runtime, writes=120)

    assert read is not None and read.records == 1  # only Ada's edit, among 121 payloads
    with runtime.db.read() as session:
        person = find_person(session, "ada@x.example", account=runtime.account)
        assert person is not None and person.stage == "Keeping in touch"
    # The next pass, even in a new process, costs one request per source (no `whoami`)
    fresh = fast(make_runtime(sandbox, now=NOW, init=False), sandbox)
    sandbox.reset_requests()
    assert run_once(fresh).ok
    assert sandbox.request_counts() == {
        "airtable.webhooks.payloads": 1,
        "calendar.events.list": 1,
        "people.connections.list": 1,
    }


def test_a_new_public_url_moves_the_airtable_webhook_without_reading_the_base_again(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada", Email="ada@x.example", Stage="Met")
    sandbox: Sandbox = sandbox_factory(world(airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE)
    old, new = "http://127.0.0.1:9/old", "http://127.0.0.1:9/new"  # nothing answers: no matter
    runtime = fast(make_runtime(sandbox, now=NOW, public_url=old), sandbox)
    assert run_once(runtime).ok
    # The service moves; meanwhile the user edits Ada
    runtime.config = replace(runtime.config, public_url=new)
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Stage": "Keeping in touch"})
    sandbox.reset_requests()

    assert run_once(runtime).ok

    hooks = sandbox.airtable.webhooks.listing()
    assert [h["notificationUrl"] for h in hooks] == [f"{new}/webhooks/airtable"]
    with runtime.db.read() as session:
        person = find_person(session, "ada@x.example", account=runtime.account)
        assert person is not None and person.stage == "Keeping in touch"
    assert sandbox.request_counts().get("airtable.records.list") == 1  # Ada's row, not the base
    # and the pass after is an ordinary one on the new webhook
    sandbox.reset_requests()
    assert run_once(runtime).ok
    assert sandbox.request_counts().get("airtable.webhooks.payloads") == 1
    assert "airtable.webhooks.create" not in sandbox.request_counts()


def test_a_webhook_stored_before_addresses_were_is_looked_up_once_and_kept(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox: Sandbox = sandbox_factory(world(), airtable_rate_limit=FAST_AIRTABLE)
    url = "http://127.0.0.1:9/followthrough"
    runtime = fast(make_runtime(sandbox, now=NOW, public_url=url), sandbox)
    assert run_once(runtime).ok
    with runtime.db.transaction() as session:  # as a database from before migration 0003
        session.execute(sa.update(WebhookChannel).values(address=None))
    sandbox.reset_requests()

    assert run_once(runtime).ok
    assert run_once(runtime).ok

    counts = sandbox.request_counts()
    assert counts.get("airtable.webhooks.list") == 1
    assert "airtable.webhooks.create" not in counts
    assert counts.get("airtable.webhooks.payloads") == 2
