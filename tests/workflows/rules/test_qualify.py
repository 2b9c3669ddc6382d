"""Which calendar events are informational interviews, and with whom."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from connectors.records import Attendee, CalendarEvent
from tests.workflows.rules.builders import NEW_YORK, USER, airtable, event, google, guest, me
from workflows.rules.people import Directory
from workflows.rules.qualify import QualifyPolicy, Reason, qualify

DIRECTORY = Directory.build(
    [
        airtable("recJane", "Jane Doe", "jane.doe@gmail.com", stage="Met"),
        airtable("recOld", "Old Friend", "old@friend.org", stage="Inactive"),
    ],
    [google("people/c7", "sam@startup.io", display_name="Sam Lee", company="Startup")],
)
JANE = guest("JaneDoe@googlemail.com", "Jane")
STRANGER = guest("pat@unknown.net", "Pat Q")
SAM = guest("sam@startup.io", "Sam")
OLD = guest("old@friend.org", "Old Friend")


def decide(e: CalendarEvent, policy: QualifyPolicy | None = None) -> Reason:
    return qualify(e, user_email=USER, directory=DIRECTORY, policy=policy).reason


def test_a_meeting_with_an_active_airtable_contact_qualifies_whatever_its_title() -> None:
    result = qualify(event(title="Lunch", attendees=(JANE,)), user_email=USER, directory=DIRECTORY)
    assert result.qualified and result.reason is Reason.BY_CONTACT
    assert result.contact is not None and result.contact.airtable_id == "recJane"
    assert result.attendee == JANE and not result.add_to_airtable


def test_a_matching_title_qualifies_and_a_stranger_is_added_to_contacts() -> None:
    result = qualify(
        event(title="Coffee Chat with Pat", attendees=(STRANGER,)),
        user_email=USER,
        directory=DIRECTORY,
    )
    assert result.qualified and result.reason is Reason.BY_TITLE and result.add_to_airtable
    assert result.contact is not None and result.contact.name == "Pat Q"
    assert result.contact.email == "pat@unknown.net"


def test_a_stranger_without_a_display_name_gets_no_made_up_name() -> None:
    nameless = guest("  pat@unknown.net ")
    result = qualify(
        event(title="Coffee Chat", attendees=(nameless,)), user_email=USER, directory=DIRECTORY
    )
    assert result.contact is not None and result.add_to_airtable
    assert (result.contact.name, result.contact.emails) == ("", ("pat@unknown.net",))


def test_a_person_added_by_title_brings_what_google_contacts_knows() -> None:
    result = qualify(
        event(title="Info-interview", attendees=(SAM,)), user_email=USER, directory=DIRECTORY
    )
    assert result.add_to_airtable
    assert result.contact is not None and result.contact.company == "Startup"
    assert result.contact.google_resource == "people/c7"


def test_titles_match_case_insensitively_and_custom_terms_replace_the_defaults() -> None:
    for title in ("INFORMATIONAL interview", "career chat", "quick info interview", "coffee-chat"):
        assert decide(event(title=title, attendees=(STRANGER,))) is Reason.BY_TITLE, title
    assert decide(event(title="Lunch", attendees=(STRANGER,))) is Reason.NO_MATCH
    custom = QualifyPolicy.from_terms(["networking call"])
    assert decide(event(title="Networking  call", attendees=(STRANGER,)), custom) is Reason.BY_TITLE
    assert decide(event(title="Coffee chat", attendees=(STRANGER,)), custom) is Reason.NO_MATCH


def test_titles_match_whole_words_only() -> None:
    # Given the default terms, and the same as a user's regular expression (the setting)
    setting = "informational|info interview|coffee chat|career chat"
    policies = [QualifyPolicy(), QualifyPolicy.from_pattern(setting)]
    for policy in policies:
        # Then a term inside a longer word does not count, a term standing alone does
        for title in ("Disinformational meeting", "coffee chatbot demo", "Careers chatroom"):
            assert decide(event(title=title, attendees=(STRANGER,)), policy) is Reason.NO_MATCH
        for title in ("Informational interview", "Coffee chat with Ada", "(career chat)"):
            assert decide(event(title=title, attendees=(STRANGER,)), policy) is Reason.BY_TITLE


def test_the_users_pattern_keeps_its_regular_expression_powers() -> None:
    mentoring = QualifyPolicy.from_pattern(r"(?x) mentor (ing)?  # the suffix is optional")
    for title, reason in [
        ("Mentoring session", Reason.BY_TITLE),
        ("MENTOR call", Reason.BY_TITLE),
        ("Tormentors anonymous", Reason.NO_MATCH),
    ]:
        assert decide(event(title=title, attendees=(STRANGER,)), mentoring) is reason, title
    one_on_one = QualifyPolicy.from_pattern("1:1")
    assert decide(event(title="1:1 with Pat", attendees=(STRANGER,)), one_on_one).startswith(
        "qualified"
    )
    assert decide(event(title="Sync at 21:15", attendees=(STRANGER,)), one_on_one) is (
        Reason.NO_MATCH
    )


def test_an_event_across_the_autumn_dst_change_is_judged_in_absolute_time() -> None:
    # Given 01:30 EDT to 01:15 EST on 2026-11-01, as the connector reads it (New York times)
    start = dt.datetime.fromisoformat("2026-11-01T01:30:00-04:00").astimezone(NEW_YORK)
    end = dt.datetime.fromisoformat("2026-11-01T01:15:00-05:00").astimezone(NEW_YORK)
    assert end.replace(tzinfo=None) < start.replace(tzinfo=None)  # the wall clock goes back

    # Then it lasts 45 minutes and is an interview, not an event that ends before it starts
    result = qualify(
        event(title="Coffee chat", start=start, end=end, attendees=(STRANGER,)),
        user_email=USER,
        directory=DIRECTORY,
    )
    assert result.qualified, result.reason
    # and one that really ends before it starts, by the same wall clock, is still refused
    backwards = event(attendees=(JANE,), start=start.replace(fold=1), end=end.replace(fold=0))
    assert decide(backwards) is Reason.END_BEFORE_START


def test_an_event_outside_the_years_rules_compute_with_is_skipped_not_a_crash() -> None:
    utc = dt.UTC
    plus_five = dt.timezone(dt.timedelta(hours=5))
    minus_five = dt.timezone(dt.timedelta(hours=-5))
    cases = [
        (dt.datetime(1, 1, 1, 10, tzinfo=utc), dt.datetime(1, 1, 1, 11, tzinfo=utc)),
        # year 1 at +05:00 begins in year 0 in UTC, which no datetime holds
        (dt.datetime(1, 1, 1, 1, tzinfo=plus_five), dt.datetime(1, 1, 1, 2, tzinfo=plus_five)),
        # ending minutes before 10000: the grace period would overflow
        (dt.datetime(9999, 12, 31, 23, tzinfo=utc), dt.datetime(9999, 12, 31, 23, 55, tzinfo=utc)),
        # in year 10000 in UTC
        (
            dt.datetime(9999, 12, 31, 22, tzinfo=minus_five),
            dt.datetime(9999, 12, 31, 23, tzinfo=minus_five),
        ),
        # a start in year 1 and a sane end
        (dt.datetime(1, 1, 1, tzinfo=utc), dt.datetime(2026, 3, 2, 10, tzinfo=utc)),
    ]
    for start, end in cases:
        e = event(title="Coffee chat", start=start, end=end, attendees=(JANE,))
        assert decide(e) is Reason.OUT_OF_RANGE, start


def test_an_inactive_contact_does_not_qualify_an_event_but_a_title_still_does() -> None:
    assert decide(event(title="Lunch", attendees=(OLD,))) is Reason.NO_MATCH
    result = qualify(
        event(title="Coffee chat", attendees=(OLD,)), user_email=USER, directory=DIRECTORY
    )
    assert result.qualified and not result.add_to_airtable
    assert result.contact is not None and result.contact.inactive


def test_events_that_are_not_meetings_are_skipped_with_their_reason() -> None:
    start = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    day = dt.date(2026, 11, 20)
    cases = {
        Reason.ALL_DAY: event(
            title="Coffee chat", attendees=(JANE,), all_day=True, start=day, end=day
        ),
        Reason.CANCELLED: event(attendees=(JANE,), status="cancelled"),
        Reason.NOT_DEFAULT_TYPE: event(attendees=(JANE,), event_type="focusTime"),
        Reason.NO_TIMES: event(attendees=(JANE,), end=None),
        Reason.END_BEFORE_START: event(
            attendees=(JANE,), start=start, end=start - dt.timedelta(hours=1)
        ),
        Reason.DECLINED_BY_USER: event(attendees=(JANE,)),
        Reason.NO_CONTACT: event(title="Coffee chat", attendees=()),
    }
    cases[Reason.DECLINED_BY_USER] = dataclasses.replace(
        cases[Reason.DECLINED_BY_USER], attendees=(me("declined"), JANE, me())
    )
    for reason, e in cases.items():
        assert decide(e) is reason, reason
    tombstone = CalendarEvent(id="evt1", status="cancelled")
    assert decide(tombstone) is Reason.CANCELLED


def test_at_most_three_other_attendees() -> None:
    others = tuple(guest(f"p{i}@acme.com") for i in range(3))
    assert decide(event(attendees=(JANE, *others[:2]))) is Reason.BY_CONTACT
    assert decide(event(attendees=(JANE, *others))) is Reason.TOO_MANY_ATTENDEES
    room = Attendee(email="room@resource.calendar.google.com", is_resource=True)
    assert decide(event(attendees=(JANE, *others[:2], room))) is Reason.BY_CONTACT


def test_a_policy_from_terms_keeps_the_attendee_limit_unless_told_otherwise() -> None:
    others = tuple(guest(f"p{i}@acme.com") for i in range(3))
    crowded = event(title="Networking call", attendees=(STRANGER, *others))  # four others
    usual = QualifyPolicy.from_terms(["networking call"])
    wider = QualifyPolicy.from_terms(["networking call"], max_other_attendees=5)
    assert decide(crowded, usual) is Reason.TOO_MANY_ATTENDEES
    assert decide(event(title="Networking call", attendees=(STRANGER, *others[:2])), usual) is (
        Reason.BY_TITLE
    )
    assert decide(crowded, wider) is Reason.BY_TITLE


def test_the_users_own_entry_without_googles_self_flag_is_still_the_user() -> None:
    # A calendar shared from another account lists the user by address only
    by_address = Attendee(email="Alex.Kim+cal@googlemail.com", response_status="declined")
    others = tuple(guest(f"p{i}@acme.com") for i in range(2))
    listed = event(attendees=(by_address, JANE, *others), self_status="accepted")
    assert decide(listed) is Reason.DECLINED_BY_USER
    accepted = dataclasses.replace(by_address, response_status="accepted")
    assert decide(event(attendees=(accepted, JANE, *others))) is Reason.BY_CONTACT
    # Google's self flag counts even on an alias the user's address does not fold to
    alias = Attendee(email="alex@kim.dev", response_status="declined", is_self=True)
    assert decide(event(attendees=(alias, JANE))) is Reason.DECLINED_BY_USER


def test_an_event_with_a_date_for_either_end_is_an_all_day_event() -> None:
    start = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    day = dt.date(2026, 11, 20)
    assert decide(event(attendees=(JANE,), start=start, end=day)) is Reason.ALL_DAY
    assert decide(event(attendees=(JANE,), start=day, end=start)) is Reason.ALL_DAY


def test_a_meeting_that_ends_as_it_starts_is_still_a_meeting() -> None:
    assert decide(event(attendees=(JANE,), minutes=0)) is Reason.BY_CONTACT


def test_an_untitled_event_never_matches_by_title() -> None:
    anything = QualifyPolicy(title_pattern=re.compile("x", re.IGNORECASE))
    assert decide(event(title="", attendees=(STRANGER,)), anything) is Reason.NO_MATCH
    assert decide(event(title="Xmas chat", attendees=(STRANGER,)), anything) is Reason.BY_TITLE


def test_a_recurring_event_with_a_stranger_and_no_title_match_is_no_match() -> None:
    weekly = event(title="Weekly sync", attendees=(STRANGER,), recurring_event_id="weekly")
    assert decide(weekly) is Reason.NO_MATCH


def test_a_policy_without_terms_qualifies_nothing_by_title() -> None:
    nothing = QualifyPolicy.from_terms([])
    assert decide(event(title="Coffee chat", attendees=(STRANGER,)), nothing) is Reason.NO_MATCH


def test_recurring_instances_qualify_only_by_title() -> None:
    weekly = event(title="Weekly sync", attendees=(JANE,), recurring_event_id="weekly")
    assert decide(weekly) is Reason.RECURRING_NO_TITLE
    result = qualify(
        dataclasses.replace(weekly, title="Monthly career chat"),
        user_email=USER,
        directory=DIRECTORY,
    )
    assert result.reason is Reason.BY_TITLE
    assert result.contact is not None and result.contact.airtable_id == "recJane"


def test_colleagues_and_guests_without_email_are_not_contacts() -> None:
    work_user = "alex@mycorp.com"
    colleague = guest("boss@mycorp.com")
    phone_guest = Attendee(email="", display_name="Phone guest")
    e = event(title="Coffee chat", attendees=(colleague, phone_guest))
    result = qualify(e, user_email=work_user, directory=DIRECTORY)
    assert result.reason is Reason.NO_CONTACT


def test_a_contact_who_declined_still_qualifies_the_lifecycle_cancels_it() -> None:
    assert decide(event(attendees=(guest("jane.doe@gmail.com", status="declined"),))).startswith(
        "qualified"
    )


def test_a_contact_written_with_tags_or_a_trailing_dot_is_that_contact() -> None:
    for spelling in ("Jane.Doe+work+coffee@GoogleMail.com.", "janedoe@gmail.com."):
        result = qualify(
            event(title="Lunch", attendees=(guest(spelling),)), user_email=USER, directory=DIRECTORY
        )
        assert result.reason is Reason.BY_CONTACT, spelling
        assert result.contact is not None and result.contact.airtable_id == "recJane"
    stranger = qualify(
        event(title="Coffee chat", attendees=(guest("Pat@Unknown.net."),)),
        user_email=USER,
        directory=DIRECTORY,
    )
    assert stranger.contact is not None and stranger.contact.emails == ("Pat@Unknown.net",)


def test_the_user_declining_under_another_spelling_of_their_address_is_a_decline() -> None:
    # Google flags only the entry it knows as the user's; this one is not flagged
    elsewhere = guest("Alex.Kim+calendar+work@GoogleMail.com.", status="declined")
    declined = dataclasses.replace(
        event(title="Coffee chat", attendees=(JANE,)), attendees=(elsewhere, JANE)
    )
    assert decide(declined) is Reason.DECLINED_BY_USER


# --- properties -------------------------------------------------------------------------------

POOL = {
    "active": JANE,
    "inactive": OLD,
    "google": SAM,
    "stranger": STRANGER,
    "colleague": guest("alexkim@gmail.com"),  # the user under another spelling: self
}
TITLES = ["Lunch", "Coffee chat: ML", "Informational interview", "Weekly sync", ""]


@st.composite
def events(draw: st.DrawFn) -> CalendarEvent:
    names = draw(st.lists(st.sampled_from(sorted(POOL)), max_size=6, unique=False))
    attendees = tuple(POOL[n] for n in names)
    self_status = draw(st.sampled_from(["accepted", "declined", "needsAction"]))
    return event(
        title=draw(st.sampled_from(TITLES)),
        attendees=attendees,
        self_status=self_status,
        status=draw(st.sampled_from(["confirmed", "tentative", "cancelled"])),
        event_type=draw(st.sampled_from(["default", "default", "outOfOffice"])),
        recurring_event_id=draw(st.sampled_from([None, None, "series"])),
    )


def expected(e: CalendarEvent) -> bool:
    others = [a for a in e.attendees if not a.is_self and a is not POOL["colleague"]]
    title = e.title in ("Coffee chat: ML", "Informational interview")
    by_contact = POOL["active"] in others and not e.recurring_event_id
    shape_ok = (
        e.status != "cancelled"
        and e.event_type == "default"
        and all(a.response_status != "declined" for a in e.attendees if a.is_self)
        and len(others) <= 3
        and bool(others)
    )
    return shape_ok and (by_contact or title)


@given(events())
def test_qualification_follows_the_rule(e: CalendarEvent) -> None:
    result = qualify(e, user_email=USER, directory=DIRECTORY)
    assert result.qualified == expected(e), result.reason
    if result.qualified:
        assert result.contact is not None and result.attendee in e.attendees
        assert result.add_to_airtable == (not result.contact.in_airtable)


@given(events(), st.randoms())
def test_qualification_does_not_depend_on_attendee_order(e: CalendarEvent, rnd: object) -> None:
    shuffled = list(e.attendees)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = dataclasses.replace(e, attendees=tuple(shuffled))
    first = qualify(e, user_email=USER, directory=DIRECTORY)
    assert qualify(again, user_email=USER, directory=DIRECTORY).qualified == first.qualified


@given(events())
def test_a_matching_title_never_disqualifies(e: CalendarEvent) -> None:
    before = qualify(e, user_email=USER, directory=DIRECTORY)
    titled = dataclasses.replace(e, title="Informational interview")
    assert qualify(titled, user_email=USER, directory=DIRECTORY).qualified >= before.qualified


odd_attendees = st.lists(
    st.builds(
        Attendee,
        email=st.one_of(st.text(max_size=30), st.emails().map(str)),
        display_name=st.none() | st.text(max_size=20),
        response_status=st.sampled_from(["accepted", "declined", "tentative", "needsAction", "?"]),
        is_self=st.booleans(),
        is_resource=st.booleans(),
    ),
    max_size=6,
)


@given(odd_attendees, st.text(max_size=60), st.none() | st.text(max_size=10))
def test_odd_events_get_a_decision_never_an_exception(
    attendees: list[Attendee], title: str, recurring: str | None
) -> None:
    e = dataclasses.replace(
        event(title=title), attendees=tuple(attendees), recurring_event_id=recurring
    )
    result = qualify(e, user_email=USER, directory=DIRECTORY)
    assert isinstance(result.reason, Reason)
    if result.qualified:
        assert result.contact is not None and result.contact.email is not None
        assert result.attendee is not None and not result.attendee.is_self
