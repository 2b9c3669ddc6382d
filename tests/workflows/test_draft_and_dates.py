"""The thank-you draft the user finds in Gmail, and the dates of what follows, across DST."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

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
    guest,
    meeting,
    rows,
    set_now,
    world,
)
from workflows.passes import run_once
from workflows.rules.followups import NO_NOTES_HINT
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
NOTES = (
    "Insight: start with the data model\n"
    "- takeaway: hiring managers read the README first\n"
    "TODO: send the notes link\n"
    "- [ ] intro to Charles\n"
    "just a line of thought"
)


def _flow(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    events: list[dict[str, Any]],
    now: dt.datetime,
    airtable: list[dict[str, Any]] | None = None,
    **config: Any,
) -> tuple[Sandbox, Runtime]:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    fixture = world(events=events, airtable=[ada] if airtable is None else airtable)
    sandbox: Sandbox = sandbox_factory(fixture, airtable_rate_limit=FAST_AIRTABLE)
    runtime = fast(make_runtime(sandbox, now=now, **config), sandbox)
    report = run_once(runtime)
    assert report.ok, report.failures
    return sandbox, runtime


def test_the_thank_you_names_what_was_learned_and_promised(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    event = meeting(
        "evt1",
        "Coffee chat: data engineering at Acme",
        at(2026, 3, 2, 10),
        attendees=[guest(ADA)],
        description=NOTES,
    )
    sandbox, _ = _flow(sandbox_factory, make_runtime, [event], at(2026, 3, 2, 11))

    (draft,) = drafts(sandbox)
    assert draft["subject"] == "Thank you, Ada!"
    body = draft["body"]
    assert body.startswith("Hi Ada,")
    assert "with me today about data engineering at Acme." in body
    assert "  - Start with the data model.\r\n" in body
    assert "  - Hiring managers read the README first.\r\n" in body
    assert "send the notes link" in body and "intro to Charles" in body
    assert '"' not in body  # what was learned is the user's, not quoted as the contact's words
    assert "just a line of thought" not in body
    assert body.rstrip().endswith("Sam Seeker")
    actions = sorted(f["Title"] for f in followups(sandbox, "Action item"))
    assert actions == ["intro to Charles", "send the notes link"]
    assert {f["Due"] for f in followups(sandbox, "Action item")} == {"2026-03-09"}
    assert all(f["Status"] == "Open" and f["Key"] for f in followups(sandbox))


def test_the_users_templates_replace_the_default_ones(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_subject.txt.j2").write_text("Great talking, {{ first_name }}")
    (templates / "thank_you_body.txt.j2").write_text(
        "Dear {{ first_name }},\n"
        "{% for i in insights %}* {{ i }}\n{% endfor %}"
        "-- {{ sender_name }}\n"
    )
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)

    sandbox, _ = _flow(
        sandbox_factory,
        make_runtime,
        [event],
        at(2026, 3, 2, 11),
        templates_dir=templates,
        sender_name="Samantha",
    )

    (draft,) = drafts(sandbox)
    assert draft["subject"] == "Great talking, Ada"
    body = draft["body"].replace("\r\n", "\n")
    assert body.startswith("Dear Ada,\n* start with the data model\n")
    assert "-- Samantha" in body


def test_a_name_with_header_syntax_cannot_inject_headers(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    evil = airtable_contact(
        "recEvil000000001",
        Name="Eve\r\nBcc: victim@else.example",
        Email="eve@evil.example",
        Stage="Met",
    )
    event = meeting(
        "evt1",
        "Chat",
        at(2026, 3, 2, 10),
        attendees=[guest("eve@evil.example")],
        description="Insight: a\r\nBcc: x@y.example",
    )
    sandbox, _ = _flow(sandbox_factory, make_runtime, [event], at(2026, 3, 2, 11), airtable=[evil])

    (draft,) = drafts(sandbox)
    headers = {name.casefold() for name in draft["headers"]}
    assert "bcc" not in headers and "cc" not in headers
    assert draft["headers"]["To"].endswith("<eve@evil.example>")
    assert "\n" not in draft["headers"]["To"]
    assert draft["subject"] == "Thank you, Eve!"


def test_dates_follow_the_users_zone_across_the_dst_change(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given an interview late on Saturday March 7, 2026 (already Sunday in UTC), and one
    # late on Sunday March 8, the day daylight saving time starts in New York
    events = [
        meeting("evtsat", "Coffee chat", at(2026, 3, 7, 22), attendees=[guest(ADA)]),
        meeting(
            "evtsun",
            "Coffee chat",
            at(2026, 3, 8, 23),
            attendees=[guest("bob@builder.example", "Bob Builder")],
        ),
    ]
    sandbox, runtime = _flow(sandbox_factory, make_runtime, events, at(2026, 3, 6, 9))

    # When both are over
    set_now(runtime, at(2026, 3, 9, 8))
    report = run_once(runtime)

    # Then each thank-you is due the next local day, and the contacts were met on local days
    assert report.ok, report.failures
    due = {f["Title"]: f["Due"] for f in followups(sandbox, "Thank-you")}
    hint = NO_NOTES_HINT
    assert due == {
        f"Send Ada a thank-you {hint}": "2026-03-08",
        f"Send Bob a thank-you {hint}": "2026-03-09",
    }
    assert contact(sandbox, ADA)["Last Met"] == "2026-03-07"
    assert contact(sandbox, "bob@builder.example")["Last Met"] == "2026-03-08"
    assert contact(sandbox, "bob@builder.example")["Next Update Due"] == "2026-04-07"
    bodies = sorted(d["body"] for d in drafts(sandbox))
    # Saturday's is two local days old on Monday morning (in UTC it would be "yesterday");
    # Sunday's is "yesterday" (in UTC it ended on Monday, "today")
    assert any("with me on Saturday, March 7." in b for b in bodies)
    assert any("with me yesterday." in b for b in bodies)


def test_the_time_zone_setting_overrides_the_calendars(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # 22:00 in New York on March 2 is already March 3 in Berlin
    event = meeting("evt1", "Chat", at(2026, 3, 2, 22), attendees=[guest(ADA)])
    sandbox, _ = _flow(
        sandbox_factory, make_runtime, [event], at(2026, 3, 3, 9), time_zone="Europe/Berlin"
    )
    assert contact(sandbox, ADA)["Last Met"] == "2026-03-03"
    assert [f["Due"] for f in followups(sandbox, "Thank-you")] == ["2026-03-04"]


def test_contact_dates_and_stage_after_a_meeting(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    people = [
        airtable_contact(
            "recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met", Update_Every_days=14
        ),
        airtable_contact(
            "recIna0000000001", Name="Ina Active", Email="ina@x.example", Stage="Inactive"
        ),
    ]
    events = [
        meeting("evtada", "Chat", at(2026, 3, 2, 9), attendees=[guest(ADA)]),
        meeting("evtina", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest("ina@x.example")]),
    ]
    sandbox, _ = _flow(sandbox_factory, make_runtime, events, at(2026, 3, 2, 12), airtable=people)

    ada = contact(sandbox, ADA)
    assert (ada["Stage"], ada["Last Met"], ada["Next Update Due"]) == (
        "Keeping in touch",
        "2026-03-02",
        "2026-03-16",
    )
    ina = contact(sandbox, "ina@x.example")
    assert ina["Stage"] == "Inactive"
    assert ina["Last Met"] == "2026-03-02"
    assert len(rows(sandbox, "Meetings")) == 2


@pytest.mark.parametrize(("shown", "signed"), [("Samira Okafor", "Samira Okafor"), (None, None)])
def test_without_a_sender_name_the_draft_is_signed_with_the_calendars_name_for_the_user(
    sandbox_factory: Any, make_runtime: RuntimeFactory, shown: str | None, signed: str | None
) -> None:
    # Given no FOLLOWTHROUGH_SENDER_NAME, and a calendar that shows the user's name (or not)
    event = meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])
    if shown:
        event["attendees"][0]["displayName"] = shown

    # When the interview is over
    sandbox, _ = _flow(sandbox_factory, make_runtime, [event], at(2026, 3, 2, 11), sender_name="")

    # Then the draft is signed with that name, or closes on a line that needs none
    (draft,) = drafts(sandbox)
    last = draft["body"].rstrip().splitlines()[-2:]
    assert last[1] == signed if signed else last == ["", "All the best!"]
    assert "Best,\r\n\r\n" not in draft["body"] and not draft["body"].rstrip().endswith(",")
