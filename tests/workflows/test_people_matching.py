"""Who the contact of an interview is, through whole passes: one person however many sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dramatiq.brokers.stub import StubBroker

from connectors.google.auth import CONTACTS_SCOPE, SCOPES
from connectors.google.client import GoogleClient
from connectors.policy import FAST_POLICY
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    contact,
    drafts,
    fast,
    followups,
    google_person,
    guest,
    me,
    meeting,
    meetings_by_event,
    rows,
    set_now,
    world,
)
from workflows.actors import declare_actors
from workflows.passes import PassReport, run_once
from workflows.runtime import Runtime, install
from workflows.store.models import Meeting

AFTER = at(2026, 3, 2, 12)


def _run(sandbox_factory: Any, make_runtime: RuntimeFactory, **fixture: Any) -> Sandbox:
    sandbox: Sandbox = sandbox_factory(world(**fixture), airtable_rate_limit=FAST_AIRTABLE)
    runtime: Runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    report = run_once(runtime)
    assert report.ok, report.failures
    return sandbox


def test_a_new_person_met_by_title_is_added_to_contacts_with_what_google_knows(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a coffee chat with Grace, who is in Google Contacts (under another spelling) only
    grace = google_person(
        "people/c77", "Grace Hopper", "grace.hopper@gmail.com", company="Navy", title="Admiral"
    )
    event = meeting(
        "evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest("GraceHopper+x@Gmail.com")]
    )

    sandbox = _run(sandbox_factory, make_runtime, events=[event], contacts=[grace])

    # Then Grace is a contact now, with her name, company and role from Google
    contacts = rows(sandbox, "Contacts")
    assert len(contacts) == 1
    row = contacts[0]
    assert row["Name"] == "Grace Hopper"
    assert row["Company"] == "Navy"
    assert row["Role"] == "Admiral"
    assert row["Google Contact"] == "people/c77"
    assert row["Stage"] == "Keeping in touch"
    assert row["Last Met"] == "2026-03-02"
    # and the thank-you greets her by her first name and goes to her
    (draft,) = drafts(sandbox)
    assert "Grace" in draft["subject"]
    assert "grace" in str(draft["to"]).lower()
    assert meetings_by_event(sandbox)["evt1"]["Contact"] == [row_id(sandbox, row["Email"])]


def row_id(sandbox: Sandbox, email: str) -> str:
    """The Contacts record id of `email`."""
    return next(
        r["id"] for r in sandbox.airtable.records("Contacts") if r["fields"].get("Email") == email
    )


def test_an_airtable_contact_and_a_google_contact_with_one_email_are_one_person(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada as the user keeps her in Airtable, and as Google knows her (another name)
    ada_airtable = airtable_contact(
        "recAda0000000001", Name="Ada King", Email="ada.king@gmail.com", Stage="Met"
    )
    ada_google = google_person(
        "people/c1", "Augusta Ada Lovelace", "AdaKing+work@googlemail.com", company="Engines"
    )
    event = meeting("evt1", "Catch-up", at(2026, 3, 2, 10), attendees=[guest("ADA.KING@gmail.com")])

    sandbox = _run(
        sandbox_factory,
        make_runtime,
        events=[event],
        contacts=[ada_google],
        airtable=[ada_airtable],
    )

    # Then the meeting is Ada's (an active Airtable contact), there is still one Ada,
    # and Airtable's name wins
    contacts = rows(sandbox, "Contacts")
    assert len(contacts) == 1
    ada = contact(sandbox, "ada.king@gmail.com")
    assert ada["Name"] == "Ada King"
    assert ada["Stage"] == "Keeping in touch"
    (draft,) = drafts(sandbox)
    assert "Ada" in draft["subject"] and "Augusta" not in draft["body"]
    assert meetings_by_event(sandbox)["evt1"]["Contact"] == ["recAda0000000001"]


def test_the_thank_you_goes_to_the_address_the_contact_was_invited_at(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada at work in Airtable, Google Contacts knowing her home address too,
    # and the chat's invite sent to her home address
    ada_airtable = airtable_contact(
        "recAda0000000001", Name="Ada Lovelace", Email="ada@work.example", Stage="Met"
    )
    ada_google = google_person("people/c1", "Ada Lovelace", "ada@work.example", "ada@home.example")
    event = meeting("evt1", "Catch-up", at(2026, 3, 2, 10), attendees=[guest("ada@home.example")])

    sandbox = _run(
        sandbox_factory,
        make_runtime,
        events=[event],
        contacts=[ada_google],
        airtable=[ada_airtable],
    )

    # Then the thank-you is addressed where she was invited; Airtable keeps her work address
    (draft,) = drafts(sandbox)
    assert "ada@home.example" in str(draft["to"])
    assert "ada@work.example" not in str(draft["to"])
    assert contact(sandbox, "ada@work.example")["Name"] == "Ada Lovelace"


def test_without_google_contacts_granted_the_interview_still_gets_its_thank_you(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given a user who unticked Google Contacts on Google's consent screen
    grace = google_person("people/c77", "Grace Hopper", "grace@navy.example", company="Navy")
    event = meeting(
        "evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest("grace@navy.example", "Grace")]
    )
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], contacts=[grace]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    granted = [s for s in SCOPES if s != CONTACTS_SCOPE]
    credentials = tmp_path / "granted.json"
    credentials.write_text(json.dumps(sandbox.google_credentials(scopes=granted)))
    runtime.google = GoogleClient(credentials, endpoint=sandbox.url, policy=FAST_POLICY)

    report = run_once(runtime)

    # Then the pass works without Google Contacts: the chat is drafted, Grace added from the invite
    assert report.ok, report.failures
    (draft,) = drafts(sandbox)
    assert "grace@navy.example" in str(draft["to"])
    assert contact(sandbox, "grace@navy.example").get("Company") is None
    assert "people.connections.list" not in sandbox.request_counts()


def test_google_fills_what_airtable_lacks(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada in Airtable with no company or role, and in Google with both
    ada_airtable = airtable_contact(
        "recAda0000000001", Name="Ada King", Email="ada@engines.example", Stage="Met"
    )
    ada_google = google_person(
        "people/c1", "Ada Lovelace", "ada@engines.example", company="Engines", title="Analyst"
    )
    event = meeting(
        "evt1", "Catch-up", at(2026, 3, 2, 10), attendees=[guest("ada@engines.example")]
    )

    sandbox = _run(
        sandbox_factory,
        make_runtime,
        events=[event],
        contacts=[ada_google],
        airtable=[ada_airtable],
    )

    ada = contact(sandbox, "ada@engines.example")
    assert ada["Name"] == "Ada King"
    assert ada.get("Company") == "Engines"
    assert ada.get("Role") == "Analyst"


def test_self_and_colleagues_are_never_contacts(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a coffee chat with a colleague only, and one with a colleague and an outsider
    colleague = guest("pat.colleague@example.com", "Pat Colleague")
    events = [
        meeting("evtinternal", "Coffee chat", at(2026, 3, 2, 9), attendees=[colleague]),
        meeting(
            "evtmixed",
            "Coffee chat",
            at(2026, 3, 2, 10),
            attendees=[colleague, guest("bob@builder.example", "Bob Builder")],
        ),
    ]

    sandbox = _run(sandbox_factory, make_runtime, events=events)

    # Then only the outsider became a contact, and only the mixed chat is a meeting
    assert [c["Email"] for c in rows(sandbox, "Contacts")] == ["bob@builder.example"]
    assert list(meetings_by_event(sandbox)) == ["evtmixed"]
    (draft,) = drafts(sandbox)
    assert "bob@builder.example" in str(draft["to"]).lower()
    assert "pat" not in str(draft["to"]).lower()
    assert len(followups(sandbox, "Thank-you")) == 1


def test_an_airtable_outage_on_the_first_pass_loses_no_interview(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's chat qualifies only because she is an Airtable contact
    ada = airtable_contact("recAda0000000001", Name="Ada", Email="ada@x.example", Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest("ada@x.example")])
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime: Runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)

    # When Airtable is down for the first pass, and back for the second
    sandbox.set_error_rate("airtable", 503, 1.0)
    assert not run_once(runtime).ok
    sandbox.clear_faults()
    report = run_once(runtime)

    # Then the chat was recognised all the same
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 1
    assert list(meetings_by_event(sandbox)) == ["evt1"]


def _chat_with_a_stranger(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> tuple[Sandbox, Runtime]:
    """A chat with Ada this afternoon, seen by a first pass while she is no contact."""
    event = meeting("evt1", "Chat", at(2026, 3, 2, 15), attendees=[guest("ada@x.example")])
    sandbox: Sandbox = sandbox_factory(world(events=[event]), airtable_rate_limit=FAST_AIRTABLE)
    runtime: Runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    assert run_once(runtime).ok
    return sandbox, runtime


def _add_ada(sandbox: Sandbox) -> None:
    sandbox.airtable.create_record(
        "Contacts", {"Name": "Ada", "Email": "ada@x.example", "Stage": "Scheduled"}
    )


def test_a_contact_added_to_airtable_after_the_invite_makes_it_an_interview(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a chat with Ada, who is not a contact yet when Followthrough first sees it
    sandbox, runtime = _chat_with_a_stranger(sandbox_factory, make_runtime)
    assert rows(sandbox, "Meetings") == []

    # When the user adds her to Contacts before the chat, and it then ends
    _add_ada(sandbox)
    set_now(runtime, at(2026, 3, 2, 10))
    assert run_once(runtime).ok
    set_now(runtime, at(2026, 3, 2, 16))
    report = run_once(runtime)

    # Then it got its draft like any other interview with a contact
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 1
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"


def test_a_contact_pushed_from_airtable_makes_the_invite_an_interview_with_no_poll(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a chat with Ada, who is not a contact yet when Followthrough first sees it
    sandbox, runtime = _chat_with_a_stranger(sandbox_factory, make_runtime)

    # When the user adds her to Contacts, and only the base's webhook ping is followed (with
    # live pushes, the unchanged calendar is read again only at the safety poll)
    _add_ada(sandbox)
    set_now(runtime, at(2026, 3, 2, 10))
    install(runtime)
    actors = declare_actors(StubBroker())
    actors.fetch_airtable(runtime.account, "the base's webhook")

    # Then the chat is an interview already, its thank-you due after it ends
    with runtime.db.read() as session:
        found = session.execute(sa.select(Meeting.event_id).where(Meeting.account == "default"))
        assert list(found.scalars()) == ["evt1"]


def test_an_inactive_contact_makes_no_interview_unless_the_title_says_so(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    ina = airtable_contact("recIna0000000001", Name="Ina", Email="ina@x.example", Stage="Inactive")
    events = [
        meeting("evtplain", "Chat", at(2026, 3, 2, 9), attendees=[guest("ina@x.example")]),
        meeting("evtcoffee", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest("ina@x.example")]),
    ]

    sandbox = _run(sandbox_factory, make_runtime, events=events, airtable=[ina])

    assert list(meetings_by_event(sandbox)) == ["evtcoffee"]
    assert contact(sandbox, "ina@x.example")["Stage"] == "Inactive"


def test_on_a_public_mail_domain_only_the_user_is_self(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given the user is on gmail.com, and so is the person they have coffee with
    user = "sam.seeker@gmail.com"
    event = meeting("evt1", "Coffee chat", at(2026, 3, 2, 10))
    event["attendees"] = [
        me(email=user),
        guest("SamSeeker+alias@gmail.com", "Sam again"),  # the user under another spelling
        guest("dana.friend@gmail.com", "Dana Friend"),
    ]

    sandbox = _run(sandbox_factory, make_runtime, events=[event], user=user)

    assert [c["Email"] for c in rows(sandbox, "Contacts")] == ["dana.friend@gmail.com"]
    (draft,) = drafts(sandbox)
    assert "dana.friend@gmail.com" in str(draft["to"]).lower()


def _chat_at_three(
    sandbox_factory: Any, make_runtime: RuntimeFactory, guest_email: str, contacts: list[Any]
) -> tuple[Sandbox, Runtime]:
    """A 3 pm chat with `guest_email`, first seen at 9 am and not an interview then."""
    event = meeting("evt1", "Chat", at(2026, 3, 2, 15), attendees=[guest(guest_email)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=contacts), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime: Runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    assert run_once(runtime).ok
    assert run_once(runtime).ok  # a quiet pass in between changes nothing
    assert rows(sandbox, "Meetings") == []
    return sandbox, runtime


def _after_the_chat(runtime: Runtime) -> PassReport:
    """A pass at 10 am, then the pass after the chat ended."""
    set_now(runtime, at(2026, 3, 2, 10))
    assert run_once(runtime).ok
    set_now(runtime, at(2026, 3, 2, 16))
    return run_once(runtime)


def test_a_contact_made_active_again_makes_their_chat_an_interview(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ina, Inactive in Airtable, invited to a plain "Chat" that is no interview yet
    ina = airtable_contact("recIna0000000001", Name="Ina", Email="ina@x.example", Stage="Inactive")
    sandbox, runtime = _chat_at_three(sandbox_factory, make_runtime, "ina@x.example", [ina])

    # When the user moves her back to Scheduled, and the chat then ends
    sandbox.airtable.update_record("Contacts", "recIna0000000001", {"Stage": "Scheduled"})
    report = _after_the_chat(runtime)

    # Then it got its draft like any other interview with a contact
    assert report.ok, report.failures
    assert len(drafts(sandbox)) == 1
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"


def test_a_contact_s_new_address_makes_the_chat_they_were_invited_at_an_interview(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada, a contact at her work address, invited to a chat at her home address
    ada = airtable_contact("recAda0000000001", Name="Ada", Email="ada@work.example", Stage="Met")
    sandbox, runtime = _chat_at_three(sandbox_factory, make_runtime, "ada@home.example", [ada])

    # When the user gives her row the home address, and the chat then ends
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Email": "ada@home.example"})
    report = _after_the_chat(runtime)

    # Then the chat is her interview, and its thank-you goes to the address she was invited at
    assert report.ok, report.failures
    assert meetings_by_event(sandbox)["evt1"]["Status"] == "Completed"
    assert "ada@home.example" in str(drafts(sandbox)[0]["to"]).lower()
