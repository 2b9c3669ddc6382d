"""Whole passes over the sandbox: an interview ends and the user finds what Followthrough did."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from workflows.passes import run_once

NOW_AFTER_ADA = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def _records(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    return [r["fields"] for r in sandbox.airtable.records(table)]


def test_a_finished_interview_gets_one_draft_followups_and_a_contact_update(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given the small world: Ada's informational interview ended at 10:30
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW_AFTER_ADA)

    # When one pass runs at 11:00
    report = run_once(runtime)

    # Then there is one thank-you draft to Ada that names what was learned
    assert report.ok, report.failures
    drafts = sandbox.drafts()
    assert len(drafts) == 1
    draft = drafts[0]
    assert "ada@analytical.example" in str(draft["to"]).lower()
    assert "Ada" in draft["subject"]
    assert "Start with the data model." in draft["body"]
    # and the follow-ups: a thank-you and the promised action item
    follow_ups = _records(sandbox, "Follow-ups")
    kinds = sorted(f["Kind"] for f in follow_ups)
    assert kinds == ["Action item", "Thank-you"]
    thank_you = next(f for f in follow_ups if f["Kind"] == "Thank-you")
    assert thank_you["Due"] == "2026-03-03"
    # and the Meetings row is Completed with a link to the draft
    meetings = _records(sandbox, "Meetings")
    assert [m["Status"] for m in meetings] == ["Completed"]
    assert meetings[0]["Thank-you Draft"].startswith("https://mail.google.com/")
    # and Ada's contact row moved on
    contacts = _records(sandbox, "Contacts")
    ada = next(c for c in contacts if c.get("Email") == "ada@analytical.example")
    assert ada["Last Met"] == "2026-03-02"
    assert ada["Stage"] == "Keeping in touch"
    assert ada["Next Update Due"] == "2026-04-01"


def test_a_second_pass_changes_nothing(sandbox_factory: Any, make_runtime: RuntimeFactory) -> None:
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW_AFTER_ADA)
    run_once(runtime)
    before = (len(sandbox.drafts()), len(_records(sandbox, "Follow-ups")))

    report = run_once(runtime)

    assert report.ok, report.failures
    assert (len(sandbox.drafts()), len(_records(sandbox, "Follow-ups"))) == before
    assert [d.item.kind for d in report.done] == []
