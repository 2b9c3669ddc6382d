"""One person from Airtable and Google; who on an invite can be a contact."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.records import Attendee
from tests.workflows.rules.builders import USER, airtable, event, google, guest
from workflows.rules.people import (
    Directory,
    PersonView,
    external_attendees,
    first_name_of,
    is_internal,
    merge_person,
)


def test_airtable_wins_and_google_fills_what_it_lacks() -> None:
    person = merge_person(
        airtable("recA", "Jane Doe", "jane@acme.com", company="Acme", stage="Met"),
        google(
            "people/c1",
            "jane.doe@gmail.com",
            "jane@acme.com",
            display_name="Janie D",
            company="Acme Corp",
            role="Data Engineer",
        ),
    )
    assert person.name == "Jane Doe"
    assert person.company == "Acme"
    assert person.role == "Data Engineer"
    assert person.emails == ("jane@acme.com", "jane.doe@gmail.com")
    assert person.google_resource == "people/c1"
    assert person.first_name == "Jane"


def test_an_address_written_with_its_domains_trailing_dot_is_kept_without_it() -> None:
    person = merge_person(
        airtable("recA", "Jane Doe", "Jane@Acme.com."),
        google("people/c1", "jane@acme.com", "jdoe+x+y@gmail.com."),
    )
    assert person.emails == ("Jane@Acme.com", "jdoe+x+y@gmail.com")


def test_a_name_only_google_knows_uses_googles_given_name() -> None:
    person = merge_person(
        airtable("recA", "", "m@x.org"),
        google("people/c2", "m@x.org", display_name="Mary Ann Smith", given_name="Mary Ann"),
    )
    assert person.name == "Mary Ann Smith"
    assert person.first_name == "Mary Ann"


def test_merge_needs_a_source() -> None:
    with pytest.raises(ValueError):
        merge_person(None, None)


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Jane Doe", "Jane"),
        ("Doe, Jane", "Jane"),
        ("Doe, Jane, PhD", "Jane"),  # not "Jane,": the greeting would read "Hi Jane,,"
        ("Dr. Jane Doe", "Jane"),
        ("Dr. Jane", "Jane"),
        ("MX. Sam Lee", "Sam"),
        ("van der Berg, Anna", "Anna"),
        ("Prof", "Prof"),
        ("  ", ""),
        ("\u05e9\u05e8\u05d4 \u05dc\u05d5\u05d9", "\u05e9\u05e8\u05d4"),  # Hebrew, right to left
        ("\U0001f680 Rocket Raccoon", "\U0001f680"),
    ],
)
def test_first_names(name: str, first: str) -> None:
    assert first_name_of(name) == first


def test_a_person_keeps_airtables_reminder_fields_and_google_fills_the_rest() -> None:
    row = airtable(
        "recA", "", "jane@acme.com", role="CTO", stage="Met", last_met=dt.date(2026, 6, 1),
        next_update_due=dt.date(2026, 7, 1), update_every_days=21,
    )  # fmt: skip
    g = google("people/c1", given_name="Jane", family_name="Doe", company="Acme", role="Eng")
    person = merge_person(row, g)
    assert (person.name, person.company, person.role) == ("Jane Doe", "Acme", "CTO")
    assert (person.stage, person.last_met, person.next_update_due, person.update_every_days) == (
        "Met", dt.date(2026, 6, 1), dt.date(2026, 7, 1), 21
    )  # fmt: skip
    alone = merge_person(airtable("recB", "", "pat@unknown.net"), None)
    assert (alone.name, alone.google_resource) == ("", None)
    linked = merge_person(airtable("recC", "Sam", "sam@x.io", google_contact="people/c9"), None)
    assert linked.google_resource == "people/c9"
    hyphenated = merge_person(
        airtable("recD", "Jane-Marie Doe", "jm@acme.com"), google("people/c2", given_name="Jane")
    )
    assert hyphenated.first_name == "Jane-Marie"  # Google's given name only fills an empty name
    with pytest.raises(ValueError, match=r"^merge_person needs at least one source record$"):
        merge_person(None, None)


def test_googles_given_name_is_used_only_where_the_name_does_not_say_otherwise() -> None:
    assert first_name_of("Jane Doe", given_name="Janie") == "Jane"
    assert first_name_of("Jane Doe", given_name="Jane") == "Jane"
    assert first_name_of("", given_name="  Mary  Ann ") == "Mary Ann"


def test_the_directory_finds_a_person_by_any_email_folded() -> None:
    directory = Directory.build(
        [airtable("recA", "Jane Doe", "Jane.Doe@gmail.com", stage="Met")],
        [google("people/c1", "janedoe+work@googlemail.com", "jane@acme.com", role="CTO")],
    )
    for address in ("janedoe@gmail.com", "JANE@acme.com", "j.a.n.e.doe@gmail.com"):
        found = directory.find(address)
        assert found is not None and found.airtable_id == "recA" and found.role == "CTO"
    assert directory.find("someone@else.com") is None
    assert directory.find(None) is None


def test_two_airtable_contacts_with_one_email_keep_the_first_and_say_why() -> None:
    directory = Directory.build(
        [
            airtable("recA", "Jane Doe", "jane@acme.com"),
            airtable("recB", "J. Doe", "JANE@acme.com"),
        ],
        [],
    )
    found = directory.find("jane@acme.com")
    assert found is not None and found.airtable_id == "recA"
    assert [s.record_id for s in directory.skipped] == ["recB"]
    assert "recA" in directory.skipped[0].reason and "duplicate" in directory.skipped[0].reason


def test_rows_after_a_duplicate_or_a_deleted_google_contact_still_count() -> None:
    directory = Directory.build(
        [
            airtable("recA", "Jane Doe", "jane@acme.com"),
            airtable("recB", "J. Doe", "jane@acme.com"),
            airtable("recC", "Sam Lee", "sam@startup.io"),
        ],
        [
            google("people/gone", "old@friend.org", deleted=True),
            google("people/c2", "pat@unknown.net", display_name="Pat Q"),
        ],
    )
    sam, pat = directory.find("sam@startup.io"), directory.find("pat@unknown.net")
    assert sam is not None and sam.airtable_id == "recC"
    assert pat is not None and pat.google_resource == "people/c2"
    assert directory.find("old@friend.org") is None
    assert [(s.source, s.record_id) for s in directory.skipped] == [("airtable", "recB")]


def test_a_directory_of_stored_people_finds_each_by_any_address_first_one_first() -> None:
    jane = PersonView(name="Jane Doe", emails=("jane@acme.com", "Jane.Doe@gmail.com"))
    namesake = PersonView(name="J. Doe", emails=("janedoe@gmail.com", "jd@other.org"))
    directory = Directory.of([jane, namesake])
    assert directory.people == (jane, namesake) and directory.skipped == ()
    assert directory.find("JANEDOE@googlemail.com") is jane
    assert directory.find("jd@other.org") is namesake


def test_google_only_people_and_airtable_rows_without_email_are_kept() -> None:
    directory = Directory.build(
        [airtable("recA", "No Email", None, last_met=dt.date(2026, 1, 1))],
        [
            google("people/c9", "sam@startup.io", display_name="Sam Lee"),
            google("people/x", deleted=True),
        ],
    )
    assert [p.name for p in directory.people] == ["No Email", "Sam Lee"]
    sam = directory.find("sam@startup.io")
    assert sam is not None and not sam.in_airtable


def test_self_and_colleagues_are_never_contacts() -> None:
    work_user = "alex@mycorp.com"
    assert is_internal("Alex@MyCorp.com", work_user)
    assert is_internal("boss@mycorp.com", work_user)
    assert not is_internal("jane@acme.com", work_user)
    # A public domain says nothing about an employer: another gmail user is not a colleague.
    assert not is_internal("jane@gmail.com", USER)
    assert is_internal("alexkim+cal@gmail.com", USER)


def test_external_attendees_skip_rooms_and_missing_emails() -> None:
    room = Attendee(email="room-4@resource.calendar.google.com", is_resource=True)
    no_email = Attendee(email="", display_name="Phone guest")
    jane = guest("jane@acme.com", "Jane")
    found = external_attendees(event(attendees=(room, no_email, jane)), USER)
    assert found == (jane,)
