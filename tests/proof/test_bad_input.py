"""Hostile and odd input, end to end: each case is skipped or refused with a reason a user can
read, nothing else is lost (the good interview in the same pass still gets its draft), and the
service keeps running.

The pure rules already have property tests (tests/workflows/rules: qualification, email
folding, reminder scheduling, draft rendering with no header injection); an Airtable name
with header syntax is tested in tests/workflows/test_draft_and_dates.py. Here the same kinds of
input come in through the sandbox's APIs and a whole `run_once` pass.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from tests.proof.conftest import CapturedLog
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    contact,
    drafts,
    fast,
    google_person,
    guest,
    me,
    meeting,
    meetings_by_event,
    rows,
    world,
)
from workflows.passes import PassReport, run_once
from workflows.rules.qualify import Reason

ADA = "ada@analytical.example"
AFTER = at(2026, 3, 2, 11)
MEGABYTE = 1_000_000
INJECTED = "Bcc: victim@else.example"


def _pass(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    fixture: dict[str, Any],
    added: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> tuple[Sandbox, Any, PassReport]:
    """A sandbox on `fixture`, `added` events put in through its control API, and one pass."""
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    for event in added:  # events a fixture may not hold (the fixture check refuses them)
        sandbox.add_event(event)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    return sandbox, runtime, run_once(runtime)


def _odd_pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> tuple[Sandbox, Any, PassReport]:
    """One pass over the odd calendar (and the event with no end)."""
    # a Google contact whose name carries header syntax (the People API name wins over the
    # calendar's display name)
    gia = google_person("people/c1", f"Gia\r\n{INJECTED}\r\nSubject: Win", "gia@g.example")
    fixture = world(events=_odd_events(), contacts=[gia])
    return _pass(sandbox_factory, make_runtime, fixture, [_no_end()])


def _draft_to(sandbox: Sandbox, address: str) -> Any:
    """The one draft (as Gmail parsed the raw message) addressed to `address`."""
    found = [d.parsed for d in sandbox.gmail_api.drafts.values() if address in str(d.parsed["To"])]
    assert len(found) == 1, (
        address,
        [str(d.parsed["To"]) for d in sandbox.gmail_api.drafts.values()],
    )
    return found[0]


def _good_interview() -> dict[str, Any]:
    return meeting(
        "evtgood",
        "Coffee chat",
        at(2026, 3, 2, 9),
        attendees=[guest(ADA, "Ada Lovelace")],
        description="Insight: start with the data model",
    )


def _no_end() -> dict[str, Any]:
    event = meeting(
        "evtnoend", "Informational interview", at(2026, 3, 2, 9), attendees=[guest("x@a.example")]
    )
    del event["end"]
    return event


def _odd_events() -> list[dict[str, Any]]:
    """One calendar's worth of odd events, all titled like interviews, beside a good one."""
    nine = at(2026, 3, 2, 9)
    return [
        _good_interview(),
        meeting("evtnoattendees", "Informational interview", nine, attendees=[]),
        meeting(
            "evtnoemail",
            "Informational interview",
            nine,
            attendees=[{"displayName": "Nobody", "responseStatus": "accepted"}],
        ),
        {
            "id": "evtallday",
            "summary": "Informational interview",
            "start": {"date": "2026-03-01"},
            "end": {"date": "2026-03-02"},
            "attendees": [me(), guest("day@b.example", "Day Person")],
        },
        meeting(
            "evtbig",
            "Coffee chat",
            nine,
            attendees=[guest("big@c.example", "Bea Big")],
            description="Insight: " + "x" * MEGABYTE,
        ),
        meeting("evtrtl", "Coffee chat", nine, attendees=[guest("maryam@d.example", "مريم الحسن")]),
        meeting("evtemoji", "Coffee chat", nine, attendees=[guest("zoe@e.example", "Zoë 🚀 Chen")]),
        meeting(
            "evtcrlf",
            f"Coffee chat\r\n{INJECTED}",
            nine,
            attendees=[guest("mal@f.example", f"Mallory\r\n{INJECTED}")],
            description=f"Insight: a\r\nTo: x@else.example\r\nTODO: send the link\r\n{INJECTED}",
        ),
        meeting("evtgia", "Coffee chat", nine, attendees=[guest("gia@g.example", "Gia G")]),
    ]


