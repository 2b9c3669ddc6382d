"""`followthrough demo`: the weeks of the demo fixture, and what a user finds afterwards."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from rich.console import Console

from connectors.errors import ConfigurationError
from service.demo import Demo, status_context
from service.settings import child_environment
from service.settings_loading import load_settings
from service.web.app import create_app
from service.web.server import WebServer
from tests.processes import REPO
from tests.service.demo_run import DemoRun, demo_run
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store.db import Database

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
DEMO_END = "2026-03-17T20:00:00+00:00"  # the demo's clock at its end
REMINDED = ("Gabriel Santos", "Isabella Garcia", "Nadia Ivanova")  # progress updates due
USER = "sam.seeker@gmail.com"  # the demo's job seeker


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory)


def _drafts(run: DemoRun) -> list[dict[str, Any]]:
    """The drafts to contacts (not the weekly digest the demo drafts to the user at its end)."""
    drafts: list[dict[str, Any]] = run.dump()["gmail"]
    return [d for d in drafts if USER not in d["headers"].get("To", "")]


def _drafts_to(run: DemoRun, name: str) -> list[dict[str, Any]]:
    return [d for d in _drafts(run) if name in d["headers"].get("To", "")]


def _thank_yous_to(run: DemoRun, name: str) -> list[dict[str, Any]]:
    return [d for d in _drafts_to(run, name) if d["subject"].startswith("Thank you, ")]


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
        drafts = _thank_yous_to(run, name)
        assert len(drafts) == 1, (name, [d["headers"].get("To") for d in _drafts(run)])
        assert name.split()[0] in drafts[0]["subject"]
    for name in NOT_DRAFTED:
        assert _thank_yous_to(run, name) == [], name
    assert len([d for d in _drafts(run) if d["subject"].startswith("Thank you, ")]) == len(DRAFTED)


def test_the_ask_and_its_nudge_are_shown_in_full_and_share_a_thread(run: DemoRun) -> None:
    ask, nudge = sorted(_drafts_to(run, "Chen Wei"), key=lambda d: d["subject"].startswith("Re:"))
    assert ask["subject"] == "Priya Raman suggested I get in touch"
    assert nudge["subject"] == "Re: Priya Raman suggested I get in touch"
    assert nudge["thread_id"] == ask["thread_id"]
    account = run.stdout
    for line in (
        "│ Priya Raman suggested I get in touch with you.",
        "│ I wanted to follow up on my earlier note, in case it got buried.",
    ):
        assert line in account, line
    assert "follow-up Send Chen a gentle follow-up (nudge" in " ".join(account.split())


def test_what_the_user_did_between_passes_shows_in_the_world(run: DemoRun) -> None:
    # Notes added in Airtable after the draft existed: the draft was rewritten from them
    (tomas,) = _drafts_to(run, "Tomás Herrera")
    assert "Sidekiq" in tomas["body"]
    # The interview Grace moved to Friday 13 March was thanked for once, on the new day (the
    # draft is written that Friday: the old Thursday would be "yesterday")
    (grace,) = _drafts_to(run, "Grace Liu")
    assert "with me today." in grace["body"] and "at Duolingo" in grace["body"]
    # Marcus's draft was sent and its follow-up ticked; Laura's update pushed her next one out
    (marcus,) = _thank_yous_to(run, "Marcus Oyelaran")
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
    skipped = account[account.index("No thank-you for these events") :]
    assert "Liam O'Connor" in skipped and "cancelled" in skipped
    assert "Aisha Mohammed" in skipped and "declined" in skipped
    assert "NYC Tech Career Fair" in skipped and "all-day" in skipped
    assert "Team sync" in skipped and "recurring" in skipped
    assert "history" in account and "Elena Petrova" in account
    # Hannah was only in Google Contacts; her interview put her in Airtable
    assert "Hannah Kim added to your Airtable Contacts" in account
    assert "reminder" in account and "Send Laura an update on your progress" in account
    assert "Totals" in account and "failures" in account


def test_the_account_tells_what_the_users_edits_did_and_counts_what_is_left(
    run: DemoRun,
) -> None:
    account = " ".join(run.stdout.split())
    assert (
        "notes new notes on “Informational interview: Tomás Herrera”: the thank-you draft is "
        "rewritten from them" in account
    )
    assert "update Laura Schmidt: next progress update now due 2026-04-02" in account
    totals = account[account.index("Totals") :]
    for label, count in (
        ("interviews completed", "8"),
        ("drafts in Gmail", "16"),
        ("past interviews recorded as history", "2"),
        ("follow-ups: action item", "5"),
        ("follow-ups: ask", "1"),
        ("follow-ups: nudge", "1"),
        ("follow-ups: prepare", "7"),
        ("follow-ups: progress update", "5"),
        ("follow-ups: reschedule", "1"),
        ("follow-ups: thank introducer", "1"),
        ("follow-ups open / done", "17 / 12"),
        ("events that are not interviews", "5"),
    ):
        assert f"{label} │ {count} │" in totals, label


MARCUS_MEETING = "Coffee chat (informational interview) with Marcus Oyelaran"


def test_the_thank_you_sent_from_gmail_and_its_answer_are_noticed_and_told(run: DemoRun) -> None:
    # Given the demo, in which the user sends Marcus's thank-you from Gmail (ticking nothing)
    # on Monday 2 March at noon and Marcus answers it on Tuesday at 10:00
    account = " ".join(run.stdout.split())
    sent = account.index("you send the thank-you “Thank you, Marcus!” from Gmail")
    replied = account.index("you receive Marcus Oyelaran's reply to your thank-you in Gmail")
    # Then the account tells what the mail pass did after each, as the user finds it
    after_sending = account[sent:replied]
    for line in (
        "sent “Send Marcus a thank-you” is Done: you sent it Mon 02 Mar",
        f"sent “{MARCUS_MEETING}”: Thank-you Sent 2026-03-02",
        "sent Marcus Oyelaran: Last Contacted 2026-03-02",
    ):
        assert line in after_sending, line
    assert "reply Marcus Oyelaran: Last Reply 2026-03-03" in account[replied:]
    # and a thank-you left unsent 20 hours is flagged
    assert "late “Send Maya a thank-you” is flagged (not sent within 20 hours)" in account
    # and Airtable holds it: the follow-up Done, the meeting's and the contact's dates
    (thanks,) = [f for f in _records(run, "Follow-ups") if f["Title"] == "Send Marcus a thank-you"]
    assert thanks["Status"] == "Done"
    meeting = next(m for m in _records(run, "Meetings") if m["Title"] == MARCUS_MEETING)
    assert meeting["Thank-you Sent"] == "2026-03-02"
    marcus = next(c for c in _records(run, "Contacts") if c.get("Name") == "Marcus Oyelaran")
    assert (marcus["Last Contacted"], marcus["Last Reply"]) == ("2026-03-02", "2026-03-03")
    # and only that thank-you is dated: the others were not sent
    dated = [m["Title"] for m in _records(run, "Meetings") if m.get("Thank-you Sent")]
    assert dated == [MARCUS_MEETING]


def test_a_milestone_brings_an_update_and_an_introduction_is_thanked_drafts_in_full(
    run: DemoRun,
) -> None:
    account = run.stdout
    # Marcus's update: brought forward by the milestone, a reply in the thank-you's thread
    (update,) = [d for d in _drafts_to(run, "Marcus Oyelaran") if d["subject"].startswith("Re:")]
    (thank_you,) = _thank_yous_to(run, "Marcus Oyelaran")
    assert update["thread_id"] == thank_you["thread_id"]
    body = update["body"].replace("\r\n", "\n")
    assert "  - Rewrote my portfolio case study to show the messy middle (March 9).\n" in body
    assert "send you my revised portfolio case study." in body
    assert "Send Marcus an update on your progress (due 2026-03-11)" in account
    # Priya is thanked for introducing Sofia, with what was learned; the account shows it whole
    (note,) = _drafts_to(run, "Priya Raman")
    assert note["subject"] == "Thank you for introducing me to Sofia"
    assert "A strong SQL portfolio is the best way into ML engineering." in note["body"]
    assert "Thank Priya for introducing you to Sofia (thank introducer" in account
    for line in ("I have some news, and your advice played a real part in it:", "Hi Priya,"):
        assert f"│ {line}" in account


def test_status_shows_what_the_demo_left_in_its_store(run: DemoRun) -> None:
    # Given the demo's store, named as the demo's closing lines suggest
    settings = {"database_url": f"sqlite:///{run.database}", "now": DEMO_END}
    env = child_environment(os.environ, settings)
    env |= {"PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(run.workdir), "COLUMNS": "160"}
    # When the user asks for the status
    status = subprocess.run(
        [sys.executable, "-m", "service.cli", "status"],
        cwd=run.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then every connector is healthy, and the week's overdue work is listed as overdue
    assert status.returncode == 0, status.stdout + status.stderr
    said = " ".join(status.stdout.split())
    for connector in ("Airtable", "Google Calendar", "Google Contacts", "Gmail"):
        assert f"│ {connector} │ ok │" in said, connector
    assert "meetings waiting for their effects: 0" in said
    assert "15 overdue" in said
    sidekiq = "send Tomás my write-up of our Sidekiq migration"
    assert f"│ {sidekiq} │ Tomás Herrera │ overdue, due Tue 10 Mar │" in said
    late = "Send Maya a thank-you (not sent within 20 hours)"
    assert f"│ Maya Patel │ {late} │ overdue by 14 days │" in said
    assert "│ Send Gabriel an update on your progress │ Gabriel Santos │ overdue, due Fri 6" in said
    assert "Send Laura an update" not in said  # she had hers; her next is not due this week
    assert "Marcus a thank-you" not in said  # he got it, 73 hours after the meeting
    assert "Median time to a thank-you: 73 hours" in said


def test_the_status_page_names_whom_each_open_follow_up_is_for(
    run: DemoRun, tmp_path: Path
) -> None:
    # Given the demo's store
    database = tmp_path / "status.db"
    shutil.copyfile(run.database, database)
    end = Clock.frozen_at(dt.datetime.fromisoformat(DEMO_END))
    runtime = Runtime(db=Database(f"sqlite:///{database}"), config=WorkflowConfig(), clock=end)
    # When a person opens the demo's status page
    try:
        with WebServer(create_app(status_context(runtime))) as server:
            page = requests.get(f"{server.url}/", timeout=10)
    finally:
        runtime.db.dispose()
    # Then each promise and each update due names its contact
    assert page.status_code == 200
    text = " ".join(page.text.split())
    sidekiq = "send Tomás my write-up of our Sidekiq migration"
    assert f'{sidekiq} <span class="muted">(Tomás Herrera)</span>' in text
    for name in REMINDED:
        first = name.split()[0]
        assert f'Send {first} an update on your progress <span class="muted">({name})' in text


def test_the_demo_ends_with_the_pages_screenshot_and_the_digest_it_drafted(
    run: DemoRun,
) -> None:
    # The digest went to the user once, with the week's thank-yous and their drafts' links
    digests = [d for d in run.dump()["gmail"] if USER in d["headers"].get("To", "")]
    (digest,) = digests
    assert digest["subject"].startswith("Your week from Tue 17 Mar")
    assert "- To Maya Patel, overdue by 13 days. Open the draft: https://" in digest["body"]
    # and the demo's last lines say where the page's picture is and what the digest says
    ending = run.stdout[run.stdout.index("Left behind in") :]
    page = run.output / "status-page.png"
    if shutil.which("chromium"):
        assert f"The status page, as a browser shows it: {page}" in " ".join(ending.split())
        assert page.read_bytes().startswith(b"\x89PNG")
    else:
        assert "install Chromium for a screenshot" in ending
    assert f"The weekly digest for 2026-W12, drafted in Gmail to {USER}:" in ending
    assert "│ - To Maya Patel, overdue by 13 days." in ending


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
