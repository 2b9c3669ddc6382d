"""The sweep over a long run: finished due work is purged, and nothing done is done again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    clean_pass,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.duework.dispatch import FINISHED_KEPT_FOR, purge_finished
from workflows.migrations import upgrade
from workflows.passes import PassReport, run_due
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store import due
from workflows.store.base import Base
from workflows.store.db import Database
from workflows.store.models import DueWork

ADA = "ada@analytical.example"
DAYS = 365
EVERY = 14  # a coffee chat a fortnight
ROWS_PER_CHAT = 4  # its completion, its row written while still ahead, its brief and its start
PER_CHAT = {"events", "meetings", "followups", "effects"}  # what the user did: one row a chat


def _due_rows(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(DueWork)) or 0)


def _table_rows(runtime: Runtime) -> dict[str, int]:
    with runtime.db.read() as session:
        return {
            name: int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }


def _sweep(runtime: Runtime, now: dt.datetime) -> None:
    """The day's sweep: what is due runs, reminders come, old finished work goes."""
    set_now(runtime, now)
    report = PassReport()
    run_due(runtime, report)
    assert report.ok, report.failures


def test_a_year_of_daily_sweeps_keeps_due_work_bounded_and_redoes_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada in Airtable, and a coffee chat with her put on the calendar every other week, the
    # day before it (the change is synced); every day, the service sweeps
    row = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    sandbox: Sandbox = sandbox_factory(world(airtable=[row]), airtable_rate_limit=FAST_AIRTABLE)
    start = at(2026, 3, 2, 12)
    runtime = fast(make_runtime(sandbox, now=start), sandbox)
    chats, rows = 0, []
    for day in range(DAYS):
        today = start + dt.timedelta(days=day)
        if day % EVERY == 0 and day < DAYS - 1:
            chat = today + dt.timedelta(days=1) - dt.timedelta(hours=2)
            sandbox.add_event(meeting(f"evt{day:03d}", "Coffee chat", chat, attendees=[guest(ADA)]))
            chats += 1
            clean_pass(runtime, today)
        elif day == DAYS - 30:  # Google drops the sync token: old chats are read again in full
            sandbox.expire_sync_tokens()
            clean_pass(runtime, today)
        else:
            _sweep(runtime, today)
        rows.append(_due_rows(runtime))
        if day == DAYS // 2:
            midyear = _table_rows(runtime)

    # Then the due-work table never held more than a few weeks of chats, however long it ran
    bound = ROWS_PER_CHAT * (FINISHED_KEPT_FOR.days // EVERY + 2)
    assert max(rows) <= bound < ROWS_PER_CHAT * chats, rows
    # and every other table grew with the chats (one row each) or not at all
    tables = _table_rows(runtime)
    assert all(tables[name] == chats for name in PER_CHAT), tables
    bookkeeping = set(tables) - PER_CHAT - {"due_work", "airtable_writes"}
    assert {n: tables[n] for n in bookkeeping} == {n: midyear[n] for n in bookkeeping}
    # and the digests of Followthrough's own Airtable writes (about twenty a chat) are kept for
    # the week Airtable keeps its payloads, not for the year
    assert 0 < tables["airtable_writes"] <= 2 * 20 < 20 * chats, tables
    # and every chat had one thank-you draft and one Thank-you follow-up, none made twice
    assert len(drafts(sandbox)) == chats
    assert len(followups(sandbox, "Thank-you")) == chats
    completed = meetings_by_event(sandbox).values()
    assert len(completed) == chats and all(m["Status"] == "Completed" for m in completed)


def test_old_finished_work_is_purged_once_a_day(tmp_path: Path) -> None:
    # Given work that fell due long ago and was done, and a runtime on that store
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    now = at(2026, 6, 1, 12)
    runtime = Runtime(db=Database(url), config=WorkflowConfig(), clock=Clock.frozen_at(now))
    long_ago = now - FINISHED_KEPT_FOR - dt.timedelta(days=1)

    def finished(key: str) -> None:
        with runtime.db.transaction() as session:
            due.schedule(session, "complete_meeting", key, long_ago)
            due.mark_done(session, "complete_meeting", key)

    try:
        finished("evt1")
        with runtime.db.transaction() as session:
            due.schedule(session, "complete_meeting", "evt-pending", long_ago)
        # When the day's first sweep purges, and more such work is finished the same day
        assert purge_finished(runtime) == 1
        finished("evt2")
        # Then the day's later sweeps leave it, and the next day's first sweep takes it
        assert purge_finished(runtime) == 0
        set_now(runtime, now + dt.timedelta(days=1))
        assert purge_finished(runtime) == 1
        assert _due_rows(runtime) == 1  # the work not done stays, however old
    finally:
        runtime.db.dispose()