def test_odd_calendar_events_are_skipped_with_reasons_and_the_rest_get_drafts(
    sandbox_factory: Any, make_runtime: RuntimeFactory, captured_log: CapturedLog
) -> None:
    # Given a calendar holding a good interview among odd and hostile events
    # When one pass runs after they ended
    sandbox, _, report = _odd_pass(sandbox_factory, make_runtime)

    # Then the pass went through and says what it skipped and why
    assert report.ok, report.failures
    (calendar,) = [s for s in report.syncs if s.source == "google_calendar"]
    skipped = {(s.record_id, s.reason) for s in calendar.skipped}
    assert ("evtnoend", "event has no end") in skipped
    assert any(r == "evtnoemail" and "has no email address" in why for r, why in skipped)
    not_interviews = {
        e["event_id"]: e["reason"] for e in captured_log.events("calendar.not_interview")
    }
    assert not_interviews["evtnoattendees"] == Reason.NO_CONTACT.value
    assert not_interviews["evtnoemail"] == Reason.NO_CONTACT.value
    assert not_interviews["evtallday"] == Reason.ALL_DAY.value
    # and the good interview, and every odd one that is still an interview, got one draft
    interviews = {"evtgood", "evtbig", "evtrtl", "evtemoji", "evtcrlf", "evtgia"}
    assert set(meetings_by_event(sandbox)) == interviews
    assert len(drafts(sandbox)) == 6
    assert _draft_to(sandbox, ADA)["Subject"] == "Thank you, Ada!"


