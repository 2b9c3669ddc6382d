"""Normalization of realistic Calendar and People payloads into records (no I/O)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.google.calendar import events_page as calendar_page
from connectors.google.contacts import connections_page as contacts_page
from connectors.records import CalendarEvent, GoogleContact

SAMPLES = Path(__file__).parent / "sample_data"


def _load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def _events() -> dict[str, CalendarEvent]:
    page = calendar_page(_load("events_list.json"), full_sync=True, last=True)
    return {e.id: e for e in page.records}


def test_calendar_page_carries_time_zone_cursor_and_skips_bad_data_with_reasons() -> None:
    page = calendar_page(_load("events_list.json"), full_sync=True, last=True)

    assert page.calendar_time_zone == "America/New_York"
    assert page.next_cursor == "CPDAlvWDx70CEPDAlvWDx70CGAU="
    assert "broken0noend" not in {e.id for e in page.records}
    reasons = {(s.record_id, s.reason) for s in page.skipped}
    assert ("broken0noend", "event has no end") in reasons
    assert any(r == "4ia0ol1k9q3mcb5p2v6ktn8g0s" and "no email" in why for r, why in reasons)


def test_cursor_is_only_on_the_last_page() -> None:
    page = calendar_page(_load("events_list.json"), full_sync=False, last=False)

    assert page.next_cursor is None
    assert not page.full_sync


def test_timed_event_has_aware_times_in_its_zone_and_its_people() -> None:
    event = _events()["4ia0ol1k9q3mcb5p2v6ktn8g0s"]

    assert event.start == dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC)
    assert isinstance(event.start, dt.datetime) and event.start.tzinfo == ZoneInfo(
        "America/New_York"
    )
    assert event.end == dt.datetime(2026, 11, 19, 15, 30, tzinfo=dt.UTC)
    assert event.time_zone == "America/New_York"
    assert not event.all_day
    assert event.organizer_email == "jordan.lee@example.com"
    assert [a.email for a in event.attendees] == [
        "jordan.lee@example.com",
        "priya.raman@acme-robotics.example",
    ]
    assert event.attendees[0].is_self and event.attendees[0].is_organizer
    assert event.attendees[1].display_name == "Priya Raman"
    assert event.attendees[1].response_status == "accepted"
    assert event.description.startswith("Insight:")
    assert event.updated == dt.datetime(2026, 11, 18, 9, 30, 12, 345000, tzinfo=dt.UTC)
    assert event.ical_uid == "4ia0ol1k9q3mcb5p2v6ktn8g0s@google.com"


def test_recurring_instance_keeps_series_id_and_original_start() -> None:
    event = _events()["7v2lh0t3g5teamsync_20261124T150000Z"]

    assert event.recurring_event_id == "7v2lh0t3g5teamsync"
    assert event.original_start == dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    assert event.time_zone == "Europe/Berlin"


def test_all_day_event_has_dates() -> None:
    event = _events()["allday0offsite"]

    assert event.all_day
    assert event.start == dt.date(2026, 11, 27)
    assert event.end == dt.date(2026, 11, 28)


def test_event_without_own_zone_takes_the_calendar_zone_and_keeps_its_type() -> None:
    event = _events()["focus0block"]

    assert event.time_zone == "America/New_York"
    assert isinstance(event.start, dt.datetime)
    assert event.start.tzinfo == ZoneInfo("America/New_York")
    assert event.event_type == "focusTime"


def test_cancelled_tombstone_is_kept_with_what_it_has() -> None:
    event = _events()["cancelled0interview"]

    assert event.cancelled
    assert event.start is None and event.end is None


def _contacts() -> tuple[dict[str, GoogleContact], list]:
    page = contacts_page(_load("connections_list.json"), full_sync=True, last=True)
    assert page.next_cursor == "^CAESBgiAgICAEA=="
    return {c.resource_name: c for c in page.records}, list(page.skipped)


def test_contact_has_primary_email_first_without_duplicates_and_its_organization() -> None:
    contact = _contacts()[0]["people/c8712345678901234567"]

    assert contact.display_name == "Priya Raman"
    assert (contact.given_name, contact.family_name) == ("Priya", "Raman")
    assert contact.emails == ("priya.raman@acme-robotics.example", "priya@gmail.com")
    assert (contact.company, contact.role) == ("Acme Robotics", "Staff Engineer")
    assert contact.phones == ("+1 617-555-0100",)
    assert not contact.deleted


def test_contacts_without_name_or_email_still_sync() -> None:
    contacts = _contacts()[0]

    assert contacts["people/c1111111111111111111"].display_name is None
    assert contacts["people/c1111111111111111111"].emails == ("no.name@example.org",)
    assert contacts["people/c2222222222222222222"].emails == ()
    assert contacts["people/c2222222222222222222"].display_name == "Alex Kim"


def test_deleted_and_renamed_contacts_are_marked() -> None:
    contacts = _contacts()[0]

    assert contacts["people/c3333333333333333333"].deleted
    renamed = contacts["people/c4444444444444444444"]
    assert renamed.previous_resource_names == ("people/c5555555555555555555",)


def test_person_without_resource_name_is_skipped_with_a_reason() -> None:
    contacts, skipped = _contacts()

    assert len(contacts) == 5
    assert [s.reason for s in skipped] == ["person has no resource name"]


def test_an_instant_outside_utcs_years_is_skipped_with_a_reason_and_the_page_goes_on() -> None:
    def timed(event_id: str, start: str, end: str) -> dict[str, object]:
        return {"id": event_id, "start": {"dateTime": start}, "end": {"dateTime": end}}

    reply = {
        "timeZone": "America/New_York",
        "items": [
            timed("year0", "0001-01-01T01:00:00+05:00", "0001-01-01T02:00:00+05:00"),
            timed("year10000", "9999-12-31T18:00:00-05:00", "9999-12-31T23:00:00-05:00"),
            timed("year1", "0001-01-01T10:00:00Z", "0001-01-01T11:00:00Z"),
            timed("good", "2026-03-02T10:00:00-05:00", "2026-03-02T10:30:00-05:00"),
        ],
    }
    page = calendar_page(reply, full_sync=False, last=True)

    assert [e.id for e in page.records] == ["year1", "good"]  # year 1 itself is an instant
    reasons = {s.record_id: s.reason for s in page.skipped}
    assert set(reasons) == {"year0", "year10000"}
    assert "outside the years 1 to 9999" in reasons["year0"]
    assert reasons["year10000"].startswith("event end 9999-12-31T23:00:00-05:00")
