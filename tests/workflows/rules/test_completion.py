"""A completed interview's whole plan: draft, follow-ups, contact, notes; history gets less."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from tests.workflows.rules.builders import NEW_YORK
from workflows.rules.completion import (
    CompletedMeeting,
    CompletionSettings,
    invited_address,
    plan_completion,
)
from workflows.rules.draft import template_environment
from workflows.rules.followups import FollowUpKind, FollowUpPlan
from workflows.rules.keys import draft_key, message_id, thank_you_key
from workflows.rules.notes import merge_notes
from workflows.rules.people import PersonView
from workflows.rules.reminders import ContactUpdate

START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
JANE = PersonView(
    name="Jane Doe",
    emails=("jane@acme.com",),
    airtable_id="recJane",
    stage="Met",
    last_met=dt.date(2026, 6, 1),
    update_every_days=21,
)
SETTINGS = CompletionSettings(
    zone=NEW_YORK, sender_name="Alex Kim", first_sync_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
)


def meeting(**changes: object) -> CompletedMeeting:
    values: dict[str, object] = {
        "event_id": "evt1",
        "original_start": START,
        "title": "Coffee chat: data engineering",
        "start": START,
        "end": START + dt.timedelta(minutes=30),
        "contact": JANE,
        "notes": "Insight: learn dbt<br>TODO: send my portfolio<br>- [ ] read DDIA",
    }
    values.update(changes)
    return CompletedMeeting(**values)  # type: ignore[arg-type]


def test_a_completed_interview_gets_its_draft_follow_ups_and_contact_update() -> None:
    plan = plan_completion(meeting(), SETTINGS)
    assert not plan.history and plan.skipped == ()
    assert plan.notes == "Insight: learn dbt\nTODO: send my portfolio\n- [ ] read DDIA"
    assert plan.draft is not None and plan.draft.to == "jane@acme.com"
    assert plan.draft.message_id == message_id(draft_key("evt1", START))
    assert "  - Learn dbt.\n" in plan.draft.body and "about data engineering" in plan.draft.body
    assert [(f.kind, f.due) for f in plan.followups] == [
        (FollowUpKind.THANK_YOU, dt.date(2026, 11, 21)),
        (FollowUpKind.ACTION_ITEM, dt.date(2026, 11, 27)),
        (FollowUpKind.ACTION_ITEM, dt.date(2026, 11, 27)),
    ]
    assert plan.contact_update.last_met == dt.date(2026, 11, 20)
    assert plan.contact_update.next_update_due == dt.date(2026, 12, 11)  # her 21-day cadence
    assert plan.contact_update.stage == "Keeping in touch"


def test_planning_twice_gives_the_same_plan() -> None:
    assert plan_completion(meeting(), SETTINGS) == plan_completion(meeting(), SETTINGS)


def test_the_plan_follows_the_meetings_notes_as_the_sync_merged_them() -> None:
    notes = merge_notes("Insight: learn dbt<br>TODO: send my portfolio", "TODO: call Bob")
    plan = plan_completion(meeting(notes=notes), SETTINGS)
    assert plan.notes == "TODO: call Bob"
    assert [f.title for f in plan.followups if f.kind is FollowUpKind.ACTION_ITEM] == ["call Bob"]


def test_history_is_recorded_without_draft_or_follow_ups() -> None:
    last_spring = dt.datetime(2026, 4, 2, 15, 0, tzinfo=dt.UTC)
    plan = plan_completion(
        meeting(start=last_spring, end=last_spring + dt.timedelta(hours=1)), SETTINGS
    )
    assert plan.history and plan.draft is None and plan.followups == ()
    assert plan.contact_update.last_met == dt.date(
        2026, 6, 1
    )  # an older meeting moves nothing back


def test_a_contact_without_a_usable_email_gets_follow_ups_and_a_reason() -> None:
    nameless = PersonView(name="Pat", emails=())
    plan = plan_completion(meeting(contact=nameless, attendee_email="not an email"), SETTINGS)
    assert plan.draft is None and "fix it in Airtable" in plan.skipped[0]
    assert plan.followups[0].title == "Send Pat a thank-you"


def test_the_invited_address_is_the_contacts_own_as_the_invite_writes_it() -> None:
    jane = PersonView(name="Jane Doe", emails=("jane@acme.com", "jane.doe@gmail.com"))
    invite = ["me@example.com", "Jane.Doe+x@GMail.com", "jane@acme.com"]

    assert invited_address(jane, invite) == "Jane.Doe+x@GMail.com"
    assert invited_address(jane, ["someone@else.example"]) is None


def test_the_draft_goes_to_the_invited_address_else_the_primary_one() -> None:
    invited = plan_completion(meeting(attendee_email="jane.doe@gmail.com"), SETTINGS)
    assert invited.draft is not None and invited.draft.to == "jane.doe@gmail.com"
    primary = plan_completion(meeting(), SETTINGS)
    assert primary.draft is not None and primary.draft.to == "jane@acme.com"


def test_the_draft_follows_the_users_settings_and_lists_the_promises(tmp_path: Path) -> None:
    (tmp_path / "thank_you_subject.txt.j2").write_text("Merci, {{ first_name }}!")
    settings = CompletionSettings(
        zone=NEW_YORK,
        sender_name="Alex Kim",
        sender_email="alex@kim.dev",
        first_sync_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        title_pattern=re.compile("walk and talk", re.IGNORECASE),
        templates=template_environment(tmp_path),
    )
    late = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # Friday evening in New York
    plan = plan_completion(
        meeting(title="Walk and talk: data careers", start=late, end=late), settings
    )
    assert plan.draft is not None
    assert (plan.draft.subject, plan.draft.sender) == ("Merci, Jane!", "alex@kim.dev")
    assert "on Friday, November 20, about data careers." in plan.draft.body
    assert "As promised, I'll send my portfolio and read DDIA." in plan.draft.body


def test_a_contact_without_email_is_written_to_at_the_invites_address() -> None:
    unknown = PersonView(name="Pat Q", emails=())
    plan = plan_completion(meeting(contact=unknown, attendee_email="pat@unknown.net"), SETTINGS)
    assert plan.draft is not None and plan.draft.to == "pat@unknown.net"
    nowhere = plan_completion(meeting(contact=unknown), SETTINGS)
    assert nowhere.draft is None
    assert nowhere.skipped == (
        "the contact's email '' is not one plain email address; fix it in Airtable",
    )


def test_history_days_decide_which_past_meetings_get_a_draft() -> None:
    first_sync = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    two_days_ago = first_sync - dt.timedelta(days=2)
    past = meeting(start=two_days_ago, end=two_days_ago + dt.timedelta(minutes=30))
    default = CompletionSettings(zone=NEW_YORK, sender_name="Alex", first_sync_at=first_sync)
    strict = dataclasses.replace(default, history_days=1)
    assert plan_completion(past, default).draft is not None
    assert plan_completion(past, strict).history


def test_notes_followthrough_wrote_itself_give_way_to_a_newer_description() -> None:
    ours = "Insight: learn dbt"
    notes = merge_notes("TODO: call Bob", ours, previously_synced=ours)
    assert plan_completion(meeting(notes=notes), SETTINGS).notes == "TODO: call Bob"


def test_keys_dates_and_the_contact_update_follow_the_meeting_and_settings() -> None:
    late = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # Friday evening in New York
    resting = PersonView(name="Jane Doe", emails=("jane@acme.com",), stage="Inactive")
    settings = dataclasses.replace(SETTINGS, default_cadence=14)
    plan = plan_completion(meeting(start=late, end=late, contact=resting), settings)
    assert plan.draft_key == draft_key("evt1", START)
    assert plan.followups[0] == FollowUpPlan(
        thank_you_key("evt1", START), FollowUpKind.THANK_YOU, "Send Jane a thank-you",
        dt.date(2026, 11, 21),
    )  # fmt: skip
    assert plan.contact_update == ContactUpdate(
        dt.date(2026, 11, 20), dt.date(2026, 12, 4), "Inactive"
    )
