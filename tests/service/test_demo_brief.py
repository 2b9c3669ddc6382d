"""The demo's brief and reschedule (issue 14): Sofia's brief printed in full and in her
Meetings row, and a new time offered to Aisha, who declined before the demo began."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.demo_run import DemoRun, demo_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory)


def _records(run: DemoRun, table: str) -> list[dict[str, Any]]:
    tables = run.dump()["airtable"]["tables"]
    return [r["fields"] for t in tables if t["name"] == table for r in t["records"]]


def test_the_demo_prints_sofias_brief_in_full_and_leaves_it_in_her_meetings_row(
    run: DemoRun,
) -> None:
    account = run.stdout
    assert "fill in Sofia Rossi's Why Them in Airtable" in account
    shown = account[account.index("open the Brief of “Informational interview: Sofia Rossi”") :]
    for line in (
        "Brief for your conversation with Sofia Rossi on Monday, March 16, 2026, 3:00 PM",
        "Sofia Rossi works as a Machine Learning Engineer at Spotify.",
        "Introduced by Priya Raman.",
        "Met at the PyData meetup.",
        "QUESTIONS TO ASK",
        '- a line starting "TODO:" is something you promised',
    ):
        assert line in shown, line
    (row,) = [m for m in _records(run, "Meetings") if m["Title"].endswith("Sofia Rossi")]
    assert row["Brief"].startswith("Brief for your conversation with Sofia Rossi")
    prepares = [f["Title"] for f in _records(run, "Follow-ups") if f["Kind"] == "Prepare"]
    assert "Prepare for your conversation with Sofia: read the Brief in the meeting's row" in (
        prepares
    )


def test_the_demo_offers_aisha_a_new_time_once(run: DemoRun) -> None:
    title = "Offer Aisha a new time: your conversation on Monday, March 9 was cancelled"
    reschedules = [f for f in _records(run, "Follow-ups") if f["Kind"] == "Reschedule"]
    assert [f["Title"] for f in reschedules] == [title]
    assert f"follow-up {title} (reschedule, due 2026-03-03)" in " ".join(run.stdout.split())
    (row,) = [m for m in _records(run, "Meetings") if m["Title"].endswith("Aisha Mohammed")]
    assert row["Status"] == "Cancelled"
