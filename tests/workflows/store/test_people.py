"""People: one person across sources, found by any folded email; Airtable wins."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

import pytest

from connectors.airtable.tables import AirtableContact
from connectors.records import GoogleContact
from workflows.rules.people import merge_person
from workflows.store.db import Database
from workflows.store.followups import add_followup, set_status
from workflows.store.people import (
    find_person,
    forget_airtable_record,
    people_due_for_update,
    person_by_google_resource,
    person_view,
    save_person,
)

JANE_AIRTABLE = AirtableContact(
    record_id="recJane",
    name="Jane Doe",
    email="Jane.Doe@gmail.com",
    company=None,
    stage="Met",
    next_update_due=dt.date(2026, 3, 1),
    update_every_days=30,
)
JANE_GOOGLE = GoogleContact(
    resource_name="people/c1",
    display_name="Janie D",
    emails=("janedoe+work@googlemail.com", "jane@acme.example"),
    company="Acme",
    role="Engineer",
)


def test_a_person_in_both_sources_is_one_person_found_by_any_email(db: Database) -> None:
    # Given Jane as Google knows her, then as Airtable knows her
    with db.transaction() as s:
        save_person(s, merge_person(None, JANE_GOOGLE))
        save_person(s, merge_person(JANE_AIRTABLE, JANE_GOOGLE))
    # Then every one of her addresses, however spelled, finds the same person
    with db.read() as s:
        found = {
            find_person(s, email).id  # type: ignore[union-attr]
            for email in ("jane.doe@gmail.com", "JANEDOE@googlemail.com", "Jane@Acme.example")
        }
        person = find_person(s, "j.a.n.e.d.o.e+x@gmail.com")
        assert person is not None
        view = person_view(person)
    assert len(found) == 1
    # Airtable's fields win, Google fills the company and role Airtable lacks
    assert (view.name, view.company, view.role) == ("Jane Doe", "Acme", "Engineer")
    assert view.email == "Jane.Doe@gmail.com"
    assert (view.airtable_id, view.google_resource) == ("recJane", "people/c1")


def test_a_later_google_change_does_not_override_airtable(db: Database) -> None:
    with db.transaction() as s:
        save_person(s, merge_person(JANE_AIRTABLE, None))
    renamed = GoogleContact(
        resource_name="people/c1", display_name="J. Doe", emails=("jane.doe@gmail.com",)
    )
    with db.transaction() as s:
        save_person(s, merge_person(None, renamed))
    with db.read() as s:
        person = person_by_google_resource(s, "people/c1")
        assert person is not None and person.name == "Jane Doe" and person.stage == "Met"


@pytest.mark.parametrize("google_first", [True, False])
def test_google_fills_the_company_airtable_lacks_whichever_is_read_first(
    db: Database, google_first: bool
) -> None:
    # Jane's Airtable row has no company or role; Google knows both
    sources = [merge_person(None, JANE_GOOGLE), merge_person(JANE_AIRTABLE, None)]
    for view in sources if google_first else sources[::-1]:
        with db.transaction() as s:
            save_person(s, view)

    def company_and_role() -> tuple[str | None, str | None]:
        with db.read() as s:
            view = person_view(find_person(s, "jane@acme.example"))  # type: ignore[arg-type]
        return view.company, view.role

    assert company_and_role() == ("Acme", "Engineer")
    # The user types a company into Airtable: theirs wins over Google's
    with db.transaction() as s:
        save_person(s, merge_person(replace(JANE_AIRTABLE, company="Initech"), None))
    assert company_and_role() == ("Initech", "Engineer")
    # Google's changes later: Airtable's still wins; the user empties it: Google's shows again
    moved = replace(JANE_GOOGLE, company="Globex")
    with db.transaction() as s:
        save_person(s, merge_person(None, moved))
    assert company_and_role() == ("Initech", "Engineer")
    with db.transaction() as s:
        save_person(s, merge_person(JANE_AIRTABLE, None))
    assert company_and_role() == ("Globex", "Engineer")


def test_two_airtable_contacts_with_one_email_stay_two_people(db: Database) -> None:
    twin = AirtableContact(record_id="recTwin", name="Jane Twin", email="jane.doe@gmail.com")
    with db.transaction() as s:
        first = save_person(s, merge_person(JANE_AIRTABLE, None))
        second = save_person(s, merge_person(twin, None))
    assert first.id != second.id
    with db.read() as s:
        owner = find_person(s, "jane.doe@gmail.com")
        assert owner is not None and owner.airtable_record_id == "recJane"


def test_people_due_for_update_are_active_airtable_contacts(db: Database) -> None:
    inactive = AirtableContact(
        record_id="recOld",
        name="Old Friend",
        email="old@example.org",
        stage="Inactive",
        next_update_due=dt.date(2026, 2, 1),
    )
    with db.transaction() as s:
        save_person(s, merge_person(JANE_AIRTABLE, None))
        save_person(s, merge_person(inactive, None))
        save_person(s, merge_person(None, JANE_GOOGLE.__class__(resource_name="people/c9")))
    with db.transaction() as s:
        assert [p.name for p in people_due_for_update(s, dt.date(2026, 3, 1))] == ["Jane Doe"]
        forget_airtable_record(s, "recJane")
    with db.read() as s:
        assert people_due_for_update(s, dt.date(2026, 3, 1)) == []


def test_people_with_an_open_progress_update_are_not_due_another(db: Database) -> None:
    with db.transaction() as s:
        jane = save_person(s, merge_person(JANE_AIRTABLE, None))
        update, _ = add_followup(
            s, key="k1", kind="progress_update", title="Update Jane", due=None, person_id=jane.id
        )
        assert people_due_for_update(s, dt.date(2026, 3, 1), unless_open="progress_update") == []
        set_status(update, "done", at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with db.read() as s:
        due = people_due_for_update(s, dt.date(2026, 3, 1), unless_open="progress_update")
        assert [p.name for p in due] == ["Jane Doe"]


def test_accounts_do_not_see_each_others_people(db: Database) -> None:
    with db.transaction() as s:
        save_person(s, merge_person(JANE_AIRTABLE, None), account="alice")
    with db.transaction() as s:
        bobs = save_person(s, merge_person(JANE_AIRTABLE, None), account="bob")
    with db.read() as s:
        assert find_person(s, "jane.doe@gmail.com") is None
        alices = find_person(s, "jane.doe@gmail.com", account="alice")
        assert alices is not None and alices.id != bobs.id


def test_a_person_read_in_a_transaction_can_be_viewed_after_it(db: Database) -> None:
    with db.transaction() as s:
        save_person(s, merge_person(JANE_AIRTABLE, JANE_GOOGLE))
    with db.read() as s:
        person = find_person(s, "jane@acme.example")
    assert person is not None
    assert set(person_view(person).emails) == {
        "Jane.Doe@gmail.com",
        "jane@acme.example",
    }


def test_two_writers_saving_one_new_person_at_once_make_one_person(db: Database) -> None:
    # Airtable's sync and Google's both meet Jane for the first time; Airtable's transaction
    # has read the people and saved her, and is still open when Google's begins
    saved = threading.Event()

    def airtable() -> None:
        with db.transaction() as s:
            save_person(s, merge_person(JANE_AIRTABLE, None))
            saved.set()
            time.sleep(0.3)

    def google() -> None:
        saved.wait(5)
        with db.transaction() as s:
            save_person(s, merge_person(None, JANE_GOOGLE))

    first = threading.Thread(target=airtable)
    first.start()
    google()  # raises on a second person refused by the unique email index
    first.join()

    with db.read() as s:
        jane = find_person(s, "jane@acme.example")
        assert jane is not None
        assert find_person(s, "Jane.Doe@gmail.com") is jane
        assert (jane.airtable_record_id, jane.google_resource_name) == ("recJane", "people/c1")


def test_a_google_only_contact_follows_googles_company_even_from_before_migration_0002(
    db: Database,
) -> None:
    with db.transaction() as s:
        jane = save_person(s, merge_person(None, JANE_GOOGLE))
        jane.google_company = jane.google_role = None  # as stored before Google's were kept
    with db.transaction() as s:
        save_person(s, merge_person(None, replace(JANE_GOOGLE, company="Globex", role="CTO")))
    with db.read() as s:
        view = person_view(find_person(s, "jane@acme.example"))  # type: ignore[arg-type]
    assert (view.company, view.role) == ("Globex", "CTO")
