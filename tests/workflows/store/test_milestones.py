"""Milestones in the store: one per Airtable row; news only when new or its date or contacts
change; gone with its row; found by the contacts linked to it."""

from __future__ import annotations

import datetime as dt

from workflows.store.db import Database
from workflows.store.milestones import (
    MilestoneValues,
    forget_milestone,
    milestones_of,
    save_milestone,
)

AT = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
OFFER = MilestoneValues("recM1", "Accepted an offer", dt.date(2026, 3, 2), None, ("recAda",))


def _save(db: Database, values: MilestoneValues) -> bool:
    with db.transaction() as s:
        return save_milestone(s, values, now=AT)[1]


def test_a_milestone_is_news_when_new_or_when_its_date_or_contacts_change(db: Database) -> None:
    assert _save(db, OFFER) is True
    assert _save(db, OFFER) is False
    assert (
        _save(
            db, MilestoneValues("recM1", "Accepted Figma's offer", OFFER.date, "yay", ("recAda",))
        )
        is False
    )
    assert (
        _save(db, MilestoneValues("recM1", "Accepted", dt.date(2026, 3, 4), None, ("recAda",)))
        is True
    )
    assert (
        _save(
            db,
            MilestoneValues("recM1", "Accepted", dt.date(2026, 3, 4), None, ("recAda", "recBob")),
        )
        is True
    )
    with db.read() as s:
        (row,) = milestones_of(s, "recBob")
        assert (row.what, row.contact_ids) == ("Accepted", ["recAda", "recBob"])


def test_milestones_of_a_contact_come_by_date_and_go_with_their_row(db: Database) -> None:
    _save(db, OFFER)
    _save(
        db, MilestoneValues("recM0", "Finished the course", dt.date(2026, 2, 1), None, ("recAda",))
    )
    _save(db, MilestoneValues("recM2", "Someone else's news", None, None, ("recBob",)))
    with db.read() as s:
        assert [m.airtable_record_id for m in milestones_of(s, "recAda")] == ["recM0", "recM1"]
    with db.transaction() as s:
        assert forget_milestone(s, "recM0") is True
        assert forget_milestone(s, "recM9") is False
    with db.read() as s:
        assert [m.airtable_record_id for m in milestones_of(s, "recAda")] == ["recM1"]
