"""The user's edits are theirs, over HTTP: a draft edited in Gmail survives a notes change
(what the notes add goes to its follow-up), the Airtable link follows the draft's current
message, and a configured model's polished draft is what lands in Gmail."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import SCHEMA, FieldSpec, TableSpec
from connectors.google.auth import GMAIL_METADATA_SCOPE, SCOPES
from connectors.google.client import GoogleClient
from connectors.model import ChatModel
from connectors.policy import FAST_POLICY
from connectors.sandbox.chat import SANDBOX_MODEL
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_tasks_mirror import google_tasks
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import PassReport, run_once
from workflows.revisions import Revision, notes_changed
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
NOTES = "Insight: start with the data model\nTODO: send the notes link"
MORE = NOTES + "\nTakeaway: ship small\nTODO: share the deck"
MINE = "Hi Ada,\n\nThank you so much for today. I'll send the notes link tonight.\n\nSam\n"


def _world(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    *,
    model: bool = False,
    schema: tuple[TableSpec, ...] = SCHEMA,
    **config: Any,
) -> tuple[Sandbox, Runtime]:
    """Ada's chat on March 2 at 10:00, in a base made with `schema`."""
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    if model:
        config["draft_model"] = ChatModel(f"{sandbox.url}/v1", SANDBOX_MODEL, None)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 11), init=False, **config), sandbox)
    init_schema(runtime.need_airtable(), schema)
    return sandbox, runtime


def _pass(runtime: Runtime, hour: int) -> PassReport:
    set_now(runtime, at(2026, 3, 2, hour))
    report = run_once(runtime)
    assert report.ok, report.failures
    return report


def _edit_notes(sandbox: Sandbox, notes: str) -> None:
    record = next(
        r for r in sandbox.airtable.records("Meetings") if r["fields"]["Event ID"] == "evt1"
    )
    sandbox.airtable.update_record("Meetings", record["id"], {"Notes": notes})


def _told(report: PassReport) -> list[str]:
    return [d.result.told for d in report.done if isinstance(d.result, Revision) and d.result.told]


def _link(sandbox: Sandbox) -> str:
    return str(meetings_by_event(sandbox)["evt1"]["Thank-you Draft"])


def _grant_gmail_metadata(runtime: Runtime, sandbox: Sandbox, tmp_path: Path) -> None:
    credentials = tmp_path / "google-metadata.json"
    credentials.write_text(json.dumps(sandbox.google_credentials([*SCOPES, GMAIL_METADATA_SCOPE])))
    credentials.chmod(0o600)
    runtime.google = GoogleClient(credentials, endpoint=sandbox.url, policy=FAST_POLICY)


def test_a_draft_the_user_edited_survives_a_notes_change_and_the_news_goes_to_its_follow_up(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tasks_sink="google")
    _pass(runtime, 11)
    (draft,) = drafts(sandbox)

    # When the user rewrites the draft in Gmail, then adds to the meeting's notes in Airtable
    edited = sandbox.edit_draft(draft["id"], body=MINE)
    _edit_notes(sandbox, MORE)
    report = _pass(runtime, 12)

    # Then the draft is still theirs, word for word, and its link opens their version
    (after,) = drafts(sandbox)
    assert after["id"] == draft["id"] and after["body"].replace("\r\n", "\n") == MINE
    assert _link(sandbox).endswith(f"#drafts?compose={edited}")
    # and what the notes added is in the Thank-you's task notes, and the pass says so
    tasks = {t["title"]: t for t in google_tasks(sandbox)["Followthrough"]}
    notes = tasks["Send Ada a thank-you"]["notes"]
    assert "- Learned: ship small\n- Promised: share the deck\n" in notes
    assert "start with the data model" not in notes and "send the notes link" not in notes
    (told,) = _told(report)
    assert told.startswith("kept the thank-you to Ada Lovelace as you edited it in Gmail; ")
    assert told.endswith(
        "added to its follow-up's notes in Airtable and Google Tasks: Learned: ship small; "
        "Promised: share the deck"
    )
    assert "- Promised: share the deck" in _thank_you(sandbox)["Notes"]
    # and the new promise is an Action item as always
    actions = sorted(f["Title"] for f in followups(sandbox, "Action item"))
    assert actions == ["send the notes link", "share the deck"]

    # and a later change adds only what is new again, to the same notes
    _edit_notes(sandbox, MORE + "\nInsight: pair early")
    _pass(runtime, 13)
    (still,) = drafts(sandbox)
    assert still["body"].replace("\r\n", "\n") == MINE
    notes = {t["title"]: t for t in google_tasks(sandbox)["Followthrough"]}["Send Ada a thank-you"][
        "notes"
    ]
    assert notes.count("ship small") == 1 and "- Learned: pair early\n" in notes


