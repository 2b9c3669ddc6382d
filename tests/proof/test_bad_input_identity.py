"""Hostile and odd input, end to end: one person's addresses written many ways, and markup in
everything a user types that the status page shows.

An address with several `+` tags, a domain written with its trailing root dot, and Gmail's
other spellings (dots, googlemail.com) are the same person, for the contact and for the user:
the user's decline and a contact's decline count under any of them. Titles, names, notes and
error messages holding HTML reach the status page as text, never as markup. The pure rules
are tested in tests/workflows/rules (test_emails, test_qualify, test_lifecycle) and the
page's template in tests/service/test_web.py; here the same input comes in through the
sandbox's APIs and whole `run_once` passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from markupsafe import escape

from connectors.sandbox.server import Sandbox
from service.web.app import create_app
from service.web.context import BasicContext
from service.web.server import WebServer
from tests.proof.conftest import CapturedLog
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
    me,
    meeting,
    meetings_by_event,
    rows,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.queries.home import home
from workflows.rules.qualify import Reason
from workflows.runtime import Runtime

USER = "jdoe@gmail.com"  # the user, who also writes themself J.Doe@GoogleMail.com
USER_ELSEWHERE = "J.Doe+calendar+work@GoogleMail.com."
ADA = "adalovelace@gmail.com"  # as the user wrote her in Airtable
ADA_ELSEWHERE = "Ada.Lovelace+cal+2026@googlemail.com."
GRACE = "grace@navy.example"
ROWS = [
    airtable_contact("recAda00000001", Name="Ada Lovelace", Email=ADA, Stage="Met"),
    airtable_contact("recGrace000001", Name="Grace Hopper", Email=GRACE, Stage="Met"),
]
AFTER = at(2026, 3, 2, 11)


def _start(
    sandbox_factory: Any, make_runtime: RuntimeFactory, events: list[dict[str, Any]], **config: Any
) -> tuple[Sandbox, Runtime]:
    """The user's sandbox with `events`, Ada and Grace in Airtable, and a runtime on it."""
    fixture = world(events=events, airtable=ROWS, user=USER)
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    return sandbox, fast(make_runtime(sandbox, now=AFTER, **config), sandbox)


def _with(event: dict[str, Any], *attendees: dict[str, Any]) -> dict[str, Any]:
    """`event` with exactly these attendees (the user's own entry included only if given)."""
    return {**event, "attendees": list(attendees)}


def _to(sandbox: Sandbox) -> list[str]:
    return sorted(str(d.parsed["To"]) for d in sandbox.gmail_api.drafts.values())


# --- one person, many spellings ---------------------------------------------------------------


