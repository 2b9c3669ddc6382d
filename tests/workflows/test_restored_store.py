"""A new or restored database against an existing account (a lost file, a new machine, a move
from SQLite to PostgreSQL) makes no second draft, follow-up or row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.sandbox.server import Sandbox
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
    meeting,
    meetings_by_event,
    rows,
    world,
)

ADA = "ada@analytical.example"


def _after_a_first_store(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> tuple[Sandbox, dict[str, int]]:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Scheduled")
    chat = meeting(
        "evt1",
        "Coffee chat",
        at(2026, 3, 2, 10),
        attendees=[guest(ADA)],
        description="Insight: start with the data model\nTODO: send the article",
    )
    sandbox: Sandbox = sandbox_factory(
        world(events=[chat], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    clean_pass(fast(make_runtime(sandbox, now=at(2026, 3, 2, 12)), sandbox))
    counts = {table: len(rows(sandbox, table)) for table in ("Contacts", "Meetings", "Follow-ups")}
    assert len(drafts(sandbox)) == 1 and counts == {"Contacts": 1, "Meetings": 1, "Follow-ups": 2}
    return sandbox, counts


def _new_store(
    sandbox: Sandbox, make_runtime: RuntimeFactory, tmp_path: Path, name: str = "new.db"
) -> Any:
    url = f"sqlite:///{tmp_path / name}"
    runtime = make_runtime(sandbox, now=at(2026, 3, 2, 13), database_url=url, init=False)
    return fast(runtime, sandbox)


def test_a_new_database_redoes_nothing_the_base_says_is_done(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given a thank-you written, then sent by the user, and the database lost
    sandbox, counts = _after_a_first_store(sandbox_factory, make_runtime)
    sandbox.mark_draft_sent(sandbox.drafts()[0]["id"])

    # When Followthrough starts again on a new database
    clean_pass(_new_store(sandbox, make_runtime, tmp_path))

    # Then nothing is drafted or written twice
    assert len(sandbox.drafts()) == 1 and drafts(sandbox) == []
    assert {t: len(rows(sandbox, t)) for t in counts} == counts


def test_a_draft_whose_row_was_never_written_is_found_by_its_message_id(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given a draft written, but the database lost before its Meetings row said Completed
    sandbox, _ = _after_a_first_store(sandbox_factory, make_runtime)
    draft = sandbox.drafts()[0]
    row = sandbox.airtable.records("Meetings")[0]
    link = row["fields"]["Thank-you Draft"]
    sandbox.airtable.update_record("Meetings", row["id"], {"Status": "Scheduled"})
    sandbox.reset_requests()

    clean_pass(_new_store(sandbox, make_runtime, tmp_path))

    assert [d["id"] for d in sandbox.drafts()] == [draft["id"]]
    assert meetings_by_event(sandbox)["evt1"]["Thank-you Draft"] == link  # the same draft
    assert len(followups(sandbox)) == 2
    assert sandbox.request_counts().get("gmail.drafts.list") == 1  # one look, for one meeting
