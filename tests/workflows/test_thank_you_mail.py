"""Knowing a thank-you was sent or answered (the optional gmail.metadata scope), over HTTP."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.airtable.schema import init_schema
from connectors.airtable.tables import SCHEMA, FieldSpec, TableSpec
from connectors.sandbox.fixture import CONTACT_FIELDS
from connectors.sandbox.server import Sandbox
from service.console import print_status
from service.demo import status_context
from service.web.app import create_app
from service.web.server import WebServer
from service.web.status import render_status
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    drafts,
    fast,
    followups,
    grant_mail_scope,
    guest,
    meeting,
    meetings_by_event,
    rows,
    set_now,
    world,
)
from workflows.followup_sync import task_list
from workflows.passes import PassReport, run_once
from workflows.queries.home import home
from workflows.queries.status import status_snapshot
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
NOTES = "Insight: start with the data model"


def _world(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    *,
    scope: bool = True,
    schema: tuple[TableSpec, ...] = SCHEMA,
    **config: Any,
) -> tuple[Sandbox, Runtime]:
    """Ada's chat on March 2 at 10:00, completed by a pass at 12:00 (its draft written), in a
    base made with `schema`."""
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)
    fields = [dict(f) for f in CONTACT_FIELDS if schema is SCHEMA or f["name"] not in DATE_FIELDS]
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada], contact_fields=fields),
        airtable_rate_limit=FAST_AIRTABLE,
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12), init=False, **config), sandbox)
    init_schema(runtime.need_airtable(), schema)
    if scope:
        grant_mail_scope(runtime, sandbox, tmp_path)
    _pass(runtime, at(2026, 3, 2, 12))
    return sandbox, runtime


def _pass(runtime: Runtime, when: Any) -> PassReport:
    set_now(runtime, when)
    report = run_once(runtime)
    assert report.ok, report.failures
    return report


DATE_FIELDS = ("Last Contacted", "Last Reply", "Thank-you Sent")


class _Before(TableSpec):
    """A table as the contract was before the thank-you dates."""

    @cached_property
    def attributes(self) -> tuple[tuple[str, FieldSpec], ...]:
        return tuple(a for a in super().attributes if a[1].name not in DATE_FIELDS)


BEFORE_DATES = tuple(_Before(spec.name, spec.cells) for spec in SCHEMA)


def _thank_you(sandbox: Sandbox) -> dict[str, Any]:
    (row,) = followups(sandbox, "Thank-you")
    return row


def _ada(sandbox: Sandbox) -> dict[str, Any]:
    (row,) = rows(sandbox, "Contacts")
    return row


def _thank_you_task(sandbox: Sandbox) -> dict[str, Any]:
    tasks = sandbox.state()["tasks"]["tasks"]
    (task,) = [t for t in tasks if t["title"].startswith("Send Ada a thank-you")]
    return dict(task)


def _gmail_reads(sandbox: Sandbox) -> dict[str, int]:
    counts = sandbox.request_counts().items()
    return {name: n for name, n in counts if name.startswith("gmail.") and "draft" not in name}


def test_a_sent_thank_you_is_done_with_the_day_it_was_sent_and_dated(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path, tasks_sink="both")
    (draft,) = drafts(sandbox)
    assert _thank_you_task(sandbox)["status"] == "needsAction"
    # and the user wrote a note of their own on its Google Task
    tasks, tasklist = runtime.need_google().tasks, task_list(runtime)
    mine = tasks.get_task(tasklist, _thank_you_task(sandbox)["id"])
    assert mine is not None
    tasks.patch_task(tasklist, replace(mine, notes="Mention the Lisbon talk"))

    # When the user sends the draft the next morning
    sandbox.mark_draft_sent(draft["id"], "2026-03-03T08:30:00Z")
    _pass(runtime, at(2026, 3, 3, 9))

    # Then its Thank-you is Done, the meeting says when, and so does the contact
    assert _thank_you(sandbox)["Status"] == "Done"
    assert meetings_by_event(sandbox)["evt1"]["Thank-you Sent"] == "2026-03-03"
    assert _ada(sandbox)["Last Contacted"] == "2026-03-03"
    assert "Last Reply" not in _ada(sandbox)
    assert _thank_you_task(sandbox)["status"] == "completed"
    assert _thank_you_task(sandbox)["notes"].startswith("Mention the Lisbon talk")  # kept

    # and a pass with nothing new changes nothing, for one read of Gmail's history
    before = sandbox.airtable.records("Follow-ups"), rows(sandbox, "Contacts")
    sandbox.reset_requests()
    _pass(runtime, at(2026, 3, 3, 10))
    assert (sandbox.airtable.records("Follow-ups"), rows(sandbox, "Contacts")) == before
    assert _gmail_reads(sandbox) == {"gmail.history.list": 1}


def test_a_draft_regenerated_into_a_new_thread_is_still_seen_when_sent(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada's draft, rewritten after a notes change: Gmail gives the new message a thread
    # of its own (the update names no threadId)
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    (draft,) = drafts(sandbox)
    meeting = next(r for r in sandbox.airtable.records("Meetings") if r["fields"]["Event ID"])
    more = NOTES + "\nTakeaway: ship small"
    sandbox.airtable.update_record("Meetings", meeting["id"], {"Notes": more})
    _pass(runtime, at(2026, 3, 2, 13))
    (rewritten,) = drafts(sandbox)
    assert "Ship small" in rewritten["body"] and rewritten["thread_id"] != draft["thread_id"]

    # When the user sends it
    sandbox.mark_draft_sent(rewritten["id"], "2026-03-02T19:00:00Z")
    _pass(runtime, at(2026, 3, 2, 20))

    # Then its sending is seen in the new thread
    assert _thank_you(sandbox)["Status"] == "Done"
    assert meetings_by_event(sandbox)["evt1"]["Thank-you Sent"] == "2026-03-02"


def test_a_reply_from_the_contact_sets_last_reply(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    (draft,) = drafts(sandbox)
    sent = sandbox.mark_draft_sent(draft["id"], "2026-03-02T15:00:00Z")
    _pass(runtime, at(2026, 3, 2, 16))

    sandbox.receive_reply(sent["thread_id"], "someone@else.example", "FYI", "2026-03-03T09:00:00Z")
    _pass(runtime, at(2026, 3, 3, 10))
    assert "Last Reply" not in _ada(sandbox)  # only the contact's own reply counts

    # the contact's reply counts, however the address is capitalised
    reply_from = "Ada <Ada@Analytical.Example>"
    sandbox.receive_reply(sent["thread_id"], reply_from, "Glad it helped!", "2026-03-04T09:00:00Z")
    _pass(runtime, at(2026, 3, 4, 10))

    assert _ada(sandbox)["Last Reply"] == "2026-03-04"
    assert _ada(sandbox)["Last Contacted"] == "2026-03-02"


def test_without_the_scope_gmail_is_not_read_and_nothing_changes(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path, scope=False)
    (draft,) = drafts(sandbox)
    sandbox.mark_draft_sent(draft["id"], "2026-03-03T08:30:00Z")
    sandbox.reset_requests()

    _pass(runtime, at(2026, 3, 3, 12))

    assert _gmail_reads(sandbox) == {}
    assert _thank_you(sandbox)["Status"] == "Open"
    assert _thank_you(sandbox)["Title"] == "Send Ada a thank-you"
    assert "Thank-you Sent" not in meetings_by_event(sandbox)["evt1"]

    # and a day later nothing is flagged either: without the scope it cannot be known
    _pass(runtime, at(2026, 3, 4, 12))
    assert _thank_you(sandbox)["Title"] == "Send Ada a thank-you"
    assert status_snapshot(runtime).late_thank_yous == ()


GMAIL_OFF = (
    "gmail.metadata was not granted: run `followthrough auth google --mail-metadata` to have "
    "sent thank-yous detected"
)


def _gmail_row(page: str) -> str:
    text = " ".join(page.split())
    start = text.index('<tr class="connector" data-state=', text.index("<td>Gmail</td>") - 60)
    return text[start : text.index("</tr>", start)]


def test_without_the_scope_the_status_page_and_status_say_gmail_is_off_and_what_to_run(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a user who did not grant gmail.metadata, after a pass
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path, scope=False)

    # When they open the status page
    with WebServer(create_app(status_context(runtime))) as server:
        page = requests.get(f"{server.url}/", timeout=10).text
    # Then Gmail reads "off", with the one line saying what to run
    row = _gmail_row(page)
    assert 'data-state="off"' in row and GMAIL_OFF in row
    # and so does `followthrough status`
    print_status(home(runtime))
    said = " ".join(capsys.readouterr().out.split())
    assert "│ Gmail │ off │" in said and "google --mail-metadata`" in said

    # and once the scope is granted, the next pass turns it on
    grant_mail_scope(runtime, sandbox, tmp_path)
    _pass(runtime, at(2026, 3, 2, 13))
    snapshot = status_snapshot(runtime)
    gmail = next(c for c in snapshot.connectors if c.name == "Gmail")
    assert gmail.state(snapshot.generated_at, snapshot.stale_after) == "ok"
    assert gmail.off is None


def test_expired_history_reads_the_open_thank_you_threads_instead(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    (draft,) = drafts(sandbox)
    sandbox.mark_draft_sent(draft["id"], "2026-03-02T18:00:00Z")
    sandbox.expire_gmail_history()

    _pass(runtime, at(2026, 3, 2, 19))

    assert _thank_you(sandbox)["Status"] == "Done"
    assert meetings_by_event(sandbox)["evt1"]["Thank-you Sent"] == "2026-03-02"


def test_a_thank_you_unsent_twenty_hours_after_the_meeting_is_flagged(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)

    _pass(runtime, at(2026, 3, 3, 6))  # 19 hours after its end (11:00)
    assert _thank_you(sandbox)["Title"] == "Send Ada a thank-you"

    assert status_snapshot(runtime).late_thank_yous == ()

    _pass(runtime, at(2026, 3, 3, 8))
    flagged = "Send Ada a thank-you (not sent within 20 hours)"
    assert _thank_you(sandbox)["Title"] == flagged
    assert _thank_you(sandbox)["Status"] == "Open"

    # and the status page and `status` show it with the hours left of its 24
    snapshot = status_snapshot(runtime)
    assert [item.title for item in snapshot.late_thank_yous] == [flagged]
    week = home(runtime)
    assert f"{flagged}<br>" in render_status(week)
    assert '<span class="soon">2 hours left</span>' in render_status(week)
    print_status(week)
    assert "2 hours left" in capsys.readouterr().out


def test_a_meeting_seen_late_gets_a_thank_you_due_hours_after_it_was_seen(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    event = meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES)
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 5, 9)), sandbox)
    grant_mail_scope(runtime, sandbox, tmp_path)

    _pass(runtime, at(2026, 3, 5, 9))  # first seen three days after the meeting

    assert _thank_you(sandbox)["Due"] == "2026-03-05"
    # and its 20 hours count from then, not from the meeting's end
    _pass(runtime, at(2026, 3, 6, 4))
    assert _thank_you(sandbox)["Title"] == "Send Ada a thank-you"
    _pass(runtime, at(2026, 3, 6, 6))
    assert _thank_you(sandbox)["Title"] == "Send Ada a thank-you (not sent within 20 hours)"


def test_a_base_without_the_date_fields_still_works_and_init_adds_them(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path, schema=BEFORE_DATES)
    (draft,) = drafts(sandbox)
    assert not set(DATE_FIELDS) & set(_ada(sandbox))

    sandbox.mark_draft_sent(draft["id"], "2026-03-03T08:30:00Z")
    report = _pass(runtime, at(2026, 3, 3, 9))

    # The thank-you is Done all the same; the dates wait for `airtable init`
    assert _thank_you(sandbox)["Status"] == "Done"
    [gmail] = [sync for sync in report.syncs if sync.source == "gmail"]
    assert any("airtable init" in note for note in gmail.notes)

    created = init_schema(runtime.need_airtable()).created_fields
    assert {name for _, name in created} == set(DATE_FIELDS)
