"""The week at a glance over real HTTP and a real store: the page, the digest and `status
--json` say the same, the digest is drafted once a week, and "today" is the user's today."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from markupsafe import escape
from typer.testing import CliRunner

from connectors.sandbox.server import Sandbox
from service.cli import app
from service.web.app import create_app
from service.web.context import BasicContext
from service.web.server import WebServer
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import (
    FAST_AIRTABLE,
    USER,
    airtable_contact,
    at,
    clean_pass,
    drafts,
    fast,
    grant_mail_scope,
    guest,
    meeting,
    world,
)
from workflows.digest import digest_message, due_on, hours_left
from workflows.queries.home import Home, home
from workflows.rules.digest import DigestTime, parse_digest
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
NOTES = "Insight: start with the data model\nTODO: send Ada the notebook"
MONDAY_8 = DigestTime(0, dt.time(8, 0))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store on SQLite (a file), and on PostgreSQL (a fresh schema; needs the server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'week.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _world(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path, **config: Any
) -> tuple[Sandbox, Runtime]:
    """Ada's chat on Monday March 2 at 10:00 New York time, with a promise in its notes, and
    Bob's chat on Wednesday; the mailbox readable (gmail.metadata)."""
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    bob = airtable_contact(
        "recBob0000000001", Name="Bob <b>Bold</b>", Email="bob@b.example", Stage="Scheduled"
    )
    events = [
        meeting("evt1", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=NOTES),
        meeting("evt2", "Coffee chat", at(2026, 3, 4, 15), attendees=[guest("bob@b.example")]),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada, bob]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 12), **config), sandbox)
    grant_mail_scope(runtime, sandbox, tmp_path)
    return sandbox, runtime