def test_names_in_any_script_and_header_syntax_make_well_formed_drafts(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, _, report = _odd_pass(sandbox_factory, make_runtime)

    assert report.ok, report.failures
    rtl, emoji = _draft_to(sandbox, "maryam@d.example"), _draft_to(sandbox, "zoe@e.example")
    assert str(rtl["Subject"]) == "Thank you, مريم!"
    assert str(rtl["To"]) == "مريم الحسن <maryam@d.example>"
    assert str(emoji["Subject"]) == "Thank you, Zoë!"
    assert str(emoji["To"]) == "Zoë 🚀 Chen <zoe@e.example>"
    # CR LF and header syntax in the name, the title and the notes add no header
    evil = _draft_to(sandbox, "mal@f.example")
    assert len(evil.get_all("To")) == 1
    assert str(evil["To"]).endswith("<mal@f.example>") and "\n" not in str(evil["To"])
    assert evil.get_all("Bcc") is None and evil.get_all("Cc") is None
    assert evil.get_all("Subject") == ["Thank you, Mallory!"]
    assert "send the link" in evil.get_content()
    gia = _draft_to(sandbox, "gia@g.example")
    assert len(gia.get_all("To")) == 1 and gia.get_all("Bcc") is None
    assert gia.get_all("Subject") == ["Thank you, Gia!"]


def test_a_megabyte_of_notes_makes_a_short_draft_and_slows_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime, report = _odd_pass(sandbox_factory, make_runtime)

    assert report.ok, report.failures
    body = _draft_to(sandbox, "big@c.example").get_content()
    assert body.startswith("Hi Bea,") and len(body) < 5_000  # the insight is cut short
    # and the Meetings row holds as much of the notes as Airtable takes (100,000 characters;
    # more is refused, which cost the row and its follow-ups), with the thank-you follow-up
    big = meetings_by_event(sandbox)["evtbig"]
    assert big["Status"] == "Completed" and len(big["Notes"]) == 100_000
    assert any(f["Title"] == "Send Bea a thank-you" for f in rows(sandbox, "Follow-ups"))
    # and the service keeps running: a second pass is clean and changes nothing
    again = run_once(runtime)
    assert again.ok and again.done == []
    assert len(drafts(sandbox)) == 6


def _loose_contact_fields() -> list[dict[str, Any]]:
    """The Contacts fields as a user might have retyped two (text instead of a date, a number)."""
    retyped = ("Update Every (days)", "Last Met")
    return [
        {"name": f["name"], "type": "singleLineText"} if f["name"] in retyped else dict(f)
        for f in CONTACT_FIELDS
    ]


def test_duplicate_emails_and_odd_airtable_rows_lose_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory, captured_log: CapturedLog
) -> None:
    # Given Airtable rows: Grace twice (one email, two spellings), an empty row, a row with an
    # email only, and a row whose retyped fields hold text where a date and a number belong
    grace = airtable_contact(
        "recGrace0000001", Name="Grace Hopper", Email="grace@navy.example", Stage="Met"
    )
    old_grace = airtable_contact(
        "recGrace0000002", Name="G. Hopper (old)", Email="Grace@Navy.example", Stage="Inactive"
    )
    weird = airtable_contact(
        "recWeird0000001",
        Name="Wanda Weird",
        Email="wanda@w.example",
        Update_Every_days="monthly",
        Last_Met="last tuesday",
    )
    empty, email_only = (
        airtable_contact("recEmpty0000001"),
        airtable_contact("recEmail0000001", Email="only@o.example"),
    )
    events = [
        meeting(
            "evtgrace", "Coffee chat", at(2026, 3, 2, 9), attendees=[guest("grace@navy.example")]
        ),
        meeting("evtwanda", "Coffee chat", at(2026, 3, 2, 9), attendees=[guest("wanda@w.example")]),
    ]
    fixture = world(
        events=events,
        airtable=[grace, old_grace, empty, email_only, weird],
        contact_fields=_loose_contact_fields(),
    )

    sandbox, _, report = _pass(sandbox_factory, make_runtime, fixture)

    # Then the pass is clean and says what it could not use, and why
    assert report.ok, report.failures
    (airtable,) = [s for s in report.syncs if s.source == "airtable"]
    reasons = {s.record_id: s.reason for s in airtable.skipped}
    assert "needs a Name or an Email" in reasons["recEmpty0000001"]
    logged = {
        e.get("airtable_id"): e.get("reason") for e in captured_log.events("store.email_taken")
    }
    duplicate = reasons.get("recGrace0000002") or logged.get("recGrace0000002")
    assert "duplicate" in str(duplicate), (reasons, logged)
    ignored = {e["field"]: e["reason"] for e in captured_log.events("airtable.field_ignored")}
    assert "not a date" in str(ignored["Last Met"])
    assert "number" in str(ignored["Update Every (days)"])
    # and each interview got its draft, with the name the user wrote
    assert str(_draft_to(sandbox, "grace@navy.example")["Subject"]) == "Thank you, Grace!"
    assert str(_draft_to(sandbox, "wanda@w.example")["Subject"]) == "Thank you, Wanda!"
    # and no row the user wrote was lost or renamed: the first Grace moved on, the old one kept
    names = sorted(str(r.get("Name")) for r in rows(sandbox, "Contacts"))
    assert names == ["G. Hopper (old)", "Grace Hopper", "None", "None", "Wanda Weird"]
    assert contact(sandbox, "grace@navy.example")["Stage"] == "Keeping in touch"
    assert contact(sandbox, "Grace@Navy.example")["Stage"] == "Inactive"
    assert contact(sandbox, "wanda@w.example")["Update Every (days)"] == "monthly"