def test_the_draft_link_follows_a_regenerated_draft_into_the_right_mailbox(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    _grant_gmail_metadata(runtime, sandbox, tmp_path)
    _pass(runtime, 11)
    (draft,) = drafts(sandbox)
    mailbox = sandbox.user_email
    assert _link(sandbox) == (
        f"https://mail.google.com/mail/?authuser={mailbox}#drafts?compose={draft['message_id']}"
    )

    _edit_notes(sandbox, MORE)
    _pass(runtime, 12)

    (after,) = drafts(sandbox)
    assert after["id"] == draft["id"] and after["message_id"] != draft["message_id"]
    assert "share the deck" in after["body"]
    assert _link(sandbox) == (
        f"https://mail.google.com/mail/?authuser={mailbox}#drafts?compose={after['message_id']}"
    )

    # and a second notes change regenerates it again: Followthrough's own write is not an edit
    _edit_notes(sandbox, MORE + "\nInsight: pair early")
    report = _pass(runtime, 13)
    (again,) = drafts(sandbox)
    assert "Pair early" in again["body"] and not _told(report)
    assert _link(sandbox).endswith(f"#drafts?compose={again['message_id']}")
    profiles = [r for r in sandbox.requests_log() if r["route"] == "gmail.getProfile"]
    assert len(profiles) == 1


def test_without_a_gmail_read_scope_the_link_opens_the_first_mailbox(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime)
    _pass(runtime, 11)
    _edit_notes(sandbox, MORE)
    _pass(runtime, 12)

    (draft,) = drafts(sandbox)
    assert _link(sandbox) == (
        f"https://mail.google.com/mail/u/0/#drafts?compose={draft['message_id']}"
    )


def test_a_configured_models_polished_draft_lands_in_gmail(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, model=True)
    _pass(runtime, 11)
    (draft,) = drafts(sandbox)
    assert "  - " not in draft["body"]  # the model joined the bullets into sentences
    body = draft["body"].replace("\r\n", "\n")
    assert "taking away from our conversation: Start with the data model.\n" in body
    assert "\nAs promised, I'll send the notes link.\n" in body

    # and a notes edit is polished too
    _edit_notes(sandbox, MORE)
    _pass(runtime, 12)
    (after,) = drafts(sandbox)
    assert "  - " not in after["body"] and "ship small" in after["body"].lower()


def test_a_bad_rewrite_leaves_the_rule_built_draft(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, model=True)
    sandbox.set_chat_reply("drop_promise")
    _pass(runtime, 11)

    (draft,) = drafts(sandbox)
    assert "  - Start with the data model.\r\n" in draft["body"]
    assert sandbox.chat_requests()


def _thank_you(sandbox: Sandbox) -> dict[str, Any]:
    (row,) = followups(sandbox, "Thank-you")
    return row


def _write_thank_you_notes(sandbox: Sandbox, notes: str) -> None:
    (record,) = [
        r for r in sandbox.airtable.records("Follow-ups") if r["fields"]["Kind"] == "Thank-you"
    ]
    sandbox.airtable.update_record("Follow-ups", record["id"], {"Notes": notes})


USERS_OWN = "Ask her about the book she mentioned."
ADDED = (
    "New in the meeting's notes since you edited the draft:\n"
    "- Learned: ship small\n"
    "- Promised: share the deck"
)


def test_with_follow_ups_in_airtable_the_news_goes_after_the_users_own_notes_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Ada's draft, edited by the user in Gmail, and a note of their own on its follow-up
    sandbox, runtime = _world(sandbox_factory, make_runtime)  # follow-ups in Airtable only
    _pass(runtime, 11)
    (draft,) = drafts(sandbox)
    sandbox.edit_draft(draft["id"], body=MINE)
    _write_thank_you_notes(sandbox, USERS_OWN)

    # When the meeting's notes gain an insight and a promise
    _edit_notes(sandbox, MORE)
    report = _pass(runtime, 12)

    # Then they are in the Thank-you follow-up's Notes, after what the user wrote there
    assert _thank_you(sandbox)["Notes"] == f"{USERS_OWN}\n{ADDED}"
    (told,) = _told(report)
    assert told.endswith(
        "added to its follow-up's notes in Airtable: Learned: ship small; Promised: share the deck"
    )
    assert drafts(sandbox)[0]["body"].replace("\r\n", "\n") == MINE

    # and the same change handled again (a duplicate message) adds nothing
    meeting_id = next(d.item.payload["meeting_id"] for d in report.done if _is_revision(d))
    again = notes_changed(runtime, int(meeting_id))
    assert again.told == "kept the thank-you to Ada Lovelace as you edited it in Gmail"
    assert _thank_you(sandbox)["Notes"] == f"{USERS_OWN}\n{ADDED}"

    # and a later change adds only what is new, still after the user's words
    _edit_notes(sandbox, MORE + "\nInsight: pair early")
    _pass(runtime, 13)
    assert _thank_you(sandbox)["Notes"] == f"{USERS_OWN}\n{ADDED}\n- Learned: pair early"


def _is_revision(done: Any) -> bool:
    return isinstance(done.result, Revision)


class _BeforeNotes(TableSpec):
    """A table as the contract was before the Follow-ups `Notes` field."""

    @cached_property
    def attributes(self) -> tuple[tuple[str, FieldSpec], ...]:
        attributes = super().attributes
        if self.name != "Follow-ups":
            return attributes
        return tuple(a for a in attributes if a[1].name != "Notes")


BEFORE_NOTES = tuple(_BeforeNotes(spec.name, spec.cells) for spec in SCHEMA)


def test_a_base_without_the_follow_ups_notes_field_says_to_run_init_and_loses_nothing(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a base made before Follow-ups had a Notes field, and a draft the user edited
    sandbox, runtime = _world(sandbox_factory, make_runtime, schema=BEFORE_NOTES)
    _pass(runtime, 11)
    (draft,) = drafts(sandbox)
    sandbox.edit_draft(draft["id"], body=MINE)

    # When the notes change, the pass goes on and tells the user what to run
    _edit_notes(sandbox, MORE)
    (told,) = _told(_pass(runtime, 12))
    assert told.endswith(
        "new in the notes, not in it (the base's Follow-ups table has no Notes field yet: run "
        "`followthrough airtable init`): Learned: ship small; Promised: share the deck"
    )
    assert "Notes" not in _thank_you(sandbox)

    # and once `airtable init` has added the field, the next change brings all of it there
    created = init_schema(runtime.need_airtable()).created_fields
    assert [name for _, name in created] == ["Notes"]
    _edit_notes(sandbox, MORE + "\nInsight: pair early")
    _pass(runtime, 13)
    assert _thank_you(sandbox)["Notes"] == (
        "New in the meeting's notes since you edited the draft:\n"
        "- Learned: ship small\n- Learned: pair early\n- Promised: share the deck"
    )