def _digests(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [d for d in drafts(sandbox) if USER in d["headers"].get("To", "")]


def _page(runtime: Runtime) -> str:
    with WebServer(create_app(BasicContext({}, lambda: home(runtime)))) as server:
        response = requests.get(server.url + "/", timeout=10)
    assert response.status_code == 200
    return response.text


def _status_json(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`followthrough status --json` as a script runs it, on the runtime's store and clock."""
    for name in list(__import__("os").environ):
        if name.startswith("FOLLOWTHROUGH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FOLLOWTHROUGH_DATABASE_URL", str(runtime.db.engine.url))
    monkeypatch.setenv("FOLLOWTHROUGH_NOW", runtime.now().isoformat())
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_page_the_digest_and_status_json_show_the_same_week(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given Ada's chat over, its draft written, and Bob's chat coming on Wednesday
    _, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    clean_pass(runtime, at(2026, 3, 2, 12))
    week = home(runtime)
    (thank_you,) = week.thank_yous
    (promise,) = week.promises
    (interview,) = week.interviews
    assert (thank_you.contact, hours_left(thank_you)) == ("Ada Lovelace", "22 hours left")
    assert thank_you.draft_link and thank_you.draft_link.startswith("https://mail.google.com/")
    assert promise.title == "send Ada the notebook"
    assert interview.title == "Coffee chat" and interview.start.hour == 15  # New York time

    # When the user opens the page, reads the digest and runs `status --json`
    page = _page(runtime)
    digest = digest_message(week, USER, "2026-W10").body
    data = _status_json(runtime, monkeypatch)

    # Then all three name the same thank-you, hours left and draft, promise and interview
    (json_thank_you,) = data["thank_yous"]
    assert (json_thank_you["contact"], json_thank_you["left"]) == ("Ada Lovelace", "22 hours left")
    assert json_thank_you["draft_link"] == thank_you.draft_link
    assert [p["title"] for p in data["promises"]] == [promise.title]
    assert [p["when"] for p in data["promises"]] == [due_on(promise)]
    assert [i["title"] for i in data["interviews"]] == ["Coffee chat"]
    for shown in (page, digest):
        for fact in (
            "Ada Lovelace",
            "22 hours left",
            promise.title,
            due_on(promise),
            "Wed 4 Mar 15:00",
        ):
            assert fact in shown, fact
    assert f'href="{thank_you.draft_link}"' in page
    assert f"Open the draft: {thank_you.draft_link}" in digest
    # and the pipeline and the last 90 days agree too
    assert {row["stage"]: row["contacts"] for row in data["pipeline"]} == {
        row.stage: row.contacts for row in week.pipeline
    }
    assert data["recent"]["funnel"]["meetings"] == week.recent.funnel.meetings == 1
    assert "Meetings: 1" in page
    # and a name with markup in it is text on the page
    assert "Bob &lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page


def test_the_digest_is_drafted_once_a_week_across_passes_and_a_restart(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path, database_url: str
) -> None:
    # Given a digest on Mondays at 08:00 (New York), and a pass at 07:00 that Monday
    sandbox, runtime = _world(
        sandbox_factory, make_runtime, tmp_path, digest=MONDAY_8, database_url=database_url
    )
    clean_pass(runtime, at(2026, 3, 2, 7))
    assert _digests(sandbox) == []

    # When the pass after 08:00 runs
    clean_pass(runtime, at(2026, 3, 2, 8, 5))

    # Then this week's digest is drafted to the user, with the week's interviews
    (digest,) = _digests(sandbox)
    assert digest["subject"] == "Your week from Mon 2 Mar"
    lines = digest["body"].splitlines()
    brief = "Brief: https://airtable.com/appSandboxBase001/"
    assert [line.split(". ")[0] for line in lines if brief in line] == [
        "- Mon 2 Mar 10:00: Chat",
        "- Wed 4 Mar 15:00: Coffee chat",
    ]

    # When more passes run that week, and the service restarts on the same store
    clean_pass(runtime, at(2026, 3, 2, 12))
    clean_pass(runtime, at(2026, 3, 5, 9))
    restarted = make_runtime(
        sandbox, now=at(2026, 3, 6, 9), database_url=database_url, digest=MONDAY_8
    )
    restarted = fast(restarted, sandbox)
    grant_mail_scope(restarted, sandbox, tmp_path)
    clean_pass(restarted, at(2026, 3, 8, 23))

    # Then there is still one digest
    assert len(_digests(sandbox)) == 1

    # and the next Monday at 08:00 brings the next week's, once, with what is overdue
    clean_pass(restarted, at(2026, 3, 9, 7, 59))
    assert len(_digests(sandbox)) == 1
    clean_pass(restarted, at(2026, 3, 9, 8, 5))
    clean_pass(restarted, at(2026, 3, 9, 9))
    digests = _digests(sandbox)
    assert [d["subject"] for d in digests[:1]] == ["Your week from Mon 2 Mar"]
    assert len(digests) == 2
    assert digests[1]["subject"].startswith("Your week from Mon 9 Mar, ")
    assert "To Ada Lovelace, overdue by 5 days. Open the draft:" in digests[1]["body"]


def test_without_the_setting_no_digest_is_drafted(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)

    clean_pass(runtime, at(2026, 3, 2, 12))
    clean_pass(runtime, at(2026, 3, 9, 9))

    assert _digests(sandbox) == []


def test_today_is_the_users_today_not_utcs(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada's chat that ended at 10:30 on Monday in New York, at 20:30 that evening
    # (already Tuesday in UTC)
    _, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    clean_pass(runtime, at(2026, 3, 2, 20, 30))
    week = home(runtime)

    # Then today is Monday, and her thank-you has 14 of its 24 hours left, on the page too
    assert week.today == dt.date(2026, 3, 2)
    assert [hours_left(t) for t in week.thank_yous] == ["14 hours left"]
    page = _page(runtime)
    assert "Today and this week (Mon 2 Mar to Sun 8 Mar)" in page
    assert '<span class="soon">14 hours left</span>' in page


def test_a_promise_is_due_on_the_users_day_not_utcs(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada's promise, due on a day in New York
    _, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    clean_pass(runtime, at(2026, 3, 2, 12))
    (promise,) = home(runtime).promises
    assert promise.due is not None

    # When it is 20:30 that day in New York (already the next day in UTC)
    evening = at(promise.due.year, promise.due.month, promise.due.day, 20, 30)
    assert evening.astimezone(dt.UTC).date() > promise.due
    runtime.clock = runtime.clock.frozen_at(evening)
    week = home(runtime)

    # Then it is due today, not overdue, and today is New York's
    assert week.today == promise.due
    assert not week.promises[0].overdue
    promises = digest_message(week, USER, "w").body.split("Promises to keep")[1]
    assert promises.splitlines()[1] == "- send Ada the notebook (Ada Lovelace), due today"
    assert '<span class="muted">due today</span>' in _page(runtime)

    # and the next morning in New York it is overdue, in red on the page
    runtime.clock = runtime.clock.frozen_at(evening + dt.timedelta(hours=12))
    week = home(runtime)
    assert week.promises[0].overdue
    day = f"{promise.due:%a} {promise.due.day} {promise.due:%b}"
    assert f'<span class="overdue">overdue, due {day}</span>' in _page(runtime)


def test_a_thank_you_seen_sent_counts_in_the_last_90_days(
    sandbox_factory: Any, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    # Given Ada's thank-you draft, sent the next morning (the mail pass sees it)
    sandbox, runtime = _world(sandbox_factory, make_runtime, tmp_path)
    clean_pass(runtime, at(2026, 3, 2, 12))
    (draft,) = [d for d in drafts(sandbox) if ADA in d["headers"].get("To", "")]
    sandbox.mark_draft_sent(draft["id"], "2026-03-03T13:30:00Z")  # 08:30 in New York
    clean_pass(runtime, at(2026, 3, 3, 9))

    # Then it is no longer waiting, and 22 hours after the meeting's end it was sent
    week: Home = home(runtime)
    assert week.thank_yous == ()
    assert week.recent.thank_you_hours == (22.0,)
    assert week.recent.median_hours == 22.0
    assert dict(week.recent.histogram())["12-24 h"] == 1
    page = _page(runtime)
    median = "Median 22 hours from a meeting's end to its thank-you, over 1 sent."
    assert str(escape(median)) in page
    assert "12-24 h: 1" in page


def test_the_digest_setting_reads_a_weekday_and_a_time() -> None:
    assert parse_digest("mon 08:00") == MONDAY_8
    assert parse_digest("  Friday 17:30 ") == DigestTime(4, dt.time(17, 30))
    assert parse_digest("") is None
    for bad in ("monday", "8:00", "mo 08:00", "mon 24:00", "someday 08:00"):
        with pytest.raises(ValueError, match="mon 08:00"):
            parse_digest(bad)