def test_the_pass_after_bad_input_still_picks_up_new_work(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime, report = _odd_pass(sandbox_factory, make_runtime)
    assert report.ok, report.failures

    # When a new interview ends later that day
    sandbox.add_event(
        meeting(
            "evtlater",
            "Coffee chat",
            at(2026, 3, 2, 14),
            attendees=[guest("late@l.example", "Lee Late")],
        )
    )
    runtime.clock = type(runtime.clock).frozen_at(at(2026, 3, 2, 16))
    later = run_once(runtime)

    assert later.ok, later.failures
    assert str(_draft_to(sandbox, "late@l.example")["Subject"]) == "Thank you, Lee!"
    assert len(drafts(sandbox)) == 7
    assert dt.date(2026, 3, 2).isoformat() == meetings_by_event(sandbox)["evtlater"]["Start"][:10]


def test_odd_cadences_and_dates_in_airtable_cost_no_thank_you(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given contacts whose cadence is 0, negative, a billion days or a fraction, one whose
    # update was due in 1900, and one whose Last Met the user typed as 9999-12-30
    def keeping(record_id: str, name: str, email: str, **fields: Any) -> dict[str, Any]:
        return airtable_contact(
            record_id, Name=name, Email=email, Stage="Keeping in touch", **fields
        )

    contacts = [
        keeping("recZero0000001", "Zed Zero", "zero@z.example", Update_Every_days=0),
        keeping("recNeg00000001", "Ned Neg", "neg@n.example", Update_Every_days=-5),
        keeping("recHuge0000001", "Hugh Huge", "huge@h.example", Update_Every_days=10**9),
        keeping("recFrac0000001", "Fran Frac", "frac@f.example", Update_Every_days=2.5),
        keeping("recOld00000001", "Olga Old", "old@o.example", Next_Update_Due="1900-01-01"),
        keeping("recFar00000001", "Fay Far", "far@f.example", Last_Met="9999-12-30"),
    ]
    nine = at(2026, 3, 2, 9)
    events = [
        meeting(f"evt{name}", "Coffee chat", nine, attendees=[guest(email)])
        for name, email in (
            ("zero", "zero@z.example"),
            ("huge", "huge@h.example"),
            ("far", "far@f.example"),
        )
    ]

    # When the interviews end, and again forty days later
    sandbox, runtime, first = _pass(
        sandbox_factory, make_runtime, world(events=[_good_interview(), *events], airtable=contacts)
    )
    runtime.clock = type(runtime.clock).frozen_at(AFTER + dt.timedelta(days=40))
    later = run_once(runtime)

    # Then every interview got its thank-you, Fay's included (her date overflowed a year 9999)
    assert first.ok and later.ok, (first.failures, later.failures)
    thank_yous = [d for d in drafts(sandbox) if d["subject"].startswith("Thank you, ")]
    assert len(thank_yous) == 4
    assert len(drafts(sandbox)) == 4 + 4  # and a draft with each of the four progress updates
    assert contact(sandbox, "far@f.example")["Last Met"] == "9999-12-30"  # the user's value kept
    # and unusable cadences fall back to the default (30 days)
    assert contact(sandbox, "zero@z.example")["Next Update Due"] == "2026-04-01"
    assert contact(sandbox, "huge@h.example")["Next Update Due"] == "2026-04-01"
    # and reminders come when due: Olga's at once, the others after their 30 days
    assert first.reminders == ("Send Olga an update on your progress",)
    assert set(later.reminders) == {
        "Send Zed an update on your progress",
        "Send Hugh an update on your progress",
        "Send Ada an update on your progress",
    }


def test_rows_the_user_made_or_emptied_in_airtable_are_left_alone(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's interview was followed through
    fixture = world(events=[_good_interview()], airtable=[])
    sandbox, runtime, first = _pass(sandbox_factory, make_runtime, fixture)
    assert first.ok, first.failures
    # When the user adds empty and hand-made rows, and clears the Key and Event ID of ours
    base = sandbox.airtable
    for table in ("Meetings", "Follow-ups", "Contacts"):
        base.create_record(table, {})
    base.create_record(
        "Meetings", {"Title": "lunch", "Event ID": "evtNotOurs", "Status": "Completed"}
    )
    base.create_record(
        "Follow-ups", {"Title": "my own todo", "Kind": "Action item", "Status": "Done"}
    )
    (ours,) = base.records("Meetings")[:1]
    base.update_record("Meetings", ours["id"], {"Event ID": None, "Notes": "TODO: a new promise"})
    (thanks,) = [r for r in base.records("Follow-ups") if r["fields"].get("Kind") == "Thank-you"]
    base.update_record("Follow-ups", thanks["id"], {"Key": None, "Status": "Done"})
    runtime.clock = type(runtime.clock).frozen_at(AFTER + dt.timedelta(hours=2))
    second = run_once(runtime)

    # Then the pass is clean, says which row it could not use, and keeps every row
    assert second.ok, second.failures
    (airtable,) = [s for s in second.syncs if s.source == "airtable"]
    assert any("needs a Name or an Email" in s.reason for s in airtable.skipped)
    titles = sorted(str(r.get("Title")) for r in rows(sandbox, "Follow-ups"))
    assert titles == ["None", "Send Ada a thank-you", "a new promise", "my own todo"]
    assert {str(r.get("Title")) for r in rows(sandbox, "Meetings")} >= {"None", "lunch"}
    assert len(drafts(sandbox)) == 1
    assert run_once(runtime).done == []