def test_contacts_written_with_tags_and_a_trailing_dot_are_the_airtable_contacts(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given lunches (titles that do not look like interviews) with Ada, invited under another
    # Gmail spelling with several + tags, and Grace, invited with her domain's trailing dot;
    # and a coffee chat with Pat, whom Airtable does not know, also with a trailing dot
    nine = at(2026, 3, 2, 9)
    me_ = me(email=USER)
    events = [
        _with(meeting("evtada", "Lunch", nine), me_, guest(ADA_ELSEWHERE, "Ada")),
        _with(meeting("evtgrace", "Lunch", nine), me_, guest(GRACE + ".", "Grace")),
        _with(meeting("evtpat", "Coffee chat", nine), me_, guest("Pat@P.example.", "Pat Doe")),
    ]
    sandbox, runtime = _start(sandbox_factory, make_runtime, events)

    # When one pass runs after they ended
    clean_pass(runtime)

    # Then all are interviews: Ada's and Grace's with their Airtable rows, one thank-you each
    # to the address they were invited at (without a trailing dot: Gmail would not take
    # "pat@p.example." in a To), no new row for the other spellings; and Pat is added
    assert _to(sandbox) == [
        f"Ada Lovelace <{ADA_ELSEWHERE.rstrip('.')}>",
        f"Grace Hopper <{GRACE}>",
        "Pat Doe <Pat@P.example>",
    ]
    assert set(meetings_by_event(sandbox)) == {"evtada", "evtgrace", "evtpat"}
    assert sorted(r["Email"] for r in rows(sandbox, "Contacts")) == sorted(
        [ADA, GRACE, "Pat@P.example"]
    )
    assert {r["Stage"] for r in rows(sandbox, "Contacts")} == {"Keeping in touch"}


def test_an_event_the_user_declined_under_another_spelling_is_no_interview(
    sandbox_factory: Any, make_runtime: RuntimeFactory, captured_log: CapturedLog
) -> None:
    # Given a coffee chat the user declined, their entry written as J.Doe+...@GoogleMail.com.
    # (not flagged as theirs), beside an interview they attended as themself
    nine = at(2026, 3, 2, 9)
    declined = {"email": USER_ELSEWHERE, "responseStatus": "declined"}
    events = [
        _with(meeting("evtgrace", "Lunch", nine), me(email=USER), guest(GRACE, "Grace")),
        _with(meeting("evtdeclined", "Coffee chat", nine), declined, guest("pat@p.example")),
    ]
    sandbox, runtime = _start(sandbox_factory, make_runtime, events)

    # When one pass runs after both ended
    clean_pass(runtime)

    # Then the declined chat is skipped as declined: no meeting, no draft, no new contact
    reasons = {e["event_id"]: e["reason"] for e in captured_log.events("calendar.not_interview")}
    assert reasons["evtdeclined"] == Reason.DECLINED_BY_USER.value
    assert set(meetings_by_event(sandbox)) == {"evtgrace"}
    assert _to(sandbox) == [f"Grace Hopper <{GRACE}>"]
    assert "pat@p.example" not in {r.get("Email") for r in rows(sandbox, "Contacts")}


def test_a_contact_who_declines_under_another_spelling_cancels_the_meeting(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a lunch with Ada this afternoon, invited under the address the user keeps for her
    lunch = meeting("evtada", "Lunch", at(2026, 3, 2, 14), description="TODO: send the paper")
    events = [_with(lunch, me(email=USER), guest(ADA, "Ada"))]
    sandbox, runtime = _start(sandbox_factory, make_runtime, events)
    clean_pass(runtime)
    assert meetings_by_event(sandbox)["evtada"]["Status"] == "Scheduled"

    # When Ada declines from another spelling of her address, and the afternoon passes
    declined = guest(ADA_ELSEWHERE, "Ada", response="declined")
    sandbox.update_event("evtada", {"attendees": [me(email=USER), declined]})
    clean_pass(runtime)
    set_now(runtime, at(2026, 3, 3, 9))
    clean_pass(runtime)

    # Then the meeting says Cancelled, and there is no thank-you and no follow-up (but the
    # Prepare of its brief, written that morning)
    assert meetings_by_event(sandbox)["evtada"]["Status"] == "Cancelled"
    assert drafts(sandbox) == []
    assert [f["Kind"] for f in followups(sandbox)] == ["Prepare"]


# --- markup in what the user typed, on the status page ------------------------------------------

MARKUP = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<iframe src=javascript:alert(3)>",
)


def _escaped(text: str) -> str:
    return str(escape(text))


def _hostile_events() -> list[dict[str, Any]]:
    """Interviews whose titles, attendee names and promises hold markup; the second ends later."""
    script, img, frame = MARKUP
    return [
        meeting(
            "evtended",
            f"Coffee chat {script}",
            at(2026, 3, 2, 9),
            attendees=[guest("mal@m.example", f"Mal {img}")],
            description=f"TODO: {script} the deck\nTODO: {img} the intro\nInsight: {frame}",
        ),
        meeting(
            "evtahead",
            f"Coffee chat {frame}",
            at(2026, 3, 9, 14),
            attendees=[guest("eve@e.example", f"Eve {script}")],
        ),
    ]


def _status_page(runtime: Runtime) -> str:
    """The status page as a browser gets it from the web app over HTTP."""
    context = BasicContext({}, lambda: home(runtime))
    with WebServer(create_app(context)) as server:
        page = requests.get(server.url + "/", timeout=10)
    assert page.status_code == 200
    return page.text


def _no_markup(page: str) -> None:
    for marker in MARKUP:
        assert marker not in page
    assert "<script" not in page and "<img" not in page and "<iframe" not in page


def test_markup_in_titles_names_and_notes_reaches_the_status_page_as_text(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given interviews whose title, contact name and promises hold markup
    _, runtime = _start(sandbox_factory, make_runtime, _hostile_events())

    # When a pass runs after the first ended, and the user opens the status page once the
    # second has ended too (it waits for its effects)
    clean_pass(runtime)
    set_now(runtime, at(2026, 3, 9, 14, 40))
    page = _status_page(runtime)

    # Then every one of those strings is on the page as text, and none of them is markup
    _no_markup(page)
    script, img, frame = MARKUP
    for shown in (
        f"Coffee chat {frame}",  # a waiting meeting's title
        f"Eve {script}",  # its contact
        f"{script} the deck",  # open follow-ups from the promises
        f"{img} the intro",
        f"Mal {img}",  # their contact
    ):
        assert _escaped(shown) in page, shown


def test_markup_in_an_error_message_reaches_the_status_page_as_text(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given the user's own thank-you subject template names a template that does not exist,
    # written as markup (the error quotes it)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_subject.txt.j2").write_text(f'{{% include "{MARKUP[0]}" %}}')
    _, runtime = _start(
        sandbox_factory, make_runtime, _hostile_events()[:1], templates_dir=templates
    )

    # When a pass fails to draft the thank-you, and the user opens the status page
    report = run_once(runtime)
    assert not report.ok
    page = _status_page(runtime)

    # Then the error is listed with what the template said, as text
    _no_markup(page)
    recent = page.split('id="recent-errors"', 1)[1]
    assert "thank_you_subject.txt.j2" in recent
    assert _escaped(MARKUP[0]) in recent
