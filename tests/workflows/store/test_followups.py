"""Follow-ups: one per key; open ones block a second progress update; the per-day count."""

from __future__ import annotations

import datetime as dt

from tests.workflows.store.conftest import race
from workflows.rules.people import PersonView
from workflows.store.db import Database
from workflows.store.followups import (
    add_followup,
    count_due_between,
    open_followups,
    set_status,
)
from workflows.store.people import save_person

DAY = dt.date(2026, 3, 3)
AT = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def _jane(db: Database) -> int:
    with db.transaction() as s:
        return save_person(s, PersonView(name="Jane", emails=("jane@example.org",))).id


def test_one_key_makes_one_followup_even_when_workers_race(db: Database) -> None:
    def add(_: int) -> bool:
        with db.transaction() as s:
            _followup, created = add_followup(
                s, key="thank-you:evt1:2026-03-02", kind="thank_you", title="Thank Jane", due=DAY
            )
            return created

    assert sorted(race(4, add)) == [False, False, False, True]
    with db.read() as s:
        assert [f.title for f in open_followups(s)] == ["Thank Jane"]


def test_an_open_progress_update_blocks_a_second_until_done(db: Database) -> None:
    jane = _jane(db)
    with db.transaction() as s:
        update, _ = add_followup(
            s,
            key="update:jane:2026-03-03",
            kind="progress_update",
            title="Send Jane an update on your progress",
            due=DAY,
            person_id=jane,
        )
        assert [f.person_id for f in open_followups(s, kinds=["progress_update"])] == [jane]
        assert count_due_between(s, DAY, DAY, kind="progress_update") == {DAY: 1}
    with db.transaction() as s:
        s.add(update)
        assert set_status(update, "done", at=AT)
    with db.read() as s:
        assert open_followups(s, kinds=["progress_update"]) == []


def test_open_followups_filter_by_due_date_and_account(db: Database) -> None:
    with db.transaction() as s:
        add_followup(s, key="a", kind="action_item", title="Send the article", due=DAY)
        add_followup(
            s, key="b", kind="action_item", title="Intro to Sam", due=DAY + dt.timedelta(days=7)
        )
        add_followup(s, key="a", kind="action_item", title="Other account", due=DAY, account="bob")
    with db.read() as s:
        assert [f.title for f in open_followups(s, due_by=DAY)] == ["Send the article"]
        assert [f.title for f in open_followups(s, account="bob")] == ["Other account"]
