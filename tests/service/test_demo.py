"""`followthrough demo`: the weeks of the demo fixture, and what a user finds afterwards."""

from __future__ import annotations

import io
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from connectors.errors import ConfigurationError
from service.demo import Demo
from service.settings_loading import load_settings
from tests.service.demo_run import DemoRun, demo_run

# Interviews of the demo fixture that end after Followthrough's first sync: one draft each.
DRAFTED = (
    "Marcus Oyelaran",
    "Maya Patel",
    "Tomás Herrera",
    "Hannah Kim",
    "Ben Carter",
    "Daniel Okafor",
    "Grace Liu",
    "Sofia Rossi",
)
# History (ended days before the first sync), cancelled, declined, a recurring team meeting.
NOT_DRAFTED = ("Elena Petrova", "Priya Raman", "Liam O'Connor", "Aisha Mohammed", "Jordan Lee")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory)


def _drafts(run: DemoRun) -> list[dict[str, Any]]:
    drafts: list[dict[str, Any]] = run.dump()["gmail"]
    return drafts


def _drafts_to(run: DemoRun, name: str) -> list[dict[str, Any]]:
    return [d for d in _drafts(run) if name in d["headers"].get("To", "")]


def _records(run: DemoRun, table: str) -> list[dict[str, Any]]:
    tables = run.dump()["airtable"]["tables"]
    return [r["fields"] for t in tables if t["name"] == table for r in t["records"]]


def test_the_demo_succeeds_and_leaves_its_store_and_dump(run: DemoRun) -> None:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.database.is_file()
    credentials = run.output / "google-credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    # and the user's own store (the default one, and the one the environment names) is untouched
    assert not (run.workdir / "followthrough.db").exists()
    assert not (run.workdir / "mine.db").exists()


def test_each_completed_interview_gets_exactly_one_thank_you_draft(run: DemoRun) -> None:
    for name in DRAFTED:
        drafts = _drafts_to(run, name)
        assert len(drafts) == 1, (name, [d["headers"].get("To") for d in _drafts(run)])
        assert name.split()[0] in drafts[0]["subject"]
    for name in NOT_DRAFTED:
        assert _drafts_to(run, name) == [], name
    assert len(_drafts(run)) == len(DRAFTED)


def test_what_the_user_did_between_passes_shows_in_the_world(run: DemoRun) -> None:
    # Notes added in Airtable after the draft existed: the draft was rewritten from them
    (tomas,) = _drafts_to(run, "Tomás Herrera")
    assert "Sidekiq" in tomas["body"]
    # The interview Grace moved to Friday 13 March was thanked for once, on the new day (the
    # draft is written that Friday: the old Thursday would be "yesterday")
    (grace,) = _drafts_to(run, "Grace Liu")
    assert "with me today." in grace["body"] and "at Duolingo" in grace["body"]
    # Marcus's draft was sent and its follow-up ticked; Laura's update pushed her next one out
    (marcus,) = _drafts_to(run, "Marcus Oyelaran")
    assert marcus["sent"] is True
    promised = "I'll send you my revised portfolio case study and introduce you to Keiko."
    assert promised in marcus["body"] and "he asked" not in marcus["body"]
    laura = next(c for c in _records(run, "Contacts") if c.get("Name") == "Laura Schmidt")
    assert laura["Next Update Due"] == "2026-04-02"


def test_the_account_names_the_drafts_and_the_skipped_events(run: DemoRun) -> None:
    account = run.stdout
    for name in DRAFTED:
        assert f"with {name} is over" in account
        assert f"Thank you, {name.split()[0]}!" in account
    skipped = account[account.index("Not informational interviews") :]
    assert "Liam O'Connor" in skipped and "cancelled" in skipped
    assert "Aisha Mohammed" in skipped and "declined" in skipped
    assert "NYC Tech Career Fair" in skipped and "all-day" in skipped
    assert "Team sync" in skipped and "recurring" in skipped
    assert "history" in account and "Elena Petrova" in account
    # Hannah was only in Google Contacts; her interview put her in Airtable
    assert "Hannah Kim added to your Airtable Contacts" in account
    assert "reminder" in account and "Send Laura an update on your progress" in account
    assert "Totals" in account and "failures" in account


def test_serving_on_a_taken_port_names_the_setting_to_change(
    clean_settings_env: Path, tmp_path: Path
) -> None:
    # Given something already listens on the status page's port
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        quiet = Console(file=io.StringIO())
        with Demo(load_settings(), tmp_path / "out", console=quiet) as demo:
            # When the demo is asked to serve there
            refused = pytest.raises(ConfigurationError, match="FOLLOWTHROUGH_HTTP_PORT")
            # Then the user is told which setting to change
            with refused:
                demo.serve(threading.Event(), "127.0.0.1", port)
