"""The contacts token: renewed by a change to who the contacts are, on both backends."""

from __future__ import annotations

from workflows.store.contact_changes import contacts_token
from workflows.store.db import Database
from workflows.store.models import Person, PersonEmail
from workflows.store.people import forget_airtable_records_except


def _token(db: Database) -> str | None:
    with db.read() as session:
        return contacts_token(session, account="default")


def test_a_contact_s_new_address_and_a_bulk_removal_renew_the_token(db: Database) -> None:
    with db.transaction() as session:
        ada = Person(account="default", airtable_record_id="recAda", name="Ada")
        session.add(ada)
    first = _token(db)
    with db.transaction() as session:
        session.add(
            PersonEmail(account="default", person_id=ada.id, email="a@x.ex", original="a@x.ex")
        )
    second = _token(db)
    with db.transaction() as session:
        assert forget_airtable_records_except(session, [], account="default") == 1
    third = _token(db)

    assert None not in (first, second, third)
    assert len({first, second, third}) == 3


def test_an_attendee_stored_or_a_change_rolled_back_leaves_the_token(db: Database) -> None:
    with db.transaction() as session:
        session.add(Person(account="default", airtable_record_id="recAda", name="Ada"))
    before = _token(db)
    with db.transaction() as session:
        session.add(Person(account="default", name="Someone at a meeting"))
    try:
        with db.transaction() as session:
            session.add(Person(account="default", airtable_record_id="recBo", name="Bo"))
            session.flush()
            raise RuntimeError("the pass failed")
    except RuntimeError:
        pass

    assert _token(db) == before
